// Structured logs (pino, one JSON object per line). Secrets never reach the
// log: field names that might carry them are redacted as a safety net.
import pino, { type Logger } from 'pino';
import type { LogConfig } from '../config/types.js';
import type { RecentErrors } from './recent-errors.js';

export type { Logger };

/**
 * Whether log lines are to be written for a person: `log.format` pretty, or
 * auto with no log file and a terminal on standard output. JSON otherwise:
 * journald, files and pipes get one JSON object per line.
 */
export function wantsPrettyLogs(config: LogConfig, stdoutIsTty: boolean = process.stdout.isTTY === true): boolean {
  if (config.format === 'pretty') return true;
  return config.format === 'auto' && config.file === undefined && stdoutIsTty;
}

/**
 * `recentErrors`: also keeps the last error lines in memory (for `hikyaku status`).
 * `pretty`: the readable stream (log/pretty-stream.ts) to write to instead of JSON.
 */
export function createLogger(config: LogConfig, recentErrors?: RecentErrors, pretty?: NodeJS.WritableStream): Logger {
  // Lines are gathered and written 4 KiB at a time, or at least every 100 ms:
  // one write per line (each a round trip through libuv's thread pool)
  // cost about a sixth of all CPU per message under load. pino flushes what
  // is left synchronously when the process exits.
  const batching = { sync: false, minLength: 4096, periodicFlush: 100 } as const;
  const destination =
    pretty ?? (config.file ? pino.destination({ dest: config.file, mkdir: true, ...batching }) : pino.destination({ fd: 1, ...batching }));
  return pino(
    {
      level: config.level,
      base: { service: 'hikyaku' },
      timestamp: isoTimestamp,
      redact: { paths: ['password', '*.password', 'pass', '*.pass', 'auth.credentials'], censor: '[secret]' },
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

/** A logger that writes nothing, for CLI commands that open stores. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
