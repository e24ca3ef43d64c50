// DMARC alignment of the envelope sender (RFC 7489 §3.1.2): SPF is checked
// against the MAIL FROM domain, so it only counts for DMARC when that domain
// is the From domain (or shares its organisational domain). Web apps often
// send with MAIL FROM www-data@vps-1234.provider.example and From: info@shop.example,
// which fails alignment. For a registered sending domain we therefore use an
// address in the From domain as the envelope sender — or, when the domain has
// a return-path domain (a bounce subdomain), the same local part there.
import { isRoutableAddress } from '../core/address.js';

export interface ReturnPathDomain {
  /** The registered sending domain (ASCII, lower case). */
  readonly name: string;
  readonly returnPathDomain: string | undefined;
}

function domainOfAddress(address: string): string {
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return domain.endsWith('.') ? domain.slice(0, -1) : domain;
}

function within(domain: string, parent: string): boolean {
  return domain === parent || domain.endsWith(`.${parent}`);
}

/**
 * The envelope sender to use. Unchanged for bounces (null sender), for mail
 * whose From domain is not registered, and when it already aligns.
 */
export function alignedReturnPath(mailFrom: string, fromAddress: string | undefined, domain: ReturnPathDomain | undefined): string {
  if (mailFrom === '' || fromAddress === undefined || domain === undefined) return mailFrom;
  const current = domainOfAddress(mailFrom);
  const target = domain.returnPathDomain ?? domain.name;
  if (within(current, target) || (domain.returnPathDomain === undefined && within(current, domain.name))) return mailFrom;
  // Checked only now: most mail is already aligned, and this is the costly test.
  if (!usableAsMailFrom(fromAddress, mailFrom)) return mailFrom;
  if (domain.returnPathDomain !== undefined) return `${fromAddress.slice(0, fromAddress.lastIndexOf('@'))}@${domain.returnPathDomain}`;
  return fromAddress;
}

/**
 * The From address as a reverse-path: a plain dot-atom local part (the header
 * parser drops the quotes of "a b"@x, which would make an unusable MAIL FROM
 * and an undeliverable bounce), and no UTF-8 unless the client already used it
 * (RFC 6531: it needs SMTPUTF8 all the way).
 */
function usableAsMailFrom(address: string, original: string): boolean {
  if (!isRoutableAddress(address)) return false;
  const local = address.slice(0, address.lastIndexOf('@'));
  if (!/^[^\s"(),:;<>@[\\\]]+$/.test(local)) return false;
  return /^[\x00-\x7f]*$/.test(address) || !/^[\x00-\x7f]*$/.test(original);
}
