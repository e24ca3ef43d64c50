// Organisational domains (RFC 7489 §3.2) through the Public Suffix List,
// with the same options mailauth's DMARC code uses, so relaxed alignment is
// judged as receivers running it judge it (example.co.jp, not co.jp).
import { getDomain } from 'tldts';

export function organisationalDomain(domain: string): string {
  const name = domain.toLowerCase().replace(/\.$/, '');
  return getDomain(name, { allowIcannDomains: true, allowPrivateDomains: true }) ?? name;
}

/** RFC 7489 §3.1: strict = identical names; relaxed = same organisational domain. */
export function aligned(a: string, b: string, strict: boolean): boolean {
  const x = a.toLowerCase().replace(/\.$/, '');
  const y = b.toLowerCase().replace(/\.$/, '');
  return strict ? x === y : organisationalDomain(x) === organisationalDomain(y);
}
