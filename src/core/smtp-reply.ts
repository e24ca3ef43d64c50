// One SMTP reply: basic code, enhanced status code (RFC 3463) and text lines.
// Built only through `smtpReply`, which refuses a class mismatch such as
// a 4xx with a 5.x.x enhanced code: those slip through review easily.

export interface SmtpReply {
  readonly code: number;
  /** RFC 3463 enhanced status code, e.g. "5.7.1"; absent only for 220/221 greetings-style replies. */
  readonly enhanced: string | undefined;
  readonly lines: readonly string[];
}

const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})$/;

export function smtpReply(code: number, enhanced: string | undefined, text: string | readonly string[]): SmtpReply {
  if (!Number.isInteger(code) || code < 200 || code > 599) throw new Error(`invalid SMTP reply code ${code}`);
  if (enhanced !== undefined) {
    const m = ENHANCED.exec(enhanced);
    if (!m) throw new Error(`invalid enhanced status code ${enhanced}`);
    if (m[1] !== String(code)[0]) throw new Error(`reply ${code} cannot carry enhanced status ${enhanced}`);
  }
  const lines = typeof text === 'string' ? text.split(/\r?\n/) : [...text];
  return Object.freeze({ code, enhanced, lines: Object.freeze(lines) });
}

/** The reply as text, one line per element, without codes and without the final CRLF. */
export function formatReply(reply: SmtpReply): string {
  const prefix = reply.enhanced ? `${reply.enhanced} ` : '';
  return reply.lines.map((l) => prefix + l).join('\n');
}

const wireCache = new WeakMap<SmtpReply, string>();

/**
 * The reply as sent on the wire: "250-first\r\n250 last\r\n" (RFC 5321
 * §4.2.1), the enhanced code on every line (RFC 2034 §4). Cached per reply
 * object, since most replies are constants sent thousands of times a second.
 */
export function wireReply(reply: SmtpReply): string {
  const cached = wireCache.get(reply);
  if (cached !== undefined) return cached;
  const prefix = reply.enhanced ? `${reply.enhanced} ` : '';
  const last = reply.lines.length - 1;
  let out = '';
  for (let i = 0; i <= last; i++) out += `${reply.code}${i === last ? ' ' : '-'}${prefix}${reply.lines[i]}\r\n`;
  wireCache.set(reply, out);
  return out;
}

export function isTemporary(reply: Pick<SmtpReply, 'code'>): boolean {
  return reply.code >= 400 && reply.code < 500;
}

export function isPermanent(reply: Pick<SmtpReply, 'code'>): boolean {
  return reply.code >= 500;
}

/**
 * An error that should reach the SMTP client as a specific reply.
 * `reply` is what the client sees (generic); `cause` is for the log only.
 */
export class SmtpError extends Error {
  readonly reply: SmtpReply;
  constructor(reply: SmtpReply, options?: { cause?: unknown }) {
    super(`${reply.code} ${reply.enhanced ?? ''} ${reply.lines.join(' ')}`.replace(/\s+/g, ' '), options);
    this.name = 'SmtpError';
    this.reply = reply;
  }
}
