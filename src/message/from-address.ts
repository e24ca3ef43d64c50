// The author address: the first mailbox of the From header (RFC 5322 §3.6.2).
// DKIM signing and DMARC alignment are decided by its domain.
import { domainToASCII } from 'node:url';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import { fieldValue, findField, messageHeaderValue, type HeaderScan } from './header-block.js';

export function headerFromAddress(message: Buffer): string | undefined {
  const value = messageHeaderValue(message, 'from');
  return value === undefined ? undefined : firstAddressOf(value);
}

/** The same as `headerFromAddress(message)`, from a scan of `message` already made. */
export function scannedFromAddress(message: Buffer, scan: HeaderScan): string | undefined {
  const index = findField(message, scan, 'from');
  return index === -1 ? undefined : firstAddressOf(fieldValue(message, scan, index));
}

// A plain addr-spec: printable ASCII without white space, specials that
// change how nodemailer's addressparser reads the value ("(),:;<>[\]) or a
// second '@'. Nearly every From written by a program or a mail client is
// `addr` or `Name <addr>` with such an address.
const ADDR = "[!#-'*+\\-./0-9=?A-Z^-~]+@[!#-'*+\\-./0-9=?A-Z^-~]+";
const BARE_ADDRESS = new RegExp(`^${ADDR}$`);
// A display name without quotes, comments, commas, group syntax or angle
// brackets, then the address in angle brackets, then nothing.
const NAME_ANGLE_ADDRESS = new RegExp(`^[^"(),:;<>\\\\]*<(${ADDR})>$`);

/**
 * The first address with an '@' in a From value (unfolded, trimmed), as
 * nodemailer's addressparser finds it. The two common simple forms are read
 * directly; those are the forms for which addressparser's answer is the
 * address itself (a test compares the two over many generated values).
 * Anything else (quoted names, comments, groups, lists, non-ASCII addresses)
 * goes to addressparser.
 */
export function firstAddressOf(value: string): string | undefined {
  if (BARE_ADDRESS.test(value)) return value;
  const angle = NAME_ANGLE_ADDRESS.exec(value);
  if (angle) return angle[1];
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
