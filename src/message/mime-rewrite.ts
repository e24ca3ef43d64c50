// Re-encoding the MIME parts (leaves) of a message that cannot go out as they
// are, for intake's hygiene step (hygiene.ts: long lines, bare CR, NUL) and
// for the 8BITMIME downgrade (seven-bit.ts: 8-bit parts for a next hop that
// does not offer 8BITMIME, RFC 6152 §3). One walker for both, so a part is
// re-encoded the same way whichever asked.
//
// A part that needs it is decoded (7bit/8bit/binary: as it is; base64 and
// quoted-printable: decoded), then encoded as quoted-printable or base64
// (transfer-encoding.ts chooses), and its Content-Transfer-Encoding field
// replaced; its other header fields stay as they were. Decoding the new part
// gives the same content, byte for byte. Parts that need nothing, boundaries,
// and everything between them are copied unchanged.
//
// Why our own walker rather than mailsplit: mailsplit is a stream of line
// objects meant for messages too large to hold, while intake already holds
// the whole message in one Buffer; here a clean part is passed on as a view
// (no copy) and the walk is synchronous, so intake and the outbound
// downgrade call the same function without streams. Header values are read
// with libmime (parseHeaderValue: Content-Type and its boundary, RFC 2231
// included) and non-ASCII unstructured fields are encoded with libmime
// (encodeWords, RFC 2047).
import libmime from 'libmime';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import { isAscii, isUtf8 } from 'node:buffer';
import { smtpReply } from '../core/smtp-reply.js';
import { SmtpError } from '../core/smtp-reply.js';
import { toCrlf } from './canonical.js';
import { foldField, MAX_LINE_OCTETS } from './fold.js';
import { splitHeader } from './header-block.js';
import { chooseEncoding, decodeBase64, decodeQuotedPrintable, encodeAs } from './transfer-encoding.js';

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from('\r\n');

/**
 * 'clean': lines over 998 octets, bare CR or LF, NUL (RFC 5322 §2.1.1,
 * RFC 5321 §2.3.8, §4.5.3.1.6). 'seven-bit': those, and any octet over 127.
 */
export type RewriteMode = 'clean' | 'seven-bit';

/** The message cannot be made 7-bit: an 8-bit header field that has no MIME encoding (RFC 2047 covers only some). */
export class SevenBitConversionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SevenBitConversionError';
  }
}

/** RFC 3463 X.6.0: a NUL cannot be re-encoded in a header block, and no client should send one. */
export const NUL_IN_HEADER = smtpReply(554, '5.6.0', 'Message header contains a NUL character; refused');

/** True when some line is longer than 998 octets (its CRLF not counted). */
export function hasLongLine(buf: Buffer): boolean {
  let start = 0;
  for (let lf = buf.indexOf(LF); lf !== -1; lf = buf.indexOf(LF, lf + 1)) {
    // lf - start counts the line and its CR.
    if (lf - start > MAX_LINE_OCTETS + 1) return true;
    start = lf + 1;
  }
  return buf.length - start > MAX_LINE_OCTETS;
}

/** True when a CR is not followed by LF or an LF not preceded by CR. */
export function hasBareLineBreak(buf: Buffer): boolean {
  for (let i = buf.indexOf(CR); i !== -1; i = buf.indexOf(CR, i + 1)) if (buf[i + 1] !== LF) return true;
  for (let i = buf.indexOf(LF); i !== -1; i = buf.indexOf(LF, i + 1)) if (i === 0 || buf[i - 1] !== CR) return true;
  return false;
}

function needsRewrite(buf: Buffer, mode: RewriteMode): boolean {
  if (mode === 'seven-bit' && !isAscii(buf)) return true;
  return buf.indexOf(0) !== -1 || hasBareLineBreak(buf) || hasLongLine(buf);
}

/**
 * The entity (a whole message, or one part with its header) rewritten per
 * `mode`, or undefined when it needs no change. Input: CRLF line endings,
 * except bare CRs inside bodies, which are content. Throws SmtpError
 * (NUL_IN_HEADER) or SevenBitConversionError.
 */
export function rewriteEntity(entity: Buffer, mode: RewriteMode, top = true): Buffer | undefined {
  if (!needsRewrite(entity, mode)) return undefined;
  const split = splitHeader(entity);
  const hasSeparator = split.header.length + split.body.length < entity.length;
  const header = parseHeader(split.header, mode);
  const contentType = header.value('content-type');
  const { value: mediaType, params } = libmime.parseHeaderValue(contentType ?? 'text/plain');
  const type = mediaType.toLowerCase();
  const cte = (header.value('content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  let body: Buffer | undefined;
  let newCte: string | undefined;

  const boundary = type.startsWith('multipart/') ? params['boundary'] : undefined;
  const multipart = boundary ? rewriteMultipart(split.body, boundary, mode) : undefined;
  if (multipart !== undefined) {
    body = multipart.body;
    // The container's own CTE may only be 7bit, 8bit or binary (RFC 2045 §6.4): once its parts are 7-bit, so is it.
    if (mode === 'seven-bit' && (cte === '8bit' || cte === 'binary')) newCte = '7bit';
  } else if ((type === 'message/rfc822' || type === 'message/global') && cte !== 'base64' && cte !== 'quoted-printable') {
    // RFC 2046 §5.2.1: an enclosed message is not encoded itself; its own parts are.
    body = rewriteEntity(split.body, mode, true);
    if (mode === 'seven-bit' && (cte === '8bit' || cte === 'binary')) newCte = '7bit';
  } else if (needsRewrite(split.body, mode)) {
    const content = cte === 'base64' ? decodeBase64(split.body) : cte === 'quoted-printable' ? decodeQuotedPrintable(split.body) : split.body;
    newCte = chooseEncoding(content, type.startsWith('text/'));
    body = encodeAs(newCte as 'base64' | 'quoted-printable', content);
  }
  if (newCte !== undefined) {
    header.setTransferEncoding(newCte);
    // Without MIME-Version a reader may take the message as plain RFC 5322 text and show the encoding (RFC 2045 §4).
    if (top && header.value('mime-version') === undefined) header.addField('MIME-Version: 1.0');
  }
  if (!header.changed && body === undefined) return undefined;
  const parts: Buffer[] = [header.build()];
  if (hasSeparator) parts.push(CRLF);
  parts.push(body ?? split.body);
  return Buffer.concat(parts);
}

interface Delimiter {
  /** Start of the CRLF before the "--boundary" line (or of the line, at the start of the body). */
  readonly from: number;
  /** After the line's CRLF. */
  readonly to: number;
  readonly close: boolean;
}

/** The multipart body with its parts rewritten; undefined when no delimiter line is found (then it is treated as a leaf). */
function rewriteMultipart(body: Buffer, boundary: string, mode: RewriteMode): { body: Buffer | undefined } | undefined {
  const delimiters = findDelimiters(body, Buffer.from('--' + boundary, 'latin1'));
  if (delimiters.length === 0) return undefined;
  const out: Buffer[] = [];
  let changed = false;
  const first = delimiters[0] as Delimiter;
  // Preamble and epilogue are not content (RFC 2046 §5.1.1: to be ignored): a dirty one is dropped.
  const preamble = body.subarray(0, first.from);
  if (preamble.length > 0 && needsRewrite(preamble, mode)) changed = true;
  else out.push(preamble);
  delimiters.forEach((d, i) => {
    out.push(body.subarray(d.from, d.to));
    if (d.close) {
      const epilogue = body.subarray(d.to);
      if (epilogue.length > 0 && needsRewrite(epilogue, mode)) changed = true;
      else out.push(epilogue);
      return;
    }
    const next = delimiters[i + 1];
    const part = body.subarray(d.to, next === undefined ? body.length : next.from);
    const rewritten = rewriteEntity(part, mode, false);
    if (rewritten !== undefined) changed = true;
    out.push(rewritten ?? part);
  });
  return { body: changed ? Buffer.concat(out) : undefined };
}

/** The delimiter lines of `body` (RFC 2046 §5.1.1), up to and including the close delimiter. */
function findDelimiters(body: Buffer, dashBoundary: Buffer): Delimiter[] {
  const found: Delimiter[] = [];
  let at = body.subarray(0, dashBoundary.length).equals(dashBoundary) ? 0 : body.indexOf(Buffer.concat([CRLF, dashBoundary]));
  while (at !== -1) {
    const lineStart = at === 0 && body[0] !== CR ? 0 : at + 2;
    let i = lineStart + dashBoundary.length;
    const close = body[i] === 0x2d && body[i + 1] === 0x2d;
    if (close) i += 2;
    // Transport padding (RFC 2046 §5.1.1: LWSP) may follow the boundary.
    while (body[i] === 0x20 || body[i] === 0x09) i++;
    const lineEnd = i >= body.length ? body.length : body[i] === CR && body[i + 1] === LF ? i + 2 : -1;
    if (lineEnd !== -1) {
      found.push({ from: at, to: lineEnd, close });
      if (close) break;
    }
    at = body.indexOf(Buffer.concat([CRLF, dashBoundary]), Math.max(lineStart, at + 1));
  }
  return found;
}

/** One header field, its lines joined (CRLF between continuation lines), without the final CRLF. */
interface Field {
  readonly name: string;
  raw: Buffer;
}

interface ParsedHeader {
  readonly changed: boolean;
  /** The unfolded value of the first field of that name. */
  value(name: string): string | undefined;
  setTransferEncoding(cte: string): void;
  addField(line: string): void;
  build(): Buffer;
}

/** Unstructured fields (RFC 5322 §3.6.5, RFC 2045 §8): their 8-bit text can become RFC 2047 encoded-words. */
function isUnstructured(name: string): boolean {
  return name === 'subject' || name === 'comments' || name === 'content-description' || name === 'thread-topic' || name.startsWith('x-');
}

const ADDRESS_FIELDS: ReadonlySet<string> = new Set(['from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'resent-from', 'resent-sender', 'resent-to', 'resent-cc']);

/**
 * An address list with its 8-bit display names as RFC 2047 encoded-words
 * (RFC 2047 §5 (3): allowed in a phrase). Undefined when an address itself
 * is 8-bit (that needs SMTPUTF8, RFC 6531, not a MIME encoding).
 */
function encodeDisplayNames(value: string): string | undefined {
  const phrase = (name: string): string =>
    !isAscii(Buffer.from(name)) ? libmime.encodeWord(name, 'B', 52) : /^[\w !#$%&'*+\-/=?^`{|}~.]*$/.test(name) ? name : `"${name.replace(/(["\\])/g, '\\$1')}"`;
  const mailbox = (a: { name: string; address?: string }): string | undefined => {
    const address = a.address ?? '';
    if (!isAscii(Buffer.from(address))) return undefined;
    return a.name ? `${phrase(a.name)} <${address}>` : address;
  };
  const out: string[] = [];
  for (const entry of addressparser(value)) {
    if ('group' in entry && Array.isArray(entry.group)) {
      const members = entry.group.map(mailbox);
      if (members.some((m) => m === undefined)) return undefined;
      out.push(`${phrase(entry.name)}: ${members.join(', ')};`);
    } else {
      const m = mailbox(entry as { name: string; address?: string });
      if (m === undefined) return undefined;
      out.push(m);
    }
  }
  return out.join(', ');
}

function parseHeader(block: Buffer, mode: RewriteMode): ParsedHeader {
  if (block.indexOf(0) !== -1) throw new SmtpError(NUL_IN_HEADER);
  let changed = false;
  // A bare CR or LF in a header block is a line break, as before (canonical.ts); in the body it is content.
  const canonical = toCrlf(block);
  if (canonical !== block) changed = true;
  const fields: Field[] = [];
  let start = 0;
  while (start < canonical.length) {
    let end = canonical.indexOf(CRLF, start);
    if (end === -1) end = canonical.length;
    const line = canonical.subarray(start, end);
    const last = fields[fields.length - 1];
    if ((line[0] === 0x20 || line[0] === 0x09) && last !== undefined) {
      last.raw = Buffer.concat([last.raw, CRLF, line]);
    } else {
      const colon = line.indexOf(0x3a);
      fields.push({ name: colon === -1 ? '' : line.subarray(0, colon).toString('latin1').trim().toLowerCase(), raw: line });
    }
    start = end + 2;
  }
  for (const field of fields) {
    const fixed = fixField(field, mode);
    if (fixed !== undefined) {
      field.raw = fixed;
      changed = true;
    }
  }
  const text = (f: Field): string => {
    const colon = f.raw.indexOf(0x3a);
    return f.raw.subarray(colon + 1).toString('latin1').replace(/\r\n/g, '');
  };
  return {
    get changed() {
      return changed;
    },
    value(name) {
      const f = fields.find((x) => x.name === name);
      return f === undefined ? undefined : text(f);
    },
    setTransferEncoding(cte) {
      const raw = Buffer.from(`Content-Transfer-Encoding: ${cte}`, 'latin1');
      const index = fields.findIndex((f) => f.name === 'content-transfer-encoding');
      for (let i = fields.length - 1; i > index; i--) if ((fields[i] as Field).name === 'content-transfer-encoding') fields.splice(i, 1);
      if (index === -1) fields.push({ name: 'content-transfer-encoding', raw });
      else (fields[index] as Field).raw = raw;
      changed = true;
    },
    addField(line) {
      fields.push({ name: line.slice(0, line.indexOf(':')).toLowerCase(), raw: Buffer.from(line, 'latin1') });
      changed = true;
    },
    build() {
      if (!changed) return block;
      const out: Buffer[] = [];
      for (const f of fields) out.push(f.raw, CRLF);
      return Buffer.concat(out);
    },
  };
}

/** The field refolded or encoded when it must be, else undefined. */
function fixField(field: Field, mode: RewriteMode): Buffer | undefined {
  const eightBit = mode === 'seven-bit' && !isAscii(field.raw);
  if (!eightBit && !hasLongLine(field.raw)) return undefined;
  const colon = field.raw.indexOf(0x3a);
  if (colon === -1) {
    if (eightBit) throw new SevenBitConversionError('a header line that is not a field has 8-bit characters');
    // Not a field at all: cut into continuation lines, so nothing exceeds 998 octets.
    const chunks: Buffer[] = [];
    for (let i = 0; i < field.raw.length; i += 900) chunks.push(field.raw.subarray(i, i + 900));
    return Buffer.concat(chunks.flatMap((c, i) => (i === 0 ? [c] : [Buffer.from('\r\n '), c])));
  }
  const name = field.raw.subarray(0, colon).toString('latin1').trim();
  const valueBytes = field.raw.subarray(colon + 1);
  const utf8 = isUtf8(valueBytes);
  let value = valueBytes.toString(utf8 ? 'utf8' : 'latin1').replace(/\r\n/g, '').trim();
  if (eightBit) {
    const encoded = !utf8 ? undefined : isUnstructured(field.name) ? libmime.encodeWords(value, 'B', 52) : ADDRESS_FIELDS.has(field.name) ? encodeDisplayNames(value) : undefined;
    if (encoded === undefined) {
      throw new SevenBitConversionError(`the ${name} header field has 8-bit characters that cannot be MIME-encoded for a next hop without 8BITMIME`);
    }
    value = encoded;
  }
  return Buffer.from(foldField(name, value).slice(0, -2), utf8 ? 'utf8' : 'latin1');
}
