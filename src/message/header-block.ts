// Cheap access to a message's header block (RFC 5322 §2.2) without parsing
// the MIME structure: intake runs this for every message, so it works on the
// header bytes only, returns views (subarray) or byte offsets, never copies of
// the body, and allocates nothing per line (an object per field showed up in
// CPU profiles as most of intake's header work). Input is CRLF-canonical
// (see canonical.ts); a bare CR or LF is just another byte inside a line.

const BLANK_LINE = Buffer.from('\r\n\r\n');
const CR = 0x0d;
const LF = 0x0a;
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
  if (message[0] === CR && message[1] === LF) {
    return { header: message.subarray(0, 0), body: message.subarray(2) };
  }
  const blank = message.indexOf(BLANK_LINE);
  if (blank === -1) return { header: message, body: message.subarray(message.length) };
  return { header: message.subarray(0, blank + 2), body: message.subarray(blank + 4) };
}

/** Receives one field's byte offsets; returning true stops the walk. */
type FieldVisitor = (nameStart: number, nameEnd: number, valueStart: number, valueEnd: number) => boolean | void;

/**
 * Offset of the CRLF that ends the line starting at `lineStart`, or `len`
 * when the line has none. Hops from LF to LF natively (a JS byte loop is
 * several times slower) and accepts only an LF preceded by CR.
 */
function lineEndOf(buf: Buffer, lineStart: number, len: number): number {
  let lf = buf.indexOf(LF, lineStart + 1);
  while (lf !== -1 && buf[lf - 1] !== CR) lf = buf.indexOf(LF, lf + 1);
  return lf === -1 ? len : lf - 1;
}

/**
 * Walks the header fields of `buf` from its start, calling `visit` for each
 * with the name (without the WSP allowed before the colon, RFC 5322 §4.5)
 * and the raw value: after the colon, up to but excluding the CRLF that ends
 * the field, folding kept. Continuation lines (starting with WSP,
 * RFC 5322 §2.2.3) belong to the field above; lines without a colon are
 * skipped. Returns the offset of the first empty line when
 * `stopAtEmptyLine` (the end of the header block), -1 when `visit` stopped
 * the walk, and `buf.length` otherwise.
 */
function walkFields(buf: Buffer, stopAtEmptyLine: boolean, visit: FieldVisitor): number {
  const len = buf.length;
  let lineStart = 0;
  let nameStart = -1;
  let nameEnd = 0;
  let valueStart = 0;
  let valueEnd = 0;
  while (lineStart < len) {
    const lineEnd = lineEndOf(buf, lineStart, len);
    const first = buf[lineStart];
    if (first === SP || first === HTAB) {
      if (nameStart !== -1) valueEnd = lineEnd; // folded continuation
    } else {
      if (nameStart !== -1 && visit(nameStart, nameEnd, valueStart, valueEnd) === true) return -1;
      nameStart = -1;
      if (lineEnd === lineStart && stopAtEmptyLine) return lineStart;
      let colon = lineStart;
      while (colon < lineEnd && buf[colon] !== COLON) colon++;
      if (colon < lineEnd) {
        let end = colon;
        while (end > lineStart && (buf[end - 1] === SP || buf[end - 1] === HTAB)) end--;
        nameStart = lineStart;
        nameEnd = end;
        valueStart = colon + 1;
        valueEnd = lineEnd;
      }
    }
    lineStart = lineEnd + 2;
  }
  if (nameStart !== -1 && visit(nameStart, nameEnd, valueStart, valueEnd) === true) return -1;
  return len;
}

/** The lower-case form of a byte as String.prototype.toLowerCase gives it for a latin1 character. */
function lowerLatin1(byte: number): number {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0xc0 && byte <= 0xde && byte !== 0xd7) ? byte + 0x20 : byte;
}

/**
 * True when bytes [start, end) read as latin1 and lower-cased equal
 * `lowerName` (already lower case): the same test as
 * `buf.toString('latin1', start, end).toLowerCase() === lowerName`,
 * without making a string.
 */
function nameIs(buf: Buffer, start: number, end: number, lowerName: string): boolean {
  if (end - start !== lowerName.length) return false;
  for (let i = 0; i < lowerName.length; i++) {
    if (lowerLatin1(buf[start + i] as number) !== lowerName.charCodeAt(i)) return false;
  }
  return true;
}

/** A raw field value unfolded (RFC 5322 §2.2.3: CRLF before WSP removed), trimmed, decoded as UTF-8 (RFC 6532). */
function unfoldedValue(buf: Buffer, start: number, end: number): string {
  const raw = buf.toString('utf8', start, end);
  return (raw.includes('\r\n') ? raw.replace(/\r\n(?=[ \t])/g, '') : raw).trim();
}

/** Header field names present, lower-cased. */
export function headerFieldNames(header: Buffer): Set<string> {
  const names = new Set<string>();
  walkFields(header, false, (nameStart, nameEnd) => {
    names.add(header.toString('latin1', nameStart, nameEnd).toLowerCase());
  });
  return names;
}

/**
 * Value of the first field named `name` (case-insensitive), unfolded
 * (RFC 5322 §2.2.3: CRLF before WSP removed) and trimmed; undefined if absent.
 * Decoded as UTF-8 since RFC 6532 allows UTF-8 in header values.
 */
export function headerValue(header: Buffer, name: string): string | undefined {
  return firstValue(header, name.toLowerCase(), false);
}

/**
 * The same as `headerValue(splitHeader(message).header, name)` in one walk
 * that stops at the first match or at the end of the header block.
 */
export function messageHeaderValue(message: Buffer, name: string): string | undefined {
  return firstValue(message, name.toLowerCase(), true);
}

function firstValue(buf: Buffer, lowerName: string, stopAtEmptyLine: boolean): string | undefined {
  let value: string | undefined;
  walkFields(buf, stopAtEmptyLine, (nameStart, nameEnd, valueStart, valueEnd) => {
    if (!nameIs(buf, nameStart, nameEnd, lowerName)) return false;
    value = unfoldedValue(buf, valueStart, valueEnd);
    return true;
  });
  return value;
}

/**
 * One pass over a message's header block: where it ends and where each field
 * is. Everything intake needs from the header (presence of Date and
 * Message-ID, the From value) is then read from these offsets, without a
 * second walk over the bytes.
 */
export interface HeaderScan {
  /** Length of the header block, including the CRLF that ends its last field; 0 when the message starts with an empty line. */
  readonly headerEnd: number;
  /** Where the body starts (after the empty line); the message length when there is no empty line. */
  readonly bodyStart: number;
  /** Four offsets per field, in order: name start, name end, value start, value end (before the field's final CRLF). */
  readonly fields: readonly number[];
}

export function scanHeader(message: Buffer): HeaderScan {
  const fields: number[] = [];
  const end = walkFields(message, true, (nameStart, nameEnd, valueStart, valueEnd) => {
    fields.push(nameStart, nameEnd, valueStart, valueEnd);
  });
  // walkFields never returns -1 here: the visitor does not stop it.
  return end === message.length ? { headerEnd: end, bodyStart: end, fields } : { headerEnd: end, bodyStart: end + 2, fields };
}

/** Index (0, 1, …) of the first field named `name` (case-insensitive) in a scan of `message`, or -1. */
export function findField(message: Buffer, scan: HeaderScan, name: string): number {
  const lowerName = name.toLowerCase();
  const { fields } = scan;
  for (let i = 0; i + 3 < fields.length; i += 4) {
    if (nameIs(message, fields[i] as number, fields[i + 1] as number, lowerName)) return i / 4;
  }
  return -1;
}

/** Indexes (0, 1, …) of every field named `name` (case-insensitive) in a scan of `message`. */
export function fieldIndexes(message: Buffer, scan: HeaderScan, name: string): number[] {
  const lowerName = name.toLowerCase();
  const { fields } = scan;
  const found: number[] = [];
  for (let i = 0; i + 3 < fields.length; i += 4) {
    if (nameIs(message, fields[i] as number, fields[i + 1] as number, lowerName)) found.push(i / 4);
  }
  return found;
}

/** The value of field `index` of a scan, unfolded and trimmed as `headerValue` gives it. */
export function fieldValue(message: Buffer, scan: HeaderScan, index: number): string {
  const at = index * 4;
  if (at < 0 || at + 3 >= scan.fields.length) throw new RangeError(`no header field ${index}`);
  return unfoldedValue(message, scan.fields[at + 2] as number, scan.fields[at + 3] as number);
}
