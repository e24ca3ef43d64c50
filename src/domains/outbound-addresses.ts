// The public addresses this server sends from, for SPF and PTR advice.
import net from 'node:net';
import os from 'node:os';

export interface OutboundAddresses {
  readonly addresses: readonly string[];
  /** True when they were read from the machine's interfaces (config left empty). */
  readonly detected: boolean;
  /** Interface addresses left out because they cannot be seen from the Internet. */
  readonly skipped: readonly string[];
}

/** The configured addresses, or else the machine's non-internal interface addresses that are public. */
export function outboundAddresses(configured: readonly string[]): OutboundAddresses {
  if (configured.length > 0) return { addresses: [...configured], detected: false, skipped: [] };
  const addresses: string[] = [];
  const skipped: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.internal) continue;
      const ip = info.address.replace(/%.*$/, '');
      if (addresses.includes(ip) || skipped.includes(ip)) continue;
      (isPublicAddress(ip) ? addresses : skipped).push(ip);
    }
  }
  return { addresses, detected: true, skipped };
}

// Loopback, "this network" (RFC 1122), private (RFC 1918, RFC 4193), shared
// (RFC 6598) and link-local (RFC 3927, RFC 4291) ranges: a receiving MX never
// sees our mail come from these.
const NON_PUBLIC = new net.BlockList();
NON_PUBLIC.addSubnet('0.0.0.0', 8, 'ipv4');
NON_PUBLIC.addSubnet('10.0.0.0', 8, 'ipv4');
NON_PUBLIC.addSubnet('100.64.0.0', 10, 'ipv4');
NON_PUBLIC.addSubnet('127.0.0.0', 8, 'ipv4');
NON_PUBLIC.addSubnet('169.254.0.0', 16, 'ipv4');
NON_PUBLIC.addSubnet('172.16.0.0', 12, 'ipv4');
NON_PUBLIC.addSubnet('192.168.0.0', 16, 'ipv4');
NON_PUBLIC.addSubnet('::', 127, 'ipv6'); // :: and ::1
NON_PUBLIC.addSubnet('fc00::', 7, 'ipv6');
NON_PUBLIC.addSubnet('fe80::', 10, 'ipv6');

export function isPublicAddress(ip: string): boolean {
  const family = net.isIPv4(ip) ? 'ipv4' : net.isIPv6(ip) ? 'ipv6' : undefined;
  if (family === undefined) return false;
  return !NON_PUBLIC.check(ip, family);
}
