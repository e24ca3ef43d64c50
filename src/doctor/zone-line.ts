// Zone-file lines for the records the doctor itself composes (a merged or
// amended SPF record, an A record for a host name), in the same form as
// domains/records.ts writes the records Hikyaku asks for.
import { splitTxtForZone } from '../domains/records.js';

const TTL = 3600;

export function txtZoneLine(name: string, value: string): string {
  return `${fqdn(name)} ${TTL} IN TXT ${splitTxtForZone(value)}`;
}

export function addressZoneLine(name: string, ip: string): string {
  return `${fqdn(name)} ${TTL} IN ${ip.includes(':') ? 'AAAA' : 'A'} ${ip}`;
}

export function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}
