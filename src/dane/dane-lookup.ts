// DANE for one recipient domain (RFC 7672 §2): the MX records must be
// validated by the resolver (AD bit); then, per MX host, the TLSA records at
// _25._tcp.HOST. A host with usable validated TLSA records gets TLS checked
// against them or nothing; a host whose TLSA lookup fails (e.g. bogus
// signatures: SERVFAIL) gets nothing (§2.2); an unsigned domain or host
// goes on without DANE.
import { secureQuery } from './secure-query.js';
import { usableTlsa, type Tlsa } from './tlsa.js';

export type HostTlsa = { readonly kind: 'tlsa'; readonly records: readonly Tlsa[] } | { readonly kind: 'none' } | { readonly kind: 'failed'; readonly detail: string };

export type DaneLookup =
  /** The MX records are not validated (unsigned domain): no DANE. */
  | { readonly kind: 'insecure' }
  /** Validated MX records; per MX host name, its TLSA state. */
  | { readonly kind: 'secure'; readonly hosts: ReadonlyMap<string, HostTlsa> }
  /** The validating resolver failed or answered SERVFAIL (bogus?): defer. */
  | { readonly kind: 'failed'; readonly detail: string };

export async function lookupDane(resolver: string, domain: string, timeoutMs: number): Promise<DaneLookup> {
  let mx;
  try {
    mx = await secureQuery(resolver, domain, 'MX', timeoutMs);
  } catch (err) {
    return { kind: 'failed', detail: `DANE: the validating resolver ${resolver} did not answer for ${domain} MX: ${(err as Error).message}` };
  }
  if (mx.rcode === 'SERVFAIL') return { kind: 'failed', detail: `DANE: ${domain} MX: SERVFAIL from the validating resolver ${resolver} (DNSSEC validation failure?)` };
  if (!mx.authenticated || mx.answers.length === 0) return { kind: 'insecure' };
  const names = [...new Set(mx.answers.map((a) => String(((a as { data?: unknown }).data as { exchange: string }).exchange).toLowerCase().replace(/\.$/, '')))];
  const hosts = new Map<string, HostTlsa>();
  await Promise.all(names.map(async (host) => hosts.set(host, await hostTlsa(resolver, host, timeoutMs))));
  return { kind: 'secure', hosts };
}

async function hostTlsa(resolver: string, host: string, timeoutMs: number): Promise<HostTlsa> {
  const name = `_25._tcp.${host}`;
  let answer;
  try {
    answer = await secureQuery(resolver, name, 'TLSA', timeoutMs);
  } catch (err) {
    return { kind: 'failed', detail: `DANE: TLSA lookup of ${name} failed: ${(err as Error).message}` };
  }
  if (answer.rcode === 'SERVFAIL') return { kind: 'failed', detail: `DANE: TLSA lookup of ${name}: SERVFAIL (DNSSEC validation failure?)` };
  if (!answer.authenticated) return { kind: 'none' };
  const records = usableTlsa(
    answer.answers.map((a) => {
      const d = (a as { data?: unknown }).data as { usage: number; selector: number; matchingType: number; certificate: Buffer };
      return { usage: d.usage, selector: d.selector, matchingType: d.matchingType, data: Buffer.from(d.certificate) };
    }),
  );
  return records.length === 0 ? { kind: 'none' } : { kind: 'tlsa', records };
}

/**
 * DANE answers per domain, each reused for `rememberMs` (the validating
 * resolver caches too, but this saves the queries of every message to a busy
 * domain); at most 10,000 domains remembered.
 */
export function createDaneSource(options: { resolver: string; timeoutMs: number; rememberMs: number; now?: () => number }): { lookup(domain: string): Promise<DaneLookup> } {
  const now = options.now ?? Date.now;
  const recent = new Map<string, { untilMs: number; answer: Promise<DaneLookup> }>();
  return {
    lookup(domain) {
      const key = domain.toLowerCase();
      const hit = recent.get(key);
      if (hit !== undefined && hit.untilMs > now()) return hit.answer;
      const answer = lookupDane(options.resolver, key, options.timeoutMs);
      if (recent.size >= 10_000) recent.clear();
      recent.set(key, { untilMs: now() + options.rememberMs, answer });
      return answer;
    },
  };
}
