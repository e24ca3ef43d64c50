// Which final delivery failures put a recipient on the suppression list.
//
// Only a permanent statement that the recipient ADDRESS is bad (RFC 3463
// §3.2, X.1.x "Addressing status") and that comes from the other side:
//
//   5.1.1  Bad destination mailbox address     (the mailbox does not exist)
//   5.1.2  Bad destination system address      (the domain does not take mail)
//   5.1.3  Bad destination mailbox syntax      (no server will ever accept it)
//   5.1.6  Destination mailbox has moved, no forwarding address
//   5.1.10 Recipient address has null MX       (RFC 7505 §4.3)
//
// Not: 5.1.0 (unspecified: could be anything about an address), 5.1.4
// (ambiguous: the address may be fine once qualified), 5.1.5 (valid, a
// success detail), 5.1.7 / 5.1.8 (the SENDER's address is bad: our problem,
// not the recipient's), 5.1.9 (RFC 3886: relayed to a non-compliant mailer).
// Nothing temporary (4.x.x), nothing about policy or content (5.7.x spam
// rejects often come and go), and none of our own decisions: expiry (5.4.7),
// a bad address we refused to try (5.1.3 at stage 'local'), a size limit.
//
// Where the failure came from:
// - stage 'rcpt' with the remote reply: the server named this recipient. A
//   5xx at MAIL or DATA is about the whole transaction (often the sender or
//   the content) and cannot be pinned on one recipient, so it never counts.
// - stage 'dns' with 5.1.10: the recipient's domain publishes a null MX, its
//   owner's explicit "this domain accepts no mail" (RFC 7505 §3). Our own
//   NXDOMAIN / no-route 5.1.2 does NOT count: that is our resolver's view at
//   one moment (a domain being registered, a lapsed delegation), and it costs
//   no reputation to look again; a remote server's 5.1.2 at RCPT does count.
import type { DeliveryFailure } from '../core/outcome.js';

/** RFC 3463 X.1.x details that condemn the recipient address itself. */
const BAD_RECIPIENT_DETAILS: ReadonlySet<string> = new Set(['5.1.1', '5.1.2', '5.1.3', '5.1.6', '5.1.10']);

export interface Suppression {
  /** What goes in the list's reason column: who said what, as received. */
  readonly reason: string;
}

/** The list entry this final failure calls for, or undefined when it must not suppress the recipient. */
export function suppressionFor(failure: DeliveryFailure): Suppression | undefined {
  if (!BAD_RECIPIENT_DETAILS.has(failure.status)) return undefined;
  if (failure.stage === 'dns') return failure.status === '5.1.10' ? { reason: `${failure.status} ${failure.detail}` } : undefined;
  const reply = failure.remoteReply;
  // The status must be the remote's own enhanced code on a 5xx, not a class
  // we derived (a "450 4.1.1" deferred then expired is no hard bounce).
  if (failure.stage !== 'rcpt' || reply === undefined || reply.code < 500 || reply.code > 599) return undefined;
  if (reply.enhanced !== failure.status) return undefined;
  return { reason: reasonText(failure.remoteMta, reply.code, reply.enhanced, reply.text) };
}

function reasonText(remoteMta: string | undefined, code: number, enhanced: string, text: string): string {
  // One line, as `queue list` shows a reply: multi-line replies are joined.
  const said = `${code} ${enhanced} ${text.replace(/\r?\n/g, ' ')}`.trimEnd();
  return remoteMta === undefined ? said : `host ${remoteMta} said: ${said}`;
}
