// Reverse DNS of each outbound address and the EHLO name. Receivers look up
// the PTR of the connecting address, resolve that name forward and expect
// the address back (FCrDNS); many also compare it with the EHLO name
// (RFC 5321 §4.1.4 lets them record, not refuse, a mismatch; large
// receivers refuse missing PTRs anyway).
import type { Resolver } from 'node:dns/promises';
import { ehlo as e, general, ptr as m } from './messages.js';
import { lookupAddresses, lookupPtr, normalizeHost, sameAddress } from './dns-query.js';
import { finding, type Finding } from './types.js';
import { addressZoneLine } from './zone-line.js';

export interface PtrCheckInput {
  readonly resolver: Resolver;
  readonly hostname: string;
  readonly outboundAddresses: readonly string[];
  /** The PTR zone line for an address, as `hikyaku domain records` prints it. */
  readonly ptrZoneLineFor: (ip: string) => string;
}

export async function checkPtr(input: PtrCheckInput): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const ip of input.outboundAddresses) out.push(...(await checkAddress(input, ip)));
  return out;
}

async function checkAddress(input: PtrCheckInput, ip: string): Promise<Finding[]> {
  const { resolver } = input;
  const hostname = normalizeHost(input.hostname);
  const lookup = await lookupPtr(resolver, ip);
  if (lookup.kind === 'failed') return [finding('ptr.record', 'warning', ip, general.dnsFailed(m.title(ip), ip, lookup.code))];
  if (lookup.kind === 'none') return [finding('ptr.record', 'error', ip, m.missing(ip), input.ptrZoneLineFor(ip))];
  const names = lookup.values.map(normalizeHost);
  const out: Finding[] = [finding('ptr.record', 'ok', ip, m.ok(ip, names))];
  // FCrDNS: at least one PTR name must resolve back to the address.
  let confirmed: string | undefined;
  for (const name of names) {
    const forward = await lookupAddresses(resolver, name);
    if (forward.kind === 'found' && forward.values.some((a) => sameAddress(a, ip))) {
      confirmed = name;
      break;
    }
  }
  if (confirmed !== undefined) out.push(finding('ptr.fcrdns', 'ok', ip, m.fcrdnsOk(ip, confirmed)));
  else out.push(finding('ptr.fcrdns', 'error', ip, m.fcrdnsFailed(ip, names), addressZoneLine(names[0] as string, ip)));
  if (names.includes(hostname)) out.push(finding('ptr.hostname', 'ok', ip, m.hostnameOk(ip, hostname)));
  else out.push(finding('ptr.hostname', 'warning', ip, m.hostnameMismatch(ip, names, hostname)));
  return out;
}

/** The EHLO name must exist in DNS, and should point at the addresses we send from. */
export async function checkEhloName(input: Omit<PtrCheckInput, 'ptrZoneLineFor'>): Promise<Finding[]> {
  const hostname = normalizeHost(input.hostname);
  const lookup = await lookupAddresses(input.resolver, hostname);
  const firstIp = input.outboundAddresses[0];
  const fixLine = firstIp === undefined ? undefined : addressZoneLine(hostname, firstIp);
  if (lookup.kind === 'failed') return [finding('ehlo.resolves', 'warning', hostname, general.dnsFailed(e.title(hostname), hostname, lookup.code))];
  if (lookup.kind === 'none') return [finding('ehlo.resolves', 'error', hostname, e.missing(hostname), fixLine)];
  const ours = input.outboundAddresses;
  if (ours.length > 0 && !ours.some((ip) => lookup.values.some((a) => sameAddress(a, ip)))) {
    return [finding('ehlo.resolves', 'warning', hostname, e.notOurs(hostname, lookup.values, ours), fixLine)];
  }
  return [finding('ehlo.resolves', 'ok', hostname, e.ok(hostname, lookup.values))];
}
