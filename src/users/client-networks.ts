// The client networks an app password may be used from (e.g. the web
// server a WordPress shop runs on): a stolen app password is then useless
// from anywhere else. An empty list means any network.
import { BlockList, isIP } from 'node:net';

/** "192.0.2.0/24", "2001:db8::/32" or a bare address (stored as /32 or /128); undefined when invalid. */
export function parseNetwork(text: string): string | undefined {
  const [address = '', prefixText, extra] = text.trim().split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return undefined;
  const maxPrefix = family === 4 ? 32 : 128;
  if (prefixText === undefined) return `${address}/${maxPrefix}`;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) return undefined;
  return `${address}/${prefixText}`;
}

/** True when `networks` is empty or `clientIp` lies in one of them. IPv4-mapped IPv6 (::ffff:a.b.c.d, as Node reports IPv4 clients on a dual-stack socket) counts as IPv4. */
export function clientAllowed(clientIp: string | undefined, networks: readonly string[]): boolean {
  if (networks.length === 0) return true;
  if (clientIp === undefined) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(clientIp)?.[1];
  const ip = mapped ?? clientIp;
  const family = isIP(ip);
  if (family === 0) return false;
  const list = new BlockList();
  for (const network of networks) {
    const [address = '', prefix] = network.split('/');
    const netFamily = isIP(address);
    if (netFamily !== 0) list.addSubnet(address, Number(prefix), netFamily === 4 ? 'ipv4' : 'ipv6');
  }
  return list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}
