// Intake's hygiene step, before the submission stamp and DKIM signing: what
// leaves Hikyaku has no line over 998 octets (RFC 5322 §2.1.1, RFC 5321
// §4.5.3.1.6), no bare CR or LF (RFC 5322 §2.3, RFC 5321 §2.3.8) and no NUL,
// and a receiver decodes exactly the content the client sent.
//
// - Fast path: one scan of the whole message (native indexOf hops, no copy);
//   a clean message, nearly all of them, is returned as the same Buffer.
// - Line endings: bare LF is a line ending (Unix tools, PHP bodies) and
//   becomes CRLF as before (canonical.ts). A bare CR in a message that has
//   LF line endings is content (a CR inside a line) and stays, in a
//   re-encoded part; only a message with no LF at all (classic Mac) has its
//   CRs taken as line endings. In a header block every bare CR or LF is a
//   line break (toCrlf), as before.
// - Parts (leaves) with a long line, a bare CR or a NUL are re-encoded
//   (mime-rewrite.ts): quoted-printable for mostly-text parts, base64
//   otherwise — a part with a NUL always goes base64. Re-encoding, not
//   refusing: PHP and other web apps do send NULs and 2,000-character HTML
//   lines, and bouncing them would only move the problem to the sender.
// - A NUL in a header block cannot be encoded there (RFC 2047 covers only
//   some fields and a NUL is never meaningful in one): refused, 554 5.6.0.
// - Header fields with a line over 998 octets are refolded (fold.ts).
import { toCrlf } from './canonical.js';
import { MAX_LINE_OCTETS } from './fold.js';
import { rewriteEntity } from './mime-rewrite.js';

const CR = 0x0d;
const LF = 0x0a;

/**
 * True when the message needs the slow path: a NUL, a bare CR or LF, or a
 * line over 998 octets. Three native scans and a test per line.
 */
export function needsHygiene(message: Buffer): boolean {
  if (message.indexOf(0) !== -1) return true;
  let start = 0;
  for (let lf = message.indexOf(LF); lf !== -1; lf = message.indexOf(LF, lf + 1)) {
    if (lf === 0 || message[lf - 1] !== CR || lf - start > MAX_LINE_OCTETS + 1) return true;
    start = lf + 1;
  }
  if (message.length - start > MAX_LINE_OCTETS) return true;
  for (let cr = message.indexOf(CR); cr !== -1; cr = message.indexOf(CR, cr + 1)) {
    if (message[cr + 1] !== LF) return true;
  }
  return false;
}

/**
 * The message as it may leave: the same Buffer when it is clean already;
 * otherwise canonical line endings and dirty parts re-encoded. Throws
 * SmtpError (554 5.6.0) for a NUL in a header block.
 */
export function cleanMessage(raw: Buffer): Buffer {
  if (!needsHygiene(raw)) return raw;
  const message = canonicalLineEnds(raw);
  return rewriteEntity(message, 'clean') ?? message;
}

/**
 * CRLF line endings. Bare LF becomes CRLF everywhere; bare CR only in the
 * header block (or everywhere when the message has no LF at all: classic
 * Mac line endings); a bare CR in the body is content.
 */
export function canonicalLineEnds(raw: Buffer): Buffer {
  if (raw.indexOf(LF) === -1) return toCrlf(raw);
  const end = rawHeaderEnd(raw);
  const headerIn = raw.subarray(0, end);
  const bodyIn = raw.subarray(end);
  const header = toCrlf(headerIn);
  const body = lfToCrlf(bodyIn);
  if (header === headerIn && body === bodyIn) return raw;
  return Buffer.concat([header, body]);
}

/**
 * Where the header block ends in a message whose line endings may be mixed:
 * just after the LF that ends its last field, so the empty line starts the rest.
 * The whole message when there is no empty line.
 */
function rawHeaderEnd(raw: Buffer): number {
  if (raw[0] === LF || (raw[0] === CR && raw[1] === LF)) return 0;
  for (let lf = raw.indexOf(LF); lf !== -1; lf = raw.indexOf(LF, lf + 1)) {
    const next = raw[lf + 1];
    if (next === LF || (next === CR && raw[lf + 2] === LF)) return lf + 1;
  }
  return raw.length;
}

/** Bare LF → CRLF; CRLF and bare CR as they are. The same Buffer when there is no bare LF. */
export function lfToCrlf(buf: Buffer): Buffer {
  const pieces: Buffer[] = [];
  let start = 0;
  for (let lf = buf.indexOf(LF); lf !== -1; lf = buf.indexOf(LF, lf + 1)) {
    if (lf > 0 && buf[lf - 1] === CR) continue;
    pieces.push(buf.subarray(start, lf), CRLF_BYTES);
    start = lf + 1;
  }
  if (pieces.length === 0) return buf;
  pieces.push(buf.subarray(start));
  return Buffer.concat(pieces);
}

const CRLF_BYTES = Buffer.from('\r\n');
