// Structured logs (pino, one JSON object per line). Secrets never reach the
// log: field names that might carry them are redacted as a safety net.
import pino, { type Logger } from 'pino';
import type { LogConfig } from '../config/types.js';

export type { Logger };

export function createLogger(config: LogConfig): Logger {
  const destination = config.file
    ? pino.destination({ dest: config.file, mkdir: true, sync: false })
    : pino.destination({ fd: 1, sync: false });
  return pino(
    {
      level: config.level,
      base: { service: 'hikyaku' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['password', '*.password', 'pass', '*.pass', 'auth.credentials'], censor: '[secret]' },
    },
    destination,
  );
}

/** A logger that writes nothing, for CLI commands that open stores. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
