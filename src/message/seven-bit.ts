// The 8BITMIME downgrade (RFC 6152 §3): a message with 8-bit data, for a next
// hop that did not advertise 8BITMIME, made 7-bit by re-encoding its 8-bit
// parts (mime-rewrite.ts, the same code as intake's hygiene step) and
// MIME-encoding 8-bit unstructured header fields and display names (RFC
// 2047). An 8-bit field that has no MIME encoding (a UTF-8 address, a raw
// 8-bit Content-Type parameter, a field that is not UTF-8) throws
// SevenBitConversionError; the client defers (another MX may offer 8BITMIME).
//
// Messages stay 8-bit in the queue: converting every 8-bit message at intake
// would make them larger for every next hop, and nearly every server offers
// 8BITMIME. The downgrade changes the signed body, so the caller (main.ts)
// re-signs: `withoutLeadingDkimSignatures` removes the signatures intake put
// at the top of the header block before the domain's key signs again.
import { rewriteEntity } from './mime-rewrite.js';

export { SevenBitConversionError } from './mime-rewrite.js';

/** The message with every octet under 128 and no line over 998 octets; the same Buffer when it is already so. */
export function toSevenBit(message: Buffer): Buffer {
  return rewriteEntity(message, 'seven-bit') ?? message;
}

const DKIM_SIGNATURE = /^dkim-signature[ \t]*:/i;

/**
 * The DKIM-Signature fields at the very top of the header block removed:
 * those are the ones intake's signer prepended (it adds them before every
 * other field, above our own Received). Signatures further down came from
 * elsewhere and stay (a body change breaks them anyway: RFC 6376 §3.7).
 * `removed` is how many went.
 */
export function withoutLeadingDkimSignatures(message: Buffer): { message: Buffer; removed: number } {
  let at = 0;
  let removed = 0;
  while (DKIM_SIGNATURE.test(message.subarray(at, at + 20).toString('latin1'))) {
    // The field ends at the first CRLF not followed by white space (RFC 5322 §2.2.3).
    let end = message.indexOf('\r\n', at);
    while (end !== -1 && (message[end + 2] === 0x20 || message[end + 2] === 0x09)) end = message.indexOf('\r\n', end + 2);
    if (end === -1) break;
    at = end + 2;
    removed++;
  }
  return { message: removed === 0 ? message : message.subarray(at), removed };
}
