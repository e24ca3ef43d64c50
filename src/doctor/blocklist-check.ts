// DNS blocklists (RFC 5782): the address with its octets reversed, under the
// list's zone. An A answer in 127.0.0.0/8 means listed (§2.1), NXDOMAIN means
// not listed. Spamhaus answers 127.255.255.x to refuse a query (e.g. made
// through a public resolver): that is "unknown", not "listed".
import type { Resolver } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import { blocklist as m } from './messages.js';
import { lookupTxt } from './dns-query.js';
import { finding, type Finding } from './types.js';

export interface BlocklistCheckInput {
  readonly resolver: Resolver;
  readonly zones: readonly string[];
  readonly outboundAddresses: readonly string[];
}

export async function checkBlocklists(input: BlocklistCheckInput): Promise<Finding[]> {
  const checks: Promise<Finding>[] = [];
  const out: Finding[] = [];
  for (const ip of input.outboundAddresses) {
    if (!isIPv4(ip)) {
      out.push(finding('blocklist.listed', 'info', ip, m.ipv6(ip)));
      continue;
    }
    for (const zone of input.zones) checks.push(checkOne(input.resolver, ip, zone));
  }
  // The lists are independent: query them in parallel so a slow one costs one timeout, not many.
  return [...out, ...(await Promise.all(checks))];
}

async function checkOne(resolver: Resolver, ip: string, zone: string): Promise<Finding> {
  const name = `${ip.split('.').reverse().join('.')}.${zone.replace(/\.$/, '')}`;
  let answers: string[];
  try {
    answers = await resolver.resolve4(name);
  } catch (err) {
    const code = String((err as { code?: unknown }).code ?? err);
    if (code === 'ENOTFOUND' || code === 'ENODATA') return finding('blocklist.listed', 'ok', ip, m.clean(ip, zone));
    return finding('blocklist.listed', 'warning', ip, m.failed(ip, zone, code));
  }
  if (answers.length === 0) return finding('blocklist.listed', 'ok', ip, m.clean(ip, zone));
  if (answers.some((a) => a.startsWith('127.255.255.'))) return finding('blocklist.listed', 'warning', ip, m.refused(ip, zone, answers));
  if (!answers.some((a) => a.startsWith('127.'))) {
    // RFC 5782 §2.1: answers outside 127/8 are not listings (often a resolver's NXDOMAIN rewriting).
    return finding('blocklist.listed', 'warning', ip, m.failed(ip, zone, `unexpected answer ${answers.join(', ')}`));
  }
  // RFC 5782 §2.1: the TXT record at the same name usually says why and where to delist.
  const reason = await lookupTxt(resolver, name);
  const text = reason.kind === 'found' ? reason.values.join(' ') : undefined;
  return finding('blocklist.listed', 'error', ip, m.listed(ip, zone, answers, text));
}
