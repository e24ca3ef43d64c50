// Where to deliver mail for a domain: the MX hosts in the order to try, with
// their addresses (RFC 5321 §5.1), or why there is nowhere to go.
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import type { promises as dnsPromises } from 'node:dns';
import { classifyDnsError, dnsErrorText } from './resolver.js';

type Resolver = dnsPromises.Resolver;

export interface MxHost {
  /** Host name, lower-case without trailing dot; for an address literal, the address itself. */
  readonly host: string;
  readonly preference: number;
  /** IPv4 addresses first, then IPv6, in the order DNS gave them. */
  readonly addresses: readonly string[];
}

export type MxLookup =
  | {
      readonly kind: 'hosts';
      readonly hosts: readonly MxHost[];
      /** True when there was no MX and the domain's own A/AAAA is used (RFC 5321 §5.1), or for an address literal. */
      readonly implicit: boolean;
      /** MX hosts left out and why, for the log ("mx1.example.com: ETIMEOUT"). */
      readonly skipped?: readonly string[];
    }
  | { readonly kind: 'null-mx' }
  | { readonly kind: 'nxdomain'; readonly detail: string }
  | { readonly kind: 'no-route'; readonly detail: string }
  | { readonly kind: 'temporary'; readonly detail: string };

// Resolving more MX hosts than this gains nothing (Postfix tries at most
// smtp_mx_address_limit = 5 addresses) and bounds the work a hostile MX set causes.
const MAX_MX_HOSTS = 16;

export async function lookupMx(resolver: Resolver, domain: string): Promise<MxLookup> {
  const literal = addressLiteral(domain);
  if (literal !== undefined) {
    if (literal === '') return { kind: 'no-route', detail: `${domain}: invalid address literal` };
    // RFC 5321 §4.1.3: mail to [address] goes to that address, no DNS involved.
    return { kind: 'hosts', implicit: true, hosts: [{ host: literal, preference: 0, addresses: [literal] }] };
  }

  const name = asciiDomain(domain);
  if (name === '') return { kind: 'nxdomain', detail: `${domain}: not a valid domain name` };

  let records: { exchange: string; priority: number }[];
  try {
    records = await resolver.resolveMx(name);
  } catch (err) {
    switch (classifyDnsError(err)) {
      case 'nxdomain':
        return { kind: 'nxdomain', detail: `${name}: domain does not exist (NXDOMAIN)` };
      case 'bad-name':
        return { kind: 'nxdomain', detail: `${name}: not a valid domain name (${dnsErrorText(err)})` };
      case 'nodata':
        return implicitMx(resolver, name);
      case 'temporary':
        return { kind: 'temporary', detail: `${name}: MX lookup failed: ${dnsErrorText(err)}` };
    }
  }
  if (records.length === 0) return implicitMx(resolver, name);

  // RFC 7505 §3: a null MX is the only MX, preference 0, exchange "." (which
  // c-ares hands back as ''). The domain accepts no mail: fail without connecting.
  const only = records.length === 1 ? records[0] : undefined;
  if (only && only.priority === 0 && isRoot(only.exchange)) return { kind: 'null-mx' };

  const skipped: string[] = [];
  const candidates: { host: string; preference: number }[] = [];
  const seen = new Set<string>();
  for (const mx of orderByPreference(records)) {
    const host = normalizeHost(mx.exchange);
    if (isRoot(mx.exchange)) {
      skipped.push(`"." at preference ${mx.priority}: a null MX mixed with other MX records`);
      continue;
    }
    if (isIP(host) !== 0) {
      // RFC 5321 §5.1: the MX answer is a domain name; an address there is a misconfiguration.
      skipped.push(`${host}: MX points at an IP address, not a host name`);
      continue;
    }
    if (seen.has(host)) continue; // keep the most preferred occurrence
    seen.add(host);
    candidates.push({ host, preference: mx.priority });
  }
  const limited = candidates.slice(0, MAX_MX_HOSTS);
  if (candidates.length > limited.length) skipped.push(`${candidates.length - limited.length} MX hosts beyond the first ${MAX_MX_HOSTS}`);

  const resolved = await Promise.all(limited.map(async (c) => ({ ...c, result: await resolveAddresses(resolver, c.host) })));
  const hosts: MxHost[] = [];
  let temporary = false;
  for (const r of resolved) {
    if (r.result.addresses.length > 0) {
      hosts.push({ host: r.host, preference: r.preference, addresses: r.result.addresses });
    } else {
      if (r.result.temporary) temporary = true;
      skipped.push(`${r.host}: ${r.result.detail}`);
    }
  }

  if (hosts.length > 0) {
    return skipped.length > 0 ? { kind: 'hosts', hosts, implicit: false, skipped } : { kind: 'hosts', hosts, implicit: false };
  }
  const why = skipped.join('; ');
  // A host that may resolve later means the next attempt may succeed: defer, not bounce.
  if (temporary) return { kind: 'temporary', detail: `${name}: no MX host address could be resolved now: ${why}` };
  return { kind: 'no-route', detail: `${name}: no MX host has an address: ${why}` };
}

/** RFC 5321 §5.1: no MX records → the domain itself is the single host, preference 0. */
async function implicitMx(resolver: Resolver, name: string): Promise<MxLookup> {
  const result = await resolveAddresses(resolver, name);
  if (result.addresses.length > 0) {
    return { kind: 'hosts', implicit: true, hosts: [{ host: name, preference: 0, addresses: result.addresses }] };
  }
  if (result.temporary) return { kind: 'temporary', detail: `${name}: no MX; address lookup failed: ${result.detail}` };
  if (result.nxdomain) return { kind: 'nxdomain', detail: `${name}: domain does not exist (NXDOMAIN)` };
  return { kind: 'no-route', detail: `${name}: no MX and no A/AAAA records` };
}

interface AddressResult {
  readonly addresses: string[];
  /** Nothing found and at least one of the two lookups may succeed later. */
  readonly temporary: boolean;
  readonly nxdomain: boolean;
  readonly detail: string;
}

/** A and AAAA in parallel; IPv4 first. Either family alone is enough. */
async function resolveAddresses(resolver: Resolver, host: string): Promise<AddressResult> {
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
  const failures = [v4, v6].filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  const kinds = failures.map((f) => classifyDnsError(f.reason));
  const texts = [...new Set(failures.map((f) => dnsErrorText(f.reason)))];
  const nxdomain = kinds.includes('nxdomain');
  let detail: string;
  if (addresses.length > 0) detail = 'resolved';
  else if (nxdomain) detail = 'host does not exist (NXDOMAIN)';
  else if (kinds.every((k) => k === 'nodata')) detail = 'no A/AAAA records';
  else detail = `address lookup failed: ${texts.join(', ')}`;
  return { addresses, temporary: kinds.includes('temporary'), nxdomain, detail };
}

/** Sort by preference, shuffling hosts of equal preference (RFC 5321 §5.1: "randomize them"). */
function orderByPreference<T extends { priority: number }>(records: readonly T[]): T[] {
  const shuffled = [...records];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j] as T, shuffled[i] as T];
  }
  // Array.prototype.sort is stable: the shuffle survives among equals.
  return shuffled.sort((a, b) => a.priority - b.priority);
}

function isRoot(exchange: string): boolean {
  return exchange === '' || exchange === '.';
}

function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/** Lower-case A-label form (IDNA) without trailing dot; '' if it cannot be a domain name. */
function asciiDomain(domain: string): string {
  const trimmed = domain.trim().replace(/\.$/, '');
  if (trimmed === '' || trimmed.startsWith('.') || trimmed.includes('..')) return '';
  return domainToASCII(trimmed).toLowerCase();
}

/**
 * The address of a domain literal: "[192.0.2.1]" or "[IPv6:2001:db8::1]"
 * (RFC 5321 §4.1.3). undefined if `domain` is not a literal; '' if it is one
 * but malformed.
 */
function addressLiteral(domain: string): string | undefined {
  const m = /^\[(.*)\]$/.exec(domain.trim());
  if (!m) return undefined;
  const inner = m[1] as string;
  const v6 = /^ipv6:(.*)$/i.exec(inner);
  if (v6) return isIP(v6[1] as string) === 6 ? (v6[1] as string).toLowerCase() : '';
  return isIP(inner) === 4 ? inner : '';
}
