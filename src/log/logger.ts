// Structured logs (pino, one JSON object per line). Secrets never reach the
// log: field names that might carry them are censored as a safety net
// (withoutSecrets).
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogConfig } from '../config/types.js';
import type { RecentErrors } from './recent-errors.js';

export type { Logger };

/**
 * log.format: `auto` is readable lines for a person at a terminal and JSON
 * for everything else (log.file, pipes, journald), which machines read.
 */
export function wantsPretty(config: LogConfig, stdoutIsTty: boolean = process.stdout.isTTY === true): boolean {
  if (config.format === 'auto') return config.file === undefined && stdoutIsTty;
  return config.format === 'pretty';
}

/**
 * pino-pretty as an in-process stream (no worker thread), loaded only when
 * used. Synchronous writes: a person at a terminal reads a few lines a
 * second, and nothing is lost when the process ends.
 */
function prettyDestination(config: LogConfig, stdoutIsTty: boolean): DestinationStream {
  const require = createRequire(import.meta.url);
  const pretty = require('pino-pretty') as (options: Record<string, unknown>) => DestinationStream;
  return pretty({
    destination: config.file ?? 1,
    mkdir: true,
    sync: true,
    colorize: config.file === undefined && stdoutIsTty,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // The base field every line carries; a line's own fields (hostname included) stay.
    ignore: 'service',
  });
}

/** `recentErrors`: also keeps the last error lines in memory (for `hikyaku status`). */
export function createLogger(config: LogConfig, recentErrors?: RecentErrors, stdoutIsTty: boolean = process.stdout.isTTY === true): Logger {
  // Lines are gathered and written 4 KiB at a time, or at least every 100 ms:
  // one write per line (each a round trip through libuv's thread pool)
  // cost about a sixth of all CPU per message under load. pino flushes what
  // is left synchronously when the process exits.
  const batching = { sync: false, minLength: 4096, periodicFlush: 100 } as const;
  const destination = wantsPretty(config, stdoutIsTty)
    ? prettyDestination(config, stdoutIsTty)
    : config.file
    ? pino.destination({ dest: config.file, mkdir: true, ...batching })
    : pino.destination({ fd: 1, ...batching });
  return pino(
    {
      level: config.level,
      base: { service: 'hikyaku' },
      timestamp: isoTimestamp,
      formatters: { log: withoutSecrets },
      ...(recentErrors === undefined
        ? {}
        : {
            hooks: {
              logMethod(this: Logger, args: Parameters<Logger['info']>, method: (...a: Parameters<Logger['info']>) => void, level: number): void {
                if (level >= 50) recentErrors.note(level, args);
                method.apply(this, args);
              },
            },
          }),
    },
    destination,
  );
}

// pino's isoTime builds a Date and an ISO string per line (several µs at
// thousands of lines a second); the text up to the second changes once a second.
let prefixSecond = Number.NaN;
let prefix = '';

/** `,"time":"2026-11-28T12:19:49.123Z"`, as pino.stdTimeFunctions.isoTime writes it. */
export function isoTimestamp(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== prefixSecond) {
    prefixSecond = second;
    prefix = new Date(second * 1000).toISOString().slice(0, 20); // "2026-11-28T12:19:49."
  }
  const ms = now - second * 1000;
  return `,"time":"${prefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
}

const SECRET_FIELDS = new Set(['password', 'pass']);
const CENSORED = '[secret]';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * The safety net: `password` and `pass`, at the top of a line's object or
 * one object down, and `auth.credentials`, are written as "[secret]".
 * The same paths pino's `redact` option took ('password', '*.password',
 * 'pass', '*.pass', 'auth.credentials'), but that option cost ~20 µs of main
 * thread per message at two lines a message (fast-redact rewrites and
 * restores the object around every line; measured in the shared bench's
 * 4 KiB scenario, 344 → 324 µs per message): here a line with no such field,
 * that is every line, costs a look at its keys, and is not copied.
 */
export function withoutSecrets(object: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key in object) {
    const value = object[key];
    if (SECRET_FIELDS.has(key)) {
      if (value !== undefined) (out ??= { ...object })[key] = CENSORED;
      continue;
    }
    if (!isPlainObject(value)) continue;
    let inner: Record<string, unknown> | undefined;
    for (const innerKey in value) {
      if ((SECRET_FIELDS.has(innerKey) || (key === 'auth' && innerKey === 'credentials')) && value[innerKey] !== undefined) {
        (inner ??= { ...value })[innerKey] = CENSORED;
      }
    }
    if (inner !== undefined) (out ??= { ...object })[key] = inner;
  }
  return out ?? object;
}

/** A logger that writes nothing, for CLI commands that open stores. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
