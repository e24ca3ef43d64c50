// Content-Transfer-Encoding (RFC 2045 §6): decoding a part's body to its
// content and encoding content as quoted-printable or base64, for the
// re-encoding of dirty or 8-bit parts (mime-rewrite.ts).
//
// Why our own quoted-printable encoder rather than libmime's (libqp): libqp
// passes CR and LF through as they are, so a bare CR or a bare LF in the
// content would still be bare on the wire, which is exactly what we
// re-encode to get rid of. Here a CRLF in the content is a hard line break
// and every other CR, LF, NUL or 8-bit octet becomes =XX, so decoding gives
// the content back byte for byte. Base64 is Node's, wrapped at 76.

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const TAB = 0x09;
const EQ = 0x3d;

/** RFC 2045 §6.7 rule 5: encoded lines of at most 76 characters, the soft break's "=" included. */
const QP_LINE = 76;
const HEX = '0123456789ABCDEF';

/** Quoted-printable (RFC 2045 §6.7) of `content`: CRLF in it are hard line breaks, every line ≤ 76 octets. */
export function encodeQuotedPrintable(content: Buffer): Buffer {
  const len = content.length;
  // Worst case: every octet escaped (3 each), plus a soft break (3) per 25 escapes.
  const out = Buffer.allocUnsafe(len * 3 + Math.ceil(len / 25) * 3 + 8);
  let w = 0;
  let lineLength = 0;
  for (let i = 0; i < len; i++) {
    const b = content[i] as number;
    if (b === CR && content[i + 1] === LF) {
      out[w++] = CR;
      out[w++] = LF;
      lineLength = 0;
      i++;
      continue;
    }
    // Rule 3: a space or tab at the end of a line (or of the content) is encoded, so it survives.
    const literal = (b > SP && b < 0x7f && b !== EQ) || ((b === SP || b === TAB) && !endsLine(content, i + 1));
    const size = literal ? 1 : 3;
    // Keep room for the soft break's "=" (rule 5), never splitting an =XX.
    if (lineLength + size > QP_LINE - 1) {
      out[w++] = EQ;
      out[w++] = CR;
      out[w++] = LF;
      lineLength = 0;
    }
    if (literal) {
      out[w++] = b;
    } else {
      out[w++] = EQ;
      out[w++] = HEX.charCodeAt(b >> 4);
      out[w++] = HEX.charCodeAt(b & 15);
    }
    lineLength += size;
  }
  return out.subarray(0, w);
}

/** At offset `i`: the end of the content or a CRLF (what ends an encoded line). */
function endsLine(content: Buffer, i: number): boolean {
  return i >= content.length || (content[i] === CR && content[i + 1] === LF);
}

/** Base64 (RFC 2045 §6.8) in lines of 76 characters, each ended by CRLF. */
export function encodeBase64(content: Buffer): Buffer {
  const b64 = content.toString('base64');
  const lines = Math.ceil(b64.length / 76);
  const out = Buffer.allocUnsafe(b64.length + lines * 2);
  let w = 0;
  for (let i = 0; i < b64.length; i += 76) {
    w += out.write(b64.slice(i, i + 76), w, 'latin1');
    out[w++] = CR;
    out[w++] = LF;
  }
  return out.subarray(0, w);
}

/** Lenient quoted-printable decoding: "=XX" an octet, "=" before CRLF a soft break, anything else as it is. */
export function decodeQuotedPrintable(encoded: Buffer): Buffer {
  const out = Buffer.allocUnsafe(encoded.length);
  let w = 0;
  const len = encoded.length;
  for (let i = 0; i < len; i++) {
    const b = encoded[i] as number;
    if (b !== EQ) {
      out[w++] = b;
      continue;
    }
    if (encoded[i + 1] === CR && encoded[i + 2] === LF) {
      i += 2;
      continue;
    }
    const hi = hexValue(encoded[i + 1]);
    const lo = hexValue(encoded[i + 2]);
    if (hi < 0 || lo < 0) {
      out[w++] = b; // not an escape: kept literally, as most decoders do
      continue;
    }
    out[w++] = (hi << 4) | lo;
    i += 2;
  }
  return out.subarray(0, w);
}

function hexValue(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

/** Base64 decoding ignoring line breaks and other characters outside the alphabet (RFC 2045 §6.8). */
export function decodeBase64(encoded: Buffer): Buffer {
  return Buffer.from(encoded.toString('latin1'), 'base64');
}

export type TransferEncoding = 'quoted-printable' | 'base64';

/**
 * The encoding for a part whose content must be re-encoded: quoted-printable
 * for text that is mostly printable ASCII (it stays readable and small),
 * base64 for everything else: binary, text with a NUL (a NUL means the part
 * is not really text), and text that is mostly 8-bit (UTF-8 Japanese: QP
 * would triple it, base64 adds a third).
 */
export function chooseEncoding(content: Buffer, isText: boolean): TransferEncoding {
  if (!isText || content.indexOf(0) !== -1) return 'base64';
  let escaped = 0;
  for (let i = 0; i < content.length; i++) {
    const b = content[i] as number;
    if (b >= 0x80 || (b < SP && b !== TAB && b !== CR && b !== LF)) escaped++;
  }
  // QP costs 3 octets per escaped one, base64 4 per 3: QP wins below ~1/6 escaped.
  return escaped * 6 <= content.length ? 'quoted-printable' : 'base64';
}

export function encodeAs(encoding: TransferEncoding, content: Buffer): Buffer {
  return encoding === 'base64' ? encodeBase64(content) : encodeQuotedPrintable(content);
}
