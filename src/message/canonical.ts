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
  const len = message.length;
  // Worst case: every byte is a bare line ending and doubles in size.
  const out = Buffer.allocUnsafe(len * 2);
  let written = 0;
  let spanStart = 0;
  // The next CR and the next LF, each found natively and searched again only
  // once passed: one native search per line instead of a JS test per byte.
  let cr = message.indexOf(CR);
  let lf = message.indexOf(LF);
  while (cr !== -1 || lf !== -1) {
    const end = cr !== -1 && (lf === -1 || cr < lf) ? cr : lf;
    written += message.copy(out, written, spanStart, end);
    out[written++] = CR;
    out[written++] = LF;
    spanStart = end === cr && lf === end + 1 ? end + 2 : end + 1;
    if (cr !== -1 && cr < spanStart) cr = message.indexOf(CR, spanStart);
    if (lf !== -1 && lf < spanStart) lf = message.indexOf(LF, spanStart);
  }
  written += message.copy(out, written, spanStart, len);
  return out.subarray(0, written);
}
