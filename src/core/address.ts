// Mailbox helpers. Addresses are kept as the client sent them except for the
// domain, which is compared case-insensitively (RFC 5321 §2.4: the local part
// is case-sensitive in principle; we never alter it).

/** The domain of an address, lower-cased; '' for the null reverse-path. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

export function localPartOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? address : address.slice(0, at);
}

/** Local part as sent, domain lower-cased: the form used for comparisons and storage. */
export function normalizeAddress(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? address : `${address.slice(0, at)}@${address.slice(at + 1).toLowerCase()}`;
}

// A deliberately permissive check: the SMTP session already parsed the path; this
// only rejects what no MX could route (no domain, spaces, control characters).
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9\u0080-\uffff](?:[a-z0-9\u0080-\uffff-]{0,61}[a-z0-9\u0080-\uffff])?\.)+[a-z0-9\u0080-\uffff-]{2,63}$|^\[[0-9a-f:.]+\]$/i;

export function isRoutableAddress(address: string): boolean {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return false;
  const local = address.slice(0, at);
  if (local.length > 64 || /[\s\x00-\x1f\x7f]/.test(local)) return false;
  return DOMAIN.test(address.slice(at + 1));
}
