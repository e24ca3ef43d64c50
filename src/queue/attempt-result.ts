// What one recipient's outcome means for the queue: the record to store and
// the facts for the log line. Pure, so each rule is tested row by row.
import { assertNever, type DeliveryFailure, type RecipientOutcome, type RelayInfo } from '../core/outcome.js';
import { isExpired, retryDelayMs, type RetrySchedule } from '../core/retry.js';
import type { RecipientUpdate, StoredRecipient } from './queue-store.js';
import { failureReplyText, lastErrorText, remoteReplyText } from './delivery-log.js';

export type AttemptStatus = 'sent' | 'deferred' | 'bounced' | 'expired';

export interface AttemptResult {
  readonly rcptTo: string;
  readonly status: AttemptStatus;
  /** RFC 3463 status: the remote's enhanced code when sent, else the failure's. */
  readonly dsn: string;
  readonly reply: string;
  readonly relay: RelayInfo | undefined;
  /** Absent when sent. For 'expired' it is the 5.4.7 failure, keeping the last remote reply. */
  readonly failure: DeliveryFailure | undefined;
  readonly update: RecipientUpdate;
}

export interface AttemptClock {
  readonly nowMs: number;
  /** When the message entered the queue. */
  readonly createdAtMs: number;
  readonly schedule: RetrySchedule;
}

/**
 * RFC 3463 §3.5: X.4.7 "Delivery time expired". The last remote reply stays in
 * the failure so that the DSN's Diagnostic-Code tells the sender why.
 */
export function expiredFailure(last: DeliveryFailure): DeliveryFailure {
  return {
    status: '5.4.7',
    stage: last.stage,
    remoteMta: last.remoteMta,
    remoteReply: last.remoteReply,
    detail: `delivery time expired; last error: ${last.status} ${last.detail}`,
  };
}

export function attemptResult(recipient: StoredRecipient, outcome: RecipientOutcome, clock: AttemptClock): AttemptResult {
  const base = { rcptTo: recipient.rcptTo, attempts: recipient.attempts };
  switch (outcome.kind) {
    case 'delivered': {
      const dsn = outcome.remoteReply.enhanced ?? '2.0.0';
      return {
        rcptTo: recipient.rcptTo,
        status: 'sent',
        dsn,
        reply: remoteReplyText(outcome.remoteReply),
        relay: outcome.relay,
        failure: undefined,
        update: { ...base, status: 'delivered', nextAttemptAtMs: recipient.nextAttemptAtMs, lastError: undefined, lastStatus: dsn },
      };
    }
    case 'bounced':
      return finalResult(recipient, 'bounced', outcome.failure, outcome.relay);
    case 'deferred': {
      const holdUntilMs = outcome.holdUntilMs;
      if (holdUntilMs === undefined && isExpired(clock.schedule, clock.createdAtMs, clock.nowMs)) {
        return finalResult(recipient, 'expired', expiredFailure(outcome.failure), outcome.relay);
      }
      const failure = outcome.failure;
      return {
        rcptTo: recipient.rcptTo,
        status: 'deferred',
        dsn: failure.status,
        reply: failureReplyText(failure),
        relay: outcome.relay,
        failure,
        update: {
          ...base,
          status: 'queued',
          // A hold is not an attempt: the count (bumped when the attempt was recorded) goes back.
          ...(holdUntilMs !== undefined ? { attempts: Math.max(0, recipient.attempts - 1) } : {}),
          nextAttemptAtMs: holdUntilMs ?? clock.nowMs + retryDelayMs(clock.schedule, Math.max(1, recipient.attempts)),
          lastError: lastErrorText(failure),
          lastStatus: failure.status,
        },
      };
    }
    default:
      return assertNever(outcome);
  }
}

function finalResult(
  recipient: StoredRecipient,
  status: 'bounced' | 'expired',
  failure: DeliveryFailure,
  relay: RelayInfo | undefined,
): AttemptResult {
  return {
    rcptTo: recipient.rcptTo,
    status,
    dsn: failure.status,
    reply: failureReplyText(failure),
    relay,
    failure,
    update: {
      rcptTo: recipient.rcptTo,
      status,
      attempts: recipient.attempts,
      nextAttemptAtMs: recipient.nextAttemptAtMs,
      lastError: lastErrorText(failure),
      lastStatus: failure.status,
    },
  };
}

/** The record that keeps a recipient queued for another try (used when a final status cannot be recorded yet). */
export function retryLater(result: AttemptResult, clock: AttemptClock): RecipientUpdate {
  return {
    ...result.update,
    status: 'queued',
    nextAttemptAtMs: clock.nowMs + retryDelayMs(clock.schedule, Math.max(1, result.update.attempts)),
  };
}

/** A deliver() that throws, or forgets a recipient: temporary local error (RFC 3463 §3.4: 4.3.0). */
export function localFailure(detail: string): DeliveryFailure {
  return { status: '4.3.0', stage: 'local', remoteMta: undefined, remoteReply: undefined, detail };
}
