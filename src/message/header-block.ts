// Cheap access to a message's header block (RFC 5322 §2.2) without parsing
// the MIME structure: intake runs this for every message, so it works on the
// header bytes only and returns views (subarray), never copies of the body.
// Input is CRLF-canonical (see canonical.ts).

const CRLF = Buffer.from('\r\n');
const BLANK_LINE = Buffer.from('\r\n\r\n');
const COLON = 0x3a;
const SP = 0x20;
const HTAB = 0x09;

/**
 * Split at the first empty line. `header` includes the CRLF that ends its last
 * field (it is empty when the message starts with an empty line); `body`
 * starts after the empty line. With no empty line the whole message is the
 * header and `body` is empty; `header.length + body.length < message.length`
 * tells whether the separating empty line was there.
 */
export function splitHeader(message: Buffer): { header: Buffer; body: Buffer } {
  if (message[0] === 0x0d && message[1] === 0x0a) {
    return { header: message.subarray(0, 0), body: message.subarray(2) };
  }
  const blank = message.indexOf(BLANK_LINE);
  if (blank === -1) return { header: message, body: message.subarray(message.length) };
  return { header: message.subarray(0, blank + 2), body: message.subarray(blank + 4) };
}

/** One header field's byte offsets: the name, and the raw (folded) value up to but excluding its final CRLF. */
interface FieldSpan {
  readonly nameStart: number;
  readonly nameEnd: number;
  readonly valueStart: number;
  readonly end: number;
}

/**
 * Calls `visit` for each field of the header block, in order; stops early when
 * `visit` returns true. Continuation lines (starting with WSP, RFC 5322 §2.2.3)
 * belong to the field above; lines without a colon are skipped.
 */
function eachField(header: Buffer, visit: (field: FieldSpan) => boolean | void): void {
  let lineStart = 0;
  let current: { nameStart: number; nameEnd: number; valueStart: number } | undefined;
  let currentEnd = 0;
  const len = header.length;
  while (lineStart < len) {
    let lineEnd = header.indexOf(CRLF, lineStart);
    if (lineEnd === -1) lineEnd = len;
    const first = header[lineStart];
    if (first === SP || first === HTAB) {
      if (current) currentEnd = lineEnd; // folded continuation
    } else {
      if (current && visit({ ...current, end: currentEnd }) === true) return;
      current = undefined;
      const colon = header.indexOf(COLON, lineStart);
      if (colon !== -1 && colon < lineEnd) {
        // RFC 5322 §4.5 (obsolete syntax) allows WSP between name and colon.
        let nameEnd = colon;
        while (nameEnd > lineStart && (header[nameEnd - 1] === SP || header[nameEnd - 1] === HTAB)) nameEnd--;
        current = { nameStart: lineStart, nameEnd, valueStart: colon + 1 };
        currentEnd = lineEnd;
      }
    }
    lineStart = lineEnd + 2;
  }
  if (current) visit({ ...current, end: currentEnd });
}

/** Header field names present, lower-cased. */
export function headerFieldNames(header: Buffer): Set<string> {
  const names = new Set<string>();
  eachField(header, (f) => {
    names.add(header.toString('latin1', f.nameStart, f.nameEnd).toLowerCase());
  });
  return names;
}

/**
 * Value of the first field named `name` (case-insensitive), unfolded
 * (RFC 5322 §2.2.3: CRLF before WSP removed) and trimmed; undefined if absent.
 * Decoded as UTF-8 since RFC 6532 allows UTF-8 in header values.
 */
export function headerValue(header: Buffer, name: string): string | undefined {
  const wanted = name.toLowerCase();
  let value: string | undefined;
  eachField(header, (f) => {
    if (f.nameEnd - f.nameStart !== wanted.length) return false;
    if (header.toString('latin1', f.nameStart, f.nameEnd).toLowerCase() !== wanted) return false;
    value = header.toString('utf8', f.valueStart, f.end).replace(/\r\n(?=[ \t])/g, '').trim();
    return true;
  });
  return value;
}
