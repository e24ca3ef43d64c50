// Who is sending, as the policy sees it: an authenticated credential (a
// user's password or one of its app passwords), or a client of the port-25
// listener trusted by its network. SMTP sessions and the HTTP API build one
// of these and hand it to SendingPolicy.
import type { Principal } from '../users/principal.js';

export type Sender =
  | { readonly kind: 'user'; readonly principal: Principal; readonly clientIp: string }
  | { readonly kind: 'trusted'; readonly clientIp: string };

/** The counter key of the credential itself: the user's password, or one app password. */
export function credentialKey(principal: Principal): string {
  return credentialKeyOf(principal.user, principal.credential.kind === 'password' ? undefined : principal.credential.label);
}

export function credentialKeyOf(user: string, appPasswordLabel: string | undefined): string {
  return appPasswordLabel === undefined ? `user:${user}` : `app:${user}/${appPasswordLabel}`;
}

/** What the logs and replies call the sender: "info@example.com", "info@example.com (app password wordpress)", "trusted client 192.0.2.1". */
export function senderName(sender: Sender): string {
  if (sender.kind === 'trusted') return `trusted client ${sender.clientIp}`;
  const { principal } = sender;
  return principal.credential.kind === 'password' ? principal.user : `${principal.user} (app password ${principal.credential.label})`;
}
