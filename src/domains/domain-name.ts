// Validation of the names a user types for `hikyaku domain ...`: sending
// domains, return-path domains and DKIM selectors. Names are kept in their
// ASCII (A-label) form so that file names, DNS names and the d= tag agree.
import { domainToASCII } from 'node:url';

// RFC 1035 §2.3.1 / RFC 5890: LDH labels of 1–63 octets, no leading or
// trailing hyphen; underscore is not allowed in host-style names.
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The canonical form of a domain name (lower case, A-labels, no trailing dot),
 * or undefined when it cannot be a sending domain: at least two labels, and
 * the last one not all digits (so an IP address is refused).
 */
export function normalizeDomainName(input: string): string | undefined {
  const trimmed = input.trim().replace(/\.$/, '');
  if (trimmed === '' || /[\s/\\@]/.test(trimmed)) return undefined;
  const ascii = domainToASCII(trimmed).toLowerCase();
  if (ascii === '' || ascii.length > 253) return undefined;
  const labels = ascii.split('.');
  if (labels.length < 2) return undefined;
  if (!labels.every((l) => LABEL.test(l))) return undefined;
  if (/^\d+$/.test(labels[labels.length - 1] as string)) return undefined;
  return ascii;
}

/**
 * A DKIM selector (RFC 6376 §3.1: selector = sub-domain *( "." sub-domain )).
 * We accept the same LDH labels as domains, lower-cased.
 */
export function normalizeSelector(input: string): string | undefined {
  const s = input.trim().toLowerCase();
  if (s === '' || s.length > 63 * 2) return undefined;
  return s.split('.').every((l) => LABEL.test(l)) ? s : undefined;
}

/** True when `child` is `parent` or a subdomain of it (both canonical). */
export function isSameOrSubdomain(child: string, parent: string): boolean {
  return child === parent || child.endsWith(`.${parent}`);
}
