// The sending domain's own MX: replies and bounces come back through it,
// and receivers distrust sender domains that cannot receive mail
// (RFC 5321 §5.1 falls back to the A record; RFC 7505 null MX says "none").
import type { Resolver } from 'node:dns/promises';
import { general, mx as m } from './messages.js';
import { lookupAddresses, lookupMx, normalizeHost } from './dns-query.js';
import { finding, type Finding } from './types.js';

export async function checkMx(resolver: Resolver, domain: string): Promise<Finding[]> {
  const lookup = await lookupMx(resolver, domain);
  if (lookup.kind === 'failed') return [finding('mx.record', 'warning', domain, general.dnsFailed(m.title(domain), domain, lookup.code))];
  if (lookup.kind === 'found') {
    const hosts = [...lookup.values].sort((a, b) => a.priority - b.priority).map((r) => normalizeHost(r.exchange));
    // RFC 7505 §3: a single MX with an empty exchange ('.') is a null MX.
    if (hosts.length === 1 && hosts[0] === '') return [finding('mx.record', 'warning', domain, m.nullMx(domain))];
    return [finding('mx.record', 'ok', domain, m.ok(domain, hosts.filter((h) => h !== '')))];
  }
  if (lookup.nxdomain) return [finding('mx.record', 'error', domain, m.nxdomain(domain))];
  // No MX, but the name exists: mail falls back to its A/AAAA record (RFC 5321 §5.1);
  // with neither, receivers checking the sender domain (Postfix reject_unknown_sender_domain) refuse it.
  const address = await lookupAddresses(resolver, domain);
  const example = `${domain}. 3600 IN MX 10 mx.your-mail-service.example.`;
  if (address.kind === 'none') return [finding('mx.record', 'error', domain, m.missingNoAddress(domain), example)];
  return [finding('mx.record', 'warning', domain, m.missing(domain), example)];
}
