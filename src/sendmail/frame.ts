// One submission from `hikyaku sendmail` to the server, in the same bytes on
// the local socket and in a maildrop file: a JSON line with the envelope and
// the message size, then the message. The server answers on the socket with
// one JSON line: the SMTP reply.
import { smtpReply, type SmtpReply } from '../core/smtp-reply.js';

export interface SendmailEnvelope {
  /** '' for the null sender. */
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  /** The invoking Unix user, for the log (the socket's and the directory's permissions are what admit it). */
  readonly localUser: string;
}

const VERSION = 1;
/** A header line longer than this is not ours. */
const MAX_HEADER_LINE = 1_048_576;

export function encodeFrame(envelope: SendmailEnvelope, message: Buffer): Buffer {
  const head = JSON.stringify({ v: VERSION, mailFrom: envelope.mailFrom, rcptTo: envelope.rcptTo, localUser: envelope.localUser, size: message.length });
  return Buffer.concat([Buffer.from(head + '\n'), message]);
}

export type DecodedFrame =
  | { readonly state: 'complete'; readonly envelope: SendmailEnvelope; readonly message: Buffer; readonly rest: Buffer }
  | { readonly state: 'partial' }
  | { readonly state: 'invalid'; readonly problem: string };

/** Reads one frame from the start of `data`. */
export function decodeFrame(data: Buffer): DecodedFrame {
  const lf = data.indexOf(0x0a);
  if (lf === -1) return data.length > MAX_HEADER_LINE ? { state: 'invalid', problem: 'no envelope line' } : { state: 'partial' };
  let head: unknown;
  try {
    head = JSON.parse(data.subarray(0, lf).toString('utf8'));
  } catch {
    return { state: 'invalid', problem: 'envelope line is not JSON' };
  }
  const h = head as { v?: unknown; mailFrom?: unknown; rcptTo?: unknown; localUser?: unknown; size?: unknown };
  if (h.v !== VERSION) return { state: 'invalid', problem: `unknown frame version ${String(h.v)}` };
  if (typeof h.mailFrom !== 'string' || !Array.isArray(h.rcptTo) || !h.rcptTo.every((r) => typeof r === 'string') || typeof h.localUser !== 'string') {
    return { state: 'invalid', problem: 'envelope line lacks mailFrom, rcptTo or localUser' };
  }
  if (typeof h.size !== 'number' || !Number.isSafeInteger(h.size) || h.size < 0) return { state: 'invalid', problem: 'bad message size' };
  const end = lf + 1 + h.size;
  if (data.length < end) return { state: 'partial' };
  return {
    state: 'complete',
    envelope: { mailFrom: h.mailFrom, rcptTo: h.rcptTo as string[], localUser: h.localUser },
    message: data.subarray(lf + 1, end),
    rest: data.subarray(end),
  };
}

/**
 * The whole frame's length once its envelope line is in `head`: undefined
 * before that, -1 when the line is not ours (decodeFrame says why).
 */
export function frameLength(head: Buffer): number | undefined {
  const lf = head.indexOf(0x0a);
  if (lf === -1) return head.length > MAX_HEADER_LINE ? -1 : undefined;
  try {
    const size = (JSON.parse(head.subarray(0, lf).toString('utf8')) as { size?: unknown }).size;
    return typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? lf + 1 + size : -1;
  } catch {
    return -1;
  }
}

export function encodeReply(reply: SmtpReply): string {
  return JSON.stringify({ code: reply.code, enhanced: reply.enhanced, lines: reply.lines }) + '\n';
}

export function decodeReply(line: string): SmtpReply | undefined {
  try {
    const r = JSON.parse(line) as { code?: unknown; enhanced?: unknown; lines?: unknown };
    if (typeof r.code !== 'number' || !Array.isArray(r.lines) || !r.lines.every((l) => typeof l === 'string')) return undefined;
    return smtpReply(r.code, typeof r.enhanced === 'string' ? r.enhanced : undefined, r.lines as string[]);
  } catch {
    return undefined;
  }
}

/** Where the socket and the maildrop are, under the data directory. */
export function sendmailPaths(dataDir: string): { socket: string; maildrop: string; refused: string } {
  return { socket: `${dataDir}/sendmail.sock`, maildrop: `${dataDir}/maildrop`, refused: `${dataDir}/maildrop-refused` };
}
