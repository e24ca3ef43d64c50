// RFC 8689 §5: a "TLS-Required: No" header field asks that the recipient's
// TLS policies (MTA-STS, DANE) be ignored for this message, so that it is
// delivered even where the policy would defer it. Read from the stored
// message's header section at delivery.

const HEADER_END = Buffer.from('\r\n\r\n');
const TLS_REQUIRED_NO = /^TLS-Required[ \t]*:[ \t]*No[ \t]*$/im;

export function hasTlsRequiredNo(message: Buffer): boolean {
  const end = message.indexOf(HEADER_END);
  const header = message.subarray(0, end === -1 ? message.length : end).toString('latin1');
  // Cheap test first: almost no message has the field.
  if (!/tls-required/i.test(header)) return false;
  return TLS_REQUIRED_NO.test(header.replace(/\r\n[ \t]+/g, ' '));
}
