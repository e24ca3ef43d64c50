// A DNSSEC-signed test zone: keys made by ldns-keygen, the zone signed by
// ldns-signzone (Debian's ldnsutils), the signed records turned into a Zone
// for the test DNS server (dns-server.ts serves them, RRSIGs on the DO bit),
// and the key as a trust anchor for a local validating resolver
// (unbound.ts). Nothing is hand-signed: the signatures are ldns's.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Answer } from 'dns-packet';
import type { RecordSet, Zone } from './dns-server.js';

const run = promisify(execFile);

export interface SignedZone {
  readonly zone: Zone;
  /** The zone's DNSKEY as a presentation-format RR, for unbound's trust-anchor. */
  readonly trustAnchor: string;
}

/**
 * Sign `records` (zone-file lines, names fully qualified with a trailing dot)
 * for `origin` in `dir`. The SOA and NS records are added here.
 */
export async function signZone(dir: string, origin: string, records: readonly string[]): Promise<SignedZone> {
  const o = origin.replace(/\.$/, '');
  const zoneFile = join(dir, `${o}.zone`);
  const lines = [
    `$ORIGIN ${o}.`,
    '$TTL 3600',
    `${o}. 3600 IN SOA ns.${o}. hostmaster.${o}. 1 3600 600 86400 60`,
    `${o}. 3600 IN NS ns.${o}.`,
    `ns.${o}. 3600 IN A 127.0.0.1`,
    ...records,
  ];
  writeFileSync(zoneFile, lines.join('\n') + '\n');
  const { stdout } = await run('ldns-keygen', ['-a', 'ECDSAP256SHA256', '-k', `${o}.`], { cwd: dir });
  const base = stdout.trim();
  await run('ldns-signzone', ['-f', `${zoneFile}.signed`, zoneFile, base], { cwd: dir });
  const trustAnchor = readFileSync(join(dir, `${base}.key`), 'utf8').split(';')[0]!.trim();
  return { zone: parseSigned(readFileSync(`${zoneFile}.signed`, 'utf8')), trustAnchor };
}

function parseSigned(text: string): Zone {
  const zone: Zone = {};
  const setOf = (name: string): RecordSet => (zone[name] ??= {});
  for (const raw of text.split('\n')) {
    const line = raw.split(';')[0]!.trim();
    if (line === '') continue;
    const [owner, ttlText, cls, type, ...rdata] = line.split(/\s+/);
    if (owner === undefined || cls !== 'IN' || type === undefined) continue;
    const name = owner.replace(/\.$/, '').toLowerCase();
    const set = setOf(name);
    const dnssec = (record: Omit<Answer, 'name' | 'ttl' | 'class'>): void => {
      set.DNSSEC = [...(set.DNSSEC ?? []), { ...record, name, ttl: Number(ttlText), class: 'IN' } as Answer];
    };
    const noDot = (n: string): string => n.replace(/\.$/, '');
    switch (type) {
      case 'A':
        set.A = [...(set.A ?? []), rdata[0] as string];
        break;
      case 'MX':
        set.MX = [...(set.MX ?? []), { preference: Number(rdata[0]), exchange: noDot(rdata[1] as string) }];
        break;
      case 'NS':
        set.NS = [...(set.NS ?? []), noDot(rdata[0] as string)];
        break;
      case 'SOA':
        dnssec({
          type: 'SOA',
          data: { mname: noDot(rdata[0]!), rname: noDot(rdata[1]!), serial: Number(rdata[2]), refresh: Number(rdata[3]), retry: Number(rdata[4]), expire: Number(rdata[5]), minimum: Number(rdata[6]) },
        } as Omit<Answer, 'name' | 'ttl' | 'class'>);
        break;
      case 'DNSKEY':
        dnssec({ type: 'DNSKEY', data: { flags: Number(rdata[0]), algorithm: Number(rdata[2]), key: Buffer.from(rdata.slice(3).join(''), 'base64') } } as Omit<Answer, 'name' | 'ttl' | 'class'>);
        break;
      case 'TLSA':
        dnssec({ type: 'TLSA', data: { usage: Number(rdata[0]), selector: Number(rdata[1]), matchingType: Number(rdata[2]), certificate: Buffer.from(rdata.slice(3).join(''), 'hex') } } as unknown as Omit<Answer, 'name' | 'ttl' | 'class'>);
        break;
      case 'NSEC':
        dnssec({ type: 'NSEC', data: { nextDomain: noDot(rdata[0]!), rrtypes: rdata.slice(1) } } as Omit<Answer, 'name' | 'ttl' | 'class'>);
        break;
      case 'RRSIG':
        dnssec({
          type: 'RRSIG',
          data: {
            typeCovered: rdata[0]!,
            algorithm: Number(rdata[1]),
            labels: Number(rdata[2]),
            originalTTL: Number(rdata[3]),
            expiration: dnssecTime(rdata[4]!),
            inception: dnssecTime(rdata[5]!),
            keyTag: Number(rdata[6]),
            signersName: noDot(rdata[7]!),
            signature: Buffer.from(rdata.slice(8).join(''), 'base64'),
          },
        } as Omit<Answer, 'name' | 'ttl' | 'class'>);
        break;
      default:
        throw new Error(`signed zone: record type ${type} not handled`);
    }
  }
  return zone;
}

/** RFC 4034 §3.2: YYYYMMDDHHmmSS (UTC) → seconds since the epoch. */
function dnssecTime(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) return Number(text);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
}
