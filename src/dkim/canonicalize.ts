// DKIM "relaxed" canonicalization (RFC 6376 §3.4.2 and §3.4.4), on bytes.
import { createHash } from 'node:crypto';
import { lowerAscii } from './header-fields.js';

/**
 * One header field in relaxed form, CRLF-terminated (RFC 6376 §3.4.2):
 * name lower-cased, continuation lines unfolded, runs of WSP turned into one
 * SP, WSP at the end of the value and around the colon removed.
 * Input and output are latin1 strings (one char per byte).
 */
export function relaxedHeader(raw: string): string {
  const colon = raw.indexOf(':');
  const name = lowerAscii(raw.slice(0, colon).replace(/[ \t]+$/, ''));
  const value = raw
    .slice(colon + 1)
    .replace(/\r\n/g, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ /, '')
    .replace(/ $/, '');
  return `${name}:${value}\r\n`;
}

/**
 * The body in relaxed form (RFC 6376 §3.4.4): in each line, runs of WSP
 * become one SP and WSP at the end of the line is removed; empty lines at
 * the end of the body are removed; a non-empty body ends with CRLF (one is
 * added if the last line lacks it). An empty result stays empty: unlike
 * "simple" (§3.4.3), relaxed adds no CRLF to an empty body.
 *
 * Done with two regular expressions over a latin1 string (byte-exact): only
 * runs that change are matched (a tab, or two or more WSP), so base64 and
 * ordinary text pass through at native speed.
 */
export function relaxedBody(body: Buffer): Buffer {
  const s = body
    .toString('latin1')
    .replace(/\t[ \t]*| [ \t]+/g, ' ')
    .replace(/ \r\n/g, '\r\n');
  let end = s.length;
  if (end > 0 && s.charCodeAt(end - 1) === 0x20) end--; // a last line without CRLF
  while (end >= 2 && s.charCodeAt(end - 2) === 0x0d && s.charCodeAt(end - 1) === 0x0a) end -= 2;
  if (end === 0) return Buffer.alloc(0);
  return Buffer.from(s.slice(0, end) + '\r\n', 'latin1');
}

export function relaxedBodyHash(body: Buffer): string {
  return createHash('sha256').update(relaxedBody(body)).digest('base64');
}
