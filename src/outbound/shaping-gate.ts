// The deliverer's view of the deliverability engine (src/deliverability/,
// given by main.ts): before a route's MX hosts are contacted the gate says
// "go" or "hold in the queue until …"; every remote reply may match a row of
// the reply table, which can turn the core classifier's verdict (classify.ts)
// into a retry or a bounce. Only types from core: outbound does not depend
// on the engine, and without a gate delivery is exactly as before.
import type { RemoteReply } from '../core/outcome.js';
import { statusFor, type Verdict } from './classify.js';

export type ReplyActionKind = 'retry' | 'slow' | 'suspend' | 'bounce';

export interface ShapingPass {
  readonly kind: 'go';
  /** The provider group, for logs; undefined = not a known provider. */
  readonly group: string | undefined;
  /** Close a connection after this many messages (the group's limit); undefined = the pool's. */
  readonly messagesPerConnection: number | undefined;
  /** The reply table's action for a reply from this group (slow and suspend take effect here); undefined = no row. */
  review(reply: RemoteReply): { readonly action: ReplyActionKind; readonly ruleId: string } | undefined;
  /** The delivery is over: frees the group's connection slot. Idempotent. */
  done(): void;
}

export interface ShapingHold {
  readonly kind: 'hold';
  readonly untilMs: number;
  /** RFC 3463 status for the log and a delay notice: 4.4.5 (congestion) or 4.7.0 (suspended). */
  readonly status: string;
  readonly detail: string;
}

export interface ShapingGate {
  /** Synchronous when no wait is needed (the common case costs no promise). */
  admit(mxHosts: readonly string[]): ShapingPass | ShapingHold | Promise<ShapingPass | ShapingHold>;
}

/** The core verdict, changed where the reply table has a row for the reply. */
export function reviewVerdict(pass: ShapingPass | undefined, verdict: Verdict): Verdict {
  if (pass === undefined || verdict.kind === 'delivered') return verdict;
  const f = verdict.failure;
  const reply = f.remoteReply;
  if (reply === undefined) return verdict;
  const row = pass.review(reply);
  if (row === undefined) return verdict;
  const tag = `[reply table: ${row.ruleId}]`;
  switch (row.action) {
    case 'retry':
      return verdict.kind === 'bounced' ? { kind: 'deferred', failure: { ...f, status: statusFor(reply, 4, '4.0.0'), detail: `${f.detail} ${tag}` } } : verdict;
    case 'slow':
    case 'suspend':
      // The whole group is throttled: another MX of the same provider would only be refused too.
      return verdict.kind === 'next-host' ? { kind: 'deferred', failure: { ...f, status: statusFor(reply, 4, '4.0.0') } } : verdict;
    case 'bounce':
      return verdict.kind === 'bounced' ? verdict : { kind: 'bounced', failure: { ...f, status: statusFor(reply, 5, '5.7.0'), detail: `${f.detail} ${tag}` } };
  }
}
