// The addresses to try for a route, in order: each MX host's addresses in
// preference order (RFC 5321 §5.1), an address only once, at most
// MAX_ADDRESSES of them (Postfix: smtp_mx_address_limit = 5) so a domain with
// many dead MX hosts costs a bounded time per attempt.
import type { MxHost } from '../dns/mx-lookup.js';

export const MAX_ADDRESSES = 5;

export interface Candidate {
  /** The MX (or smarthost) name, for SNI, certificate checks and logs. */
  readonly host: string;
  readonly ip: string;
}

export function canonicalCandidates(hosts: readonly MxHost[], limit: number = MAX_ADDRESSES): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const h of hosts) {
    for (const ip of h.addresses) {
      if (seen.has(ip)) continue; // the same server under two MX names: once is enough
      seen.add(ip);
      out.push({ host: h.host, ip });
      if (out.length >= limit) return out;
    }
  }
  return out;
}
