// Reverse-lookup names for PTR records.
import net from 'node:net';

/** `4.3.2.1.in-addr.arpa` (RFC 1035 §3.5) or the nibble form under ip6.arpa (RFC 3596 §2.5). */
export function reverseDnsName(ip: string): string {
  if (net.isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  if (!net.isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  return `${expandIPv6(ip).split('').reverse().join('.')}.ip6.arpa`;
}

/** The 32 hex digits of an IPv6 address, lower-case, no colons. */
function expandIPv6(ip: string): string {
  let text = ip.toLowerCase().replace(/%.*$/, ''); // drop a zone index (fe80::1%eth0)
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const hex = (i: number): string => Number(v4[i]).toString(16).padStart(2, '0');
    text = `${text.slice(0, v4.index)}${hex(1)}${hex(2)}:${hex(3)}${hex(4)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(fill).fill('0'), ...tailGroups];
  return groups.map((g) => g.padStart(4, '0')).join('');
}
