// Log lines for a person at a terminal (`hikyaku start` in the foreground):
// pino-pretty's one-line, coloured form — `[14:05:02.123] INFO: message
// accepted {"queueId":"…"}` — instead of JSON objects mixed with the
// command's own lines. Loaded only when used: it costs ~30 ms to import.
// Written synchronously: a terminal is read by a person, not a benchmark.
import type { Writable } from 'node:stream';

export async function prettyLogStream(colorize: boolean): Promise<Writable> {
  const { default: pretty } = await import('pino-pretty');
  return pretty({
    colorize,
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // Always the same in one process: noise on a terminal.
    ignore: 'pid,hostname,service',
  });
}
