// Line-ending canonicalisation. Internet mail uses CRLF only (RFC 5322 §2.1,
// RFC 5321 §2.3.8); messages handed to us by the API or a local tool may use
// bare LF (Unix) or bare CR (classic Mac), sometimes mixed.

const CR = 0x0d;
const LF = 0x0a;

/** True when every CR is followed by LF and every LF is preceded by CR. */
export function isCrlfCanonical(message: Buffer): boolean {
  // Two native indexOf scans hop from line ending to line ending, which is far
  // quicker than a byte loop in JS for the common, already canonical case.
  for (let i = message.indexOf(LF); i !== -1; i = message.indexOf(LF, i + 1)) {
    if (i === 0 || message[i - 1] !== CR) return false;
  }
  for (let i = message.indexOf(CR); i !== -1; i = message.indexOf(CR, i + 1)) {
    if (message[i + 1] !== LF) return false;
  }
  return true;
}

/**
 * Convert any mix of CRLF, bare LF and bare CR line endings to CRLF.
 * Returns the same Buffer instance when the message is already canonical.
 * A CR immediately followed by LF is one line ending, never two.
 */
export function toCrlf(message: Buffer): Buffer {
  if (isCrlfCanonical(message)) return message;
  // Worst case: every byte is a bare line ending and doubles in size.
  const out = Buffer.allocUnsafe(message.length * 2);
  let written = 0;
  let spanStart = 0;
  const len = message.length;
  for (let i = 0; i < len; i++) {
    const byte = message[i];
    if (byte !== CR && byte !== LF) continue;
    written += message.copy(out, written, spanStart, i);
    out[written++] = CR;
    out[written++] = LF;
    if (byte === CR && message[i + 1] === LF) i++;
    spanStart = i + 1;
  }
  written += message.copy(out, written, spanStart, len);
  return out.subarray(0, written);
}
