// The author address: the first mailbox of the From header (RFC 5322 §3.6.2).
// DKIM signing and DMARC alignment are decided by its domain.
import { domainToASCII } from 'node:url';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import { headerValue, splitHeader } from './header-block.js';

export function headerFromAddress(message: Buffer): string | undefined {
  const value = headerValue(splitHeader(message).header, 'from');
  if (value === undefined) return undefined;
  const first = addressparser(value, { flatten: true }).find((a) => a.address.includes('@'));
  return first?.address.trim();
}

/** The From domain in ASCII (IDNA) lower case, as DKIM's d= and DMARC compare it. */
export function headerFromDomain(message: Buffer): string | undefined {
  const address = headerFromAddress(message);
  if (address === undefined) return undefined;
  const domain = address.slice(address.lastIndexOf('@') + 1).trim().replace(/\.$/, '');
  if (domain === '') return undefined;
  return domainToASCII(domain).toLowerCase() || domain.toLowerCase();
}
