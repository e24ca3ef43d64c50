// The DNS names mail clients look up to configure themselves from an address
// alone (issue 10 point 9): Thunderbird fetches https://autoconfig.DOMAIN/,
// Outlook tries https://autodiscover.DOMAIN/ and the SRV record
// _autodiscover._tcp.DOMAIN (RFC 2782). They are optional: a missing name is
// information with the record to publish, not a warning about sending mail.
import type { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { autoconfig as m, general } from './messages.js';
import { lookupAddresses, normalizeHost } from './dns-query.js';
import { finding, type Finding } from './types.js';
import { fqdn } from './zone-line.js';

export interface AutoconfigCheckInput {
  readonly resolver: Resolver;
  readonly domain: string;
  /** The host that serves the HTTP listener to clients (autoconfig.smtpHost, else hostname). */
  readonly host: string;
}

export async function checkAutoconfigNames(input: AutoconfigCheckInput): Promise<Finding[]> {
  const [thunderbird, autodiscover] = await Promise.all([checkThunderbird(input), checkAutodiscover(input)]);
  return [thunderbird, autodiscover];
}

const cname = (name: string, host: string): string => `${fqdn(name)} 3600 IN CNAME ${fqdn(host)}`;

async function checkThunderbird({ resolver, domain, host }: AutoconfigCheckInput): Promise<Finding> {
  const name = `autoconfig.${domain}`;
  const title = m.thunderbirdTitle(domain);
  const lookup = await lookupAddresses(resolver, name);
  if (lookup.kind === 'failed') return finding('autoconfig.thunderbird', 'warning', domain, general.dnsFailed(title, name, lookup.code));
  if (lookup.kind === 'found') return finding('autoconfig.thunderbird', 'ok', domain, m.found(title, name, lookup.values));
  return finding('autoconfig.thunderbird', 'info', domain, m.missingThunderbird(domain), cname(name, host));
}

async function checkAutodiscover({ resolver, domain, host }: AutoconfigCheckInput): Promise<Finding> {
  const name = `autodiscover.${domain}`;
  const srvName = `_autodiscover._tcp.${domain}`;
  const title = m.autodiscoverTitle(domain);
  const [lookup, srv] = await Promise.all([lookupAddresses(resolver, name), lookupSrv(resolver, srvName)]);
  if (lookup.kind === 'found') return finding('autoconfig.autodiscover', 'ok', domain, m.found(title, name, lookup.values));
  if (srv.kind === 'found') return finding('autoconfig.autodiscover', 'ok', domain, m.found(title, srvName, srv.values));
  const failed = lookup.kind === 'failed' ? lookup.code : srv.kind === 'failed' ? srv.code : undefined;
  if (failed !== undefined) return finding('autoconfig.autodiscover', 'warning', domain, general.dnsFailed(title, name, failed));
  return finding('autoconfig.autodiscover', 'info', domain, m.missingAutodiscover(domain), cname(name, host));
}

type SrvLookup = { readonly kind: 'found'; readonly values: string[] } | { readonly kind: 'none' } | { readonly kind: 'failed'; readonly code: string };

/** SRV targets as "host:port"; no record (NXDOMAIN or NODATA) is "none". */
async function lookupSrv(resolver: Resolver, name: string): Promise<SrvLookup> {
  try {
    const records = await resolver.resolveSrv(name);
    return records.length === 0 ? { kind: 'none' } : { kind: 'found', values: records.map((r) => `${normalizeHost(r.name)}:${r.port}`) };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return { kind: 'none' };
    return { kind: 'failed', code: typeof code === 'string' ? code : String(err) };
  }
}

/** The HTTP listener's rule (api/http-server.ts): a loopback address is reachable from this host only. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}
