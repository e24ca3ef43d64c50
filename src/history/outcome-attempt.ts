// A delivery outcome (core/outcome.ts) as the history records it. The reply
// text is the one the log line and `queue list` show (queue/delivery-log.ts).
import type { DeliveryFailure, RecipientOutcome } from '../core/outcome.js';
import { relayText, remoteReplyText } from '../queue/delivery-log.js';
import type { AttemptOutcome, HistoryAttempt } from './history-types.js';

export function attemptFromOutcome(o: RecipientOutcome, atMs: number): HistoryAttempt {
  if (o.kind === 'delivered') {
    const { remoteReply } = o;
    return withoutUndefined({
      rcptTo: o.rcptTo,
      atMs,
      outcome: 'delivered',
      remoteMta: relayText(o.relay),
      reply: remoteReplyText(remoteReply),
      code: remoteReply.code,
      enhanced: remoteReply.enhanced,
    });
  }
  return attemptFromFailure(o.rcptTo, o.kind, o.failure, atMs, relayText(o.relay));
}

export function attemptFromFailure(rcptTo: string, outcome: AttemptOutcome, failure: DeliveryFailure, atMs: number, remoteMta?: string): HistoryAttempt {
  const reply = failure.remoteReply;
  return withoutUndefined({
    rcptTo,
    atMs,
    outcome,
    remoteMta: remoteMta ?? failure.remoteMta,
    reply: reply === undefined ? undefined : remoteReplyText(reply),
    code: reply?.code,
    // Our own status when the remote said nothing (4.4.1 connection refused, 5.1.10 null MX…),
    // and for expiry (5.4.7) whose reply is the last attempt's.
    enhanced: outcome === 'expired' ? failure.status : (reply?.enhanced ?? failure.status),
    detail: failure.detail,
  });
}

/** exactOptionalPropertyTypes: absent, not undefined. */
function withoutUndefined(a: { [K in keyof HistoryAttempt]: HistoryAttempt[K] | undefined }): HistoryAttempt {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) if (v !== undefined) out[k] = v;
  return out as unknown as HistoryAttempt;
}
