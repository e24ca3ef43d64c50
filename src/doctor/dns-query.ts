// Thin wrappers over node:dns Resolver that turn "no such record" into data,
// so each check can tell "the record is missing" (the user must publish it)
// from "the lookup failed" (a DNS outage, which we report as a warning).
import type { Resolver } from 'node:dns/promises';
import { isIPv6 } from 'node:net';
import { reverseDnsName } from '../domains/reverse-dns-name.js';

export type Lookup<T> =
  | { readonly kind: 'found'; readonly values: T[] }
  /** NXDOMAIN (ENOTFOUND) or an existing name without this type (ENODATA). */
  | { readonly kind: 'none'; readonly nxdomain: boolean }
  /** SERVFAIL, timeout, refused...: we cannot tell what is published. */
  | { readonly kind: 'failed'; readonly code: string };

async function query<T>(run: () => Promise<T[]>): Promise<Lookup<T>> {
  try {
    const values = await run();
    return values.length > 0 ? { kind: 'found', values } : { kind: 'none', nxdomain: false };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOTFOUND') return { kind: 'none', nxdomain: true };
    if (code === 'ENODATA') return { kind: 'none', nxdomain: false };
    return { kind: 'failed', code: typeof code === 'string' ? code : String(err) };
  }
}

/** TXT records, each record's character-strings joined (RFC 7208 §3.3, RFC 6376 §3.6.2.2). */
export function lookupTxt(resolver: Resolver, name: string): Promise<Lookup<string>> {
  return query(async () => (await resolver.resolveTxt(name)).map((chunks) => chunks.join('')));
}

export function lookupMx(resolver: Resolver, name: string): Promise<Lookup<{ exchange: string; priority: number }>> {
  return query(() => resolver.resolveMx(name));
}

/** A and AAAA together: a name "resolves" when either family has an address. */
export async function lookupAddresses(resolver: Resolver, name: string): Promise<Lookup<string>> {
  const [v4, v6] = await Promise.all([query(() => resolver.resolve4(name)), query(() => resolver.resolve6(name))]);
  const values = [...(v4.kind === 'found' ? v4.values : []), ...(v6.kind === 'found' ? v6.values : [])];
  if (values.length > 0) return { kind: 'found', values };
  if (v4.kind === 'failed') return v4;
  if (v6.kind === 'failed') return v6;
  return { kind: 'none', nxdomain: v4.kind === 'none' && v4.nxdomain };
}

export function lookupPtr(resolver: Resolver, ip: string): Promise<Lookup<string>> {
  return query(() => resolver.resolvePtr(reverseDnsName(ip)));
}

/** Compare addresses independent of IPv6 spelling ("::1" vs "0:0:0:0:0:0:0:1"). */
export function sameAddress(a: string, b: string): boolean {
  if (isIPv6(a) && isIPv6(b)) return reverseDnsName(a) === reverseDnsName(b);
  return a === b;
}

/** Lower-case, without the trailing dot: the form names are compared in. */
export function normalizeHost(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}
