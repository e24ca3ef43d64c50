// Mailbox helpers over the stored form of an address (see mailbox.ts, the one
// parser): the local part as the client sent it, the domain lower-cased
// (RFC 5321 §2.4: the local part is case-sensitive in principle; we never
// alter it). A domain never contains "@", so the last "@" splits the two even
// when a quoted local part has one.
import { parseMailbox } from './mailbox.js';

/** The domain of an address, lower-cased; '' for the null reverse-path. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

export function localPartOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? address : address.slice(0, at);
}

/** The stored form: local part as sent, domain lower-cased. Text that does not parse only gets its domain lower-cased. */
export function normalizeAddress(address: string): string {
  const parsed = parseMailbox(address);
  if (parsed.ok) return parsed.address;
  const at = address.lastIndexOf('@');
  return at < 0 ? address : `${address.slice(0, at)}@${address.slice(at + 1).toLowerCase()}`;
}

/** True when the address is an RFC 5321 Mailbox an MX can be found for (parseMailbox accepts it). */
export function isRoutableAddress(address: string): boolean {
  return parseMailbox(address).ok;
}
