// The key under which a client address is counted. IPv4 addresses count one
// by one. IPv6 addresses count per /64: one customer (or one attacker's
// server) usually gets a whole /64 and can pick a new address in it for
// every connection, so counting single IPv6 addresses would count nothing
// (RFC 6177 §2 recommends /56 or /48 per site; /64 is the smallest prefix
// any end site gets). IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, what a
// dual-stack listener reports for IPv4 clients) count as the IPv4 address.
import { BlockList, isIP } from 'node:net';

/** A BlockList of CIDR blocks ("192.0.2.0/24", "2001:db8::/32", or a single address), as the configuration validated them. */
export function networkList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [net = '', bits] = cidr.split('/');
    const family = isIP(net) === 6 ? 'ipv6' : 'ipv4';
    const prefix = bits === undefined ? (family === 'ipv6' ? 128 : 32) : Number(bits);
    list.addSubnet(net, prefix, family);
  }
  return list;
}

/** `192.0.2.1` → `192.0.2.1`; `2001:db8:0:1:a:b:c:d` → `2001:db8:0:1::/64`; `::ffff:192.0.2.1` → `192.0.2.1`. */
export function clientKey(address: string): string {
  if (!address.includes(':')) return address;
  let text = address.toLowerCase();
  const zone = text.indexOf('%'); // fe80::1%eth0: the zone names an interface, not a host
  if (zone >= 0) text = text.slice(0, zone);
  if (text.startsWith('::ffff:') && text.includes('.')) return text.slice('::ffff:'.length);
  const head = ipv6Head(text);
  return head === undefined ? address : `${head}::/64`;
}

/** The first four groups of an IPv6 address, without leading zeros; undefined when it is not IPv6. */
function ipv6Head(text: string): string | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves[1] ? halves[1].split(':') : [];
  // A trailing dotted quad (::ffff:0:192.0.2.1, 64:ff9b::192.0.2.1) stands for two groups.
  const rightGroups = right.length + (right.at(-1)?.includes('.') ? 1 : 0);
  const missing = 8 - left.length - rightGroups;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = halves.length === 1 ? left : [...left, ...Array<string>(missing).fill('0'), ...right];
  const head: string[] = [];
  for (const group of groups.slice(0, 4)) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return undefined;
    head.push(parseInt(group, 16).toString(16));
  }
  return head.join(':');
}
