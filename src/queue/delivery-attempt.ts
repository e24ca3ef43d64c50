// One delivery attempt of one message: pick the recipients, record the
// attempt, call deliver(), then record what happened (bounce and delay
// notices first). Never throws: every failure is logged and the message
// stays in the store for its next attempt.
import type { Logger } from 'pino';
import { notifies, type EnvelopeParams, type RecipientParams } from '../core/envelope.js';
import type { DeliveryFailure, RecipientOutcome, RelayInfo, RemoteReply } from '../core/outcome.js';
import { retryDelayMs, type RetrySchedule } from '../core/retry.js';
import type { QueueStore, RecipientUpdate, StoredMessage } from './queue-store.js';
import { attemptResult, localFailure, retryLater, type AttemptClock, type AttemptResult } from './attempt-result.js';
import { relayText, tlsText } from './delivery-log.js';

export interface DeliveryRequest {
  readonly id: string;
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  readonly message: Buffer;
  /** RFC 3461 / RFC 6531 parameters, passed on to a next hop that offers DSN / SMTPUTF8. */
  readonly params?: EnvelopeParams | undefined;
  /** Has octets over 127 (stored at intake): BODY=8BITMIME, or the 7-bit downgrade. */
  readonly eightBit: boolean;
}

/** A recipient whose NOTIFY asked for SUCCESS and whose next hop did not take DSN over: a "relayed" DSN is due (RFC 3461 §6.2.1). */
export interface RelayedRecipient {
  readonly rcptTo: string;
  readonly relay: RelayInfo;
  readonly remoteReply: RemoteReply;
}

export interface FinalFailure {
  readonly rcptTo: string;
  readonly kind: 'bounced' | 'expired';
  readonly failure: DeliveryFailure;
}

export interface AttemptContext {
  readonly store: QueueStore;
  readonly deliver: (request: DeliveryRequest) => Promise<RecipientOutcome[]>;
  readonly schedule: RetrySchedule;
  readonly logger: Logger;
  readonly onFailed: (message: StoredMessage, failed: readonly FinalFailure[]) => Promise<void>;
  readonly onDelayed: (message: StoredMessage, deferred: readonly { rcptTo: string; failure: DeliveryFailure }[]) => Promise<void>;
  /** Success DSNs (NOTIFY=SUCCESS); must durably enqueue before resolving. Not for null sender. */
  readonly onRelayed?: ((message: StoredMessage, relayed: readonly RelayedRecipient[]) => Promise<void>) | undefined;
  /** Each recipient's result as logged (sent, deferred, bounced, expired), with the time since acceptance (metrics). */
  readonly onAttempt?: ((status: string, delayMs: number) => void) | undefined;
}

/**
 * Where the attempt comes from:
 * - 'memory': just enqueued; intake already recorded this first attempt, the body is at hand.
 * - 'notified': enqueued a while ago but had to wait for a free slot; re-checked against the store.
 * - 'store': found due by the poll.
 */
export type AttemptSource =
  | {
      readonly kind: 'memory';
      readonly mailFrom: string;
      readonly rcptTo: readonly string[];
      readonly message: Buffer;
      readonly acceptedAtMs: number;
      readonly params?: EnvelopeParams | undefined;
      readonly eightBit: boolean;
    }
  | { readonly kind: 'notified'; readonly message: Buffer | undefined }
  | { readonly kind: 'store' };

/** 'failed': the store refused a read or write; the caller should not retry at once. */
export type AttemptEnd = 'attempted' | 'skipped' | 'failed';

export async function runAttempt(ctx: AttemptContext, id: string, source: AttemptSource): Promise<AttemptEnd> {
  try {
    const request = await prepare(ctx, id, source);
    if (!request) return 'skipped';
    const outcomes = await callDeliver(ctx, request);
    // A success DSN needs the stored copy (its headers), so that case takes the full path.
    if (source.kind === 'memory' && outcomes.every((o) => o.kind === 'delivered') && !wantsSuccess(source.params?.recipients)) {
      await settleDelivered(ctx, id, source.acceptedAtMs, outcomes);
    } else {
      await settle(ctx, request, outcomes);
    }
    return 'attempted';
  } catch (err) {
    ctx.logger.error({ err, queueId: id }, 'delivery attempt could not be completed; the message stays queued');
    return 'failed';
  }
}

async function prepare(ctx: AttemptContext, id: string, source: AttemptSource): Promise<DeliveryRequest | undefined> {
  if (source.kind === 'memory') return { id, mailFrom: source.mailFrom, rcptTo: source.rcptTo, message: source.message, params: source.params, eightBit: source.eightBit };
  const stored = await ctx.store.load(id);
  if (!stored || stored.held) return undefined;
  const nowMs = Date.now();
  let rcptTo: string[];
  if (source.kind === 'notified') {
    // Still the first attempt that intake recorded (attempts = 1)? If the poll
    // got there first, it has bumped the count and this one has nothing to do.
    rcptTo = stored.recipients.filter((r) => r.status === 'queued' && r.attempts <= 1).map((r) => r.rcptTo);
  } else {
    const due = stored.recipients.filter((r) => r.status === 'queued' && r.nextAttemptAtMs <= nowMs);
    if (due.length === 0) return undefined;
    // Record the attempt before making it (as mox does): if we crash during
    // delivery, the message is retried at this next attempt time, not at once
    // on restart, so a crash loop never hammers a remote server.
    await ctx.store.updateRecipients(
      id,
      due.map((r): RecipientUpdate => ({
        rcptTo: r.rcptTo,
        status: 'queued',
        attempts: r.attempts + 1,
        nextAttemptAtMs: nowMs + retryDelayMs(ctx.schedule, r.attempts + 1),
        lastError: r.lastError,
        lastStatus: r.lastStatus,
      })),
    );
    rcptTo = due.map((r) => r.rcptTo);
  }
  if (rcptTo.length === 0) return undefined;
  const message = (source.kind === 'notified' ? source.message : undefined) ?? (await ctx.store.readMessage(id));
  if (!message) {
    ctx.logger.error({ queueId: id }, 'queued message has no body; it will expire');
    return undefined;
  }
  return { id, mailFrom: stored.mailFrom, rcptTo, message, params: storedParams(stored), eightBit: stored.eightBit };
}

function wantsSuccess(recipients: ReadonlyMap<string, RecipientParams> | undefined): boolean {
  if (recipients === undefined) return false;
  for (const p of recipients.values()) if (notifies(p.notify, 'SUCCESS')) return true;
  return false;
}

/** The RFC 3461 / RFC 6531 parameters as stored, in the form delivery takes. */
function storedParams(stored: StoredMessage): EnvelopeParams | undefined {
  const recipients = new Map<string, RecipientParams>();
  for (const r of stored.recipients) {
    if (r.notify !== undefined || r.orcpt !== undefined) recipients.set(r.rcptTo, { notify: r.notify, orcpt: r.orcpt });
  }
  const { ret, envId, smtputf8, requireTls } = stored;
  if (recipients.size === 0 && ret === undefined && envId === undefined && smtputf8 !== true && requireTls !== true) return undefined;
  return { ret, envId, smtputf8, recipients: recipients.size === 0 ? undefined : recipients, ...(requireTls === true ? { requireTls } : {}) };
}

async function callDeliver(ctx: AttemptContext, request: DeliveryRequest): Promise<RecipientOutcome[]> {
  try {
    return await ctx.deliver(request);
  } catch (err) {
    // Unknown errors count as temporary (maddy): defer, never crash, never bounce.
    ctx.logger.error({ err, queueId: request.id }, 'delivery failed with an internal error');
    const failure = localFailure('internal error during delivery');
    return request.rcptTo.map((rcptTo) => ({ kind: 'deferred', rcptTo, relay: undefined, failure }));
  }
}

/**
 * The common case, kept cheap: a first attempt, made from memory, delivered
 * to every recipient. Nothing to bounce or notify, so the stored copy need
 * not be read back; recording the outcome removes the message.
 */
async function settleDelivered(ctx: AttemptContext, id: string, acceptedAtMs: number, outcomes: readonly RecipientOutcome[]): Promise<void> {
  const clock: AttemptClock = { nowMs: Date.now(), createdAtMs: acceptedAtMs, schedule: ctx.schedule };
  const updates = outcomes.map((outcome) => {
    // As intake stored it: first attempt recorded, nothing failed yet.
    const recipient = { rcptTo: outcome.rcptTo, status: 'queued', attempts: 1, nextAttemptAtMs: clock.nowMs, lastError: undefined, lastStatus: undefined } as const;
    const result = attemptResult(recipient, outcome, clock);
    logAttempt(ctx, id, acceptedAtMs, result, clock);
    return result.update;
  });
  await ctx.store.updateRecipients(id, updates);
}

async function settle(ctx: AttemptContext, request: DeliveryRequest, outcomes: readonly RecipientOutcome[]): Promise<void> {
  const message = await ctx.store.load(request.id);
  if (!message) {
    ctx.logger.warn({ queueId: request.id }, 'message left the queue during delivery; outcome not recorded');
    return;
  }
  const clock: AttemptClock = { nowMs: Date.now(), createdAtMs: message.createdAtMs, schedule: ctx.schedule };
  const results = resultsFor(ctx, message, request, outcomes, clock);
  if (results.length === 0) return;
  const updates = await notifyFailed(ctx, message, results, clock);
  const delayNotified = await notifyDelayed(ctx, message, results, clock);
  await notifyRelayed(ctx, message, outcomes);
  await ctx.store.updateRecipients(message.id, updates, delayNotified ? { delayNotified: true } : undefined);
}

function resultsFor(
  ctx: AttemptContext,
  message: StoredMessage,
  request: DeliveryRequest,
  outcomes: readonly RecipientOutcome[],
  clock: AttemptClock,
): AttemptResult[] {
  const byRcpt = new Map(outcomes.map((o) => [o.rcptTo, o]));
  const attempted = new Set(request.rcptTo);
  const results: AttemptResult[] = [];
  for (const recipient of message.recipients) {
    // Only recipients of this attempt that are still queued (an admin may have removed or changed the rest).
    if (recipient.status !== 'queued' || !attempted.has(recipient.rcptTo)) continue;
    const outcome: RecipientOutcome = byRcpt.get(recipient.rcptTo) ?? {
      kind: 'deferred',
      rcptTo: recipient.rcptTo,
      relay: undefined,
      failure: localFailure('delivery reported no outcome for this recipient'),
    };
    const result = attemptResult(recipient, outcome, clock);
    logAttempt(ctx, message.id, message.createdAtMs, result, clock);
    results.push(result);
  }
  return results;
}

function logAttempt(ctx: AttemptContext, id: string, createdAtMs: number, result: AttemptResult, clock: AttemptClock): void {
  ctx.onAttempt?.(result.status, clock.nowMs - createdAtMs);
  ctx.logger.info(
    {
      event: 'delivery',
      queueId: id,
      rcptTo: result.rcptTo,
      relay: relayText(result.relay),
      delayMs: clock.nowMs - createdAtMs,
      dsn: result.dsn,
      status: result.status,
      tls: tlsText(result.relay),
      reply: result.reply,
      attempt: result.update.attempts,
    },
    'delivery',
  );
}

/**
 * Bounces first, final statuses after: a crash in between gives at worst a
 * duplicate bounce, never a lost one. If the bounce cannot be queued, the
 * recipients stay queued and fail again at their next attempt. Never bounce a
 * bounce (RFC 5321 §4.5.5: no notification for a null reverse-path).
 */
async function notifyFailed(
  ctx: AttemptContext,
  message: StoredMessage,
  results: readonly AttemptResult[],
  clock: AttemptClock,
): Promise<RecipientUpdate[]> {
  const failed: FinalFailure[] = [];
  for (const r of results) {
    if ((r.status === 'bounced' || r.status === 'expired') && r.failure) failed.push({ rcptTo: r.rcptTo, kind: r.status, failure: r.failure });
  }
  if (failed.length === 0 || message.mailFrom === '') return results.map((r) => r.update);
  try {
    await ctx.onFailed(message, failed);
    return results.map((r) => r.update);
  } catch (err) {
    ctx.logger.error({ err, queueId: message.id }, 'could not queue the bounce; recipients stay queued');
    return results.map((r) => (r.status === 'bounced' || r.status === 'expired' ? retryLater(r, clock) : r.update));
  }
}

/** RFC 3464 delay notices: once per message, after schedule.delayNoticeAfterMs, never to the null sender. */
async function notifyDelayed(ctx: AttemptContext, message: StoredMessage, results: readonly AttemptResult[], clock: AttemptClock): Promise<boolean> {
  const after = ctx.schedule.delayNoticeAfterMs;
  if (after === undefined || message.delayNotified || message.mailFrom === '') return false;
  if (clock.nowMs - message.createdAtMs < after) return false;
  const deferred = results.flatMap((r) => (r.status === 'deferred' && r.failure ? [{ rcptTo: r.rcptTo, failure: r.failure }] : []));
  if (deferred.length === 0) return false;
  try {
    await ctx.onDelayed(message, deferred);
    return true;
  } catch (err) {
    ctx.logger.error({ err, queueId: message.id }, 'could not queue the delay notice; will try at the next attempt');
    return false;
  }
}

/**
 * RFC 3461 §6.2.1: NOTIFY=SUCCESS to a next hop that did not offer DSN gets a
 * "relayed" DSN from us; a hop that offered DSN was given NOTIFY and reports
 * the delivery itself, so we send none (two success notices for one delivery
 * would be wrong). A notice that cannot be queued is logged, not retried: the
 * message has been delivered and must not be sent again.
 */
async function notifyRelayed(ctx: AttemptContext, message: StoredMessage, outcomes: readonly RecipientOutcome[]): Promise<void> {
  if (ctx.onRelayed === undefined || message.mailFrom === '') return;
  const wanted = new Set(message.recipients.filter((r) => r.status === 'queued' && notifies(r.notify, 'SUCCESS')).map((r) => r.rcptTo));
  const relayed: RelayedRecipient[] = [];
  for (const o of outcomes) {
    if (o.kind === 'delivered' && wanted.has(o.rcptTo) && o.dsnPassed !== true) relayed.push({ rcptTo: o.rcptTo, relay: o.relay, remoteReply: o.remoteReply });
  }
  if (relayed.length === 0) return;
  try {
    await ctx.onRelayed(message, relayed);
  } catch (err) {
    ctx.logger.error({ err, queueId: message.id }, 'could not queue the success notice (NOTIFY=SUCCESS)');
  }
}
