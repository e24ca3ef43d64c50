// Never an open relay: a recipient is accepted only from an authenticated
// session, or on the port-25 listener from a trusted network (Postfix's
// permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination:
// we host no mailboxes, so every recipient is a relay).
import { isIP, type BlockList } from 'node:net';

// The trusted networks are a BlockList like every other client network list.
export { networkList as trustedNetworkList } from '../policy/client-address.js';

export type ListenerKind = 'submission' | 'submissions' | 'relay';

/** The client's address as BlockList wants it: IPv4-mapped IPv6 (::ffff:a.b.c.d) as IPv4. */
export function normalizeClientIp(address: string): { ip: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return { ip: mapped[1], family: 'ipv4' };
  return { ip: address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export function isTrustedClient(trusted: BlockList, address: string): boolean {
  const { ip, family } = normalizeClientIp(address);
  return isIP(ip) !== 0 && trusted.check(ip, family);
}

export interface RelayDecisionInput {
  readonly listener: ListenerKind;
  readonly authenticatedUser: string | undefined;
  readonly trustedClient: boolean;
}

export function mayRelay(input: RelayDecisionInput): boolean {
  if (input.authenticatedUser !== undefined) return true;
  return input.listener === 'relay' && input.trustedClient;
}
