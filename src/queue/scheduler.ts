// The delivery scheduler: Postfix's qmgr in small. It keeps a bounded set of
// deliveries in flight, takes new messages straight from intake (from memory,
// no disk read), and polls the store for messages whose retry time has come
// or that the CLI changed. The queue never imports delivery: it is given a
// `deliver` function.
import { isAscii } from 'node:buffer';
import type { Logger } from 'pino';
import type { EnvelopeParams } from '../core/envelope.js';
import type { DeliveryFailure, RecipientOutcome } from '../core/outcome.js';
import type { RetrySchedule } from '../core/retry.js';
import type { QueueStore, StoredMessage } from './queue-store.js';
import {
  runAttempt,
  type AttemptContext,
  type AttemptEnd,
  type AttemptSource,
  type DeliveryRequest,
  type FinalFailure,
  type RelayedRecipient,
} from './delivery-attempt.js';

export type { DeliveryRequest, FinalFailure, RelayedRecipient } from './delivery-attempt.js';

export interface SchedulerOptions {
  store: QueueStore;
  deliver: (request: DeliveryRequest) => Promise<RecipientOutcome[]>;
  schedule: RetrySchedule;
  maxConcurrentDeliveries: number;
  pollIntervalMs: number;
  logger: Logger;
  /** Called with the recipients that failed for good; must durably enqueue the bounce before resolving. Not called for null-sender messages (never bounce a bounce). */
  onFailed: (message: StoredMessage, failed: readonly FinalFailure[]) => Promise<void>;
  /** Called once per message when it has been queued longer than schedule.delayNoticeAfterMs with recipients still deferred. Not for null sender. */
  onDelayed: (message: StoredMessage, deferred: readonly { rcptTo: string; failure: DeliveryFailure }[]) => Promise<void>;
  /** RFC 3461 NOTIFY=SUCCESS delivered to a next hop without DSN: the "relayed" notice. Not for null sender. */
  onRelayed?: (message: StoredMessage, relayed: readonly RelayedRecipient[]) => Promise<void>;
  /** Each recipient's attempt result as logged (sent, deferred, bounced, expired) and the time since acceptance: for metrics. */
  onAttempt?: ((status: string, delayMs: number) => void) | undefined;
}

// Messages notified while every slot is busy wait in memory, their bodies
// kept up to a budget; past it only the id is kept and the body is read back
// from the store. Past the count limit they are left to the poll (they are
// in the store, due at their first retry time).
const MAX_WAITING = 100_000;
const MAX_WAITING_BYTES = 64 * 1024 * 1024;
// Due ids fetched per store query. Oldest-first costs about 1 µs of main
// thread per due recipient per query (SQLite must sort them all), so when a
// backlog becomes due at once (after `queue retry all`, or a restart after an
// outage) one query serves many deliveries; each id is re-checked at launch.
const READY_BATCH_MIN = 500;
const DEFAULT_STOP_TIMEOUT_MS = 30_000;

interface Waiting {
  readonly id: string;
  readonly message: Buffer | undefined;
}

export class Scheduler {
  private readonly options: SchedulerOptions;
  private readonly ctx: AttemptContext;
  private readonly inFlight = new Set<string>();
  private readonly tasks = new Set<Promise<AttemptEnd>>();
  /** FIFO of notified messages waiting for a slot: array + head index (shift() is O(n)). */
  private waiting: Waiting[] = [];
  private waitingHead = 0;
  private waitingBytes = 0;
  /** Due ids from the last store query, not started yet. */
  private ready: string[] = [];
  private state: 'new' | 'running' | 'stopped' = 'new';
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  /** The last query returned as many ids as it asked for: more may be due. */
  private lastBatchFull = false;
  /** Whose turn it is to take the next free slot: a due retry (true) or a waiting new message. */
  private readyTurn = false;
  private pollRequested = false;

  constructor(options: SchedulerOptions) {
    if (!Number.isInteger(options.maxConcurrentDeliveries) || options.maxConcurrentDeliveries < 1) {
      throw new RangeError('maxConcurrentDeliveries must be a positive integer');
    }
    if (!(options.pollIntervalMs > 0)) throw new RangeError('pollIntervalMs must be positive');
    this.options = options;
    this.ctx = {
      store: options.store,
      deliver: options.deliver,
      schedule: options.schedule,
      logger: options.logger,
      onFailed: options.onFailed,
      onDelayed: options.onDelayed,
      onRelayed: options.onRelayed,
      onAttempt: options.onAttempt,
    };
  }

  start(): void {
    if (this.state !== 'new') return;
    this.state = 'running';
    this.requestPoll();
  }

  /** Intake calls this right after enqueue: deliver at once, from the buffer in memory, without waiting for a poll. */
  notifyNew(id: string, mailFrom: string, rcptTo: readonly string[], message: Buffer, params?: EnvelopeParams, eightBit = !isAscii(message)): void {
    if (this.state !== 'running' || this.inFlight.has(id)) return;
    if (this.hasFreeSlot()) {
      this.launch(id, { kind: 'memory', mailFrom, rcptTo, message, eightBit, acceptedAtMs: Date.now(), params });
      return;
    }
    if (this.waitingCount() >= MAX_WAITING) return; // stored; the poll finds it at its first retry time
    const keep = this.waitingBytes + message.length <= MAX_WAITING_BYTES;
    if (keep) this.waitingBytes += message.length;
    this.waiting.push({ id, message: keep ? message : undefined });
  }

  /** Stop taking new work; wait for deliveries in flight (up to timeoutMs), then resolve. */
  async stop(timeoutMs: number = DEFAULT_STOP_TIMEOUT_MS): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.timer);
    this.waiting = [];
    this.waitingHead = 0;
    this.waitingBytes = 0;
    this.ready = [];
    if (this.tasks.size === 0) return;
    let timeout: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => (timeout = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.tasks]), expired]);
    clearTimeout(timeout);
    if (this.tasks.size > 0) {
      this.options.logger.warn({ inFlight: [...this.inFlight] }, 'stopped with deliveries still in flight; they are retried from the queue');
    }
  }

  private waitingCount(): number {
    return this.waiting.length - this.waitingHead;
  }

  private takeWaiting(): Waiting | undefined {
    if (this.waitingHead >= this.waiting.length) return undefined;
    const next = this.waiting[this.waitingHead++];
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
    if (next) this.waitingBytes -= next.message?.length ?? 0;
    return next;
  }

  private hasFreeSlot(): boolean {
    return this.inFlight.size < this.options.maxConcurrentDeliveries;
  }

  private launch(id: string, source: AttemptSource): void {
    this.inFlight.add(id);
    const task = runAttempt(this.ctx, id, source);
    this.tasks.add(task);
    void task.then((end) => {
      this.inFlight.delete(id);
      this.tasks.delete(task);
      // Work sharing (shared stores): free the claim on this message.
      this.options.store.releaseClaim?.(id);
      this.afterAttempt(end);
    });
  }

  private afterAttempt(end: AttemptEnd): void {
    if (this.state !== 'running') return;
    this.fillSlots();
    // A failed attempt (store error) does not trigger a poll: it would find
    // the same message due again and spin; the timer retries later. Nor does
    // a completion when the last query already returned everything that was
    // due: under load that would be two queries per delivered message, for
    // nothing (new messages come through notifyNew, the rest by the timer).
    if (end !== 'failed' && this.hasFreeSlot() && this.ready.length === 0 && this.lastBatchFull) this.requestPoll();
  }

  /**
   * Start work while slots are free, alternating between new messages that
   * wait for a slot and retries found due by the poll, so that a steady
   * stream of new mail cannot starve the retries (nor the reverse).
   */
  private fillSlots(): void {
    let readyFirst = this.readyTurn;
    while (this.hasFreeSlot()) {
      const started = readyFirst ? this.startReady() || this.startWaiting() : this.startWaiting() || this.startReady();
      if (!started) break;
      readyFirst = !readyFirst;
    }
    this.readyTurn = readyFirst;
  }

  /** False when nothing waits. */
  private startWaiting(): boolean {
    const waiting = this.takeWaiting();
    if (!waiting) return false;
    if (!this.inFlight.has(waiting.id)) this.launch(waiting.id, { kind: 'notified', message: waiting.message });
    return true;
  }

  /** False when no due id is left from the last poll. */
  private startReady(): boolean {
    const id = this.ready.shift();
    if (id === undefined) return false;
    if (!this.inFlight.has(id)) this.launch(id, { kind: 'store' });
    return true;
  }

  /** Run a poll now, or right after the one in progress. */
  private requestPoll(): void {
    if (this.state !== 'running') return;
    if (this.polling) {
      this.pollRequested = true;
      return;
    }
    this.polling = true;
    clearTimeout(this.timer);
    void this.poll()
      .catch((err: unknown) => {
        // After stop() the store may close under a poll in progress: not worth an error line.
        if (this.state !== 'running') return;
        this.options.logger.error({ err }, 'queue poll failed');
        this.armTimer(this.options.pollIntervalMs);
      })
      .finally(() => {
        this.polling = false;
        if (this.pollRequested) {
          this.pollRequested = false;
          this.requestPoll();
        }
      });
  }

  private async poll(): Promise<void> {
    const { store, maxConcurrentDeliveries, pollIntervalMs } = this.options;
    const queriedAtMs = Date.now();
    // Also when new messages wait for slots: due retries then take turns with them.
    if (this.ready.length === 0) {
      // In-flight ids may still be due (a slow first attempt): ask for enough to see past them.
      const limit = Math.max(READY_BATCH_MIN, 8 * maxConcurrentDeliveries) + this.inFlight.size;
      const ids = await store.dueMessageIds(queriedAtMs, limit);
      if (this.state !== 'running') return;
      this.lastBatchFull = ids.length >= limit;
      this.ready = ids.filter((id) => !this.inFlight.has(id));
      this.fillSlots();
    }
    const next = await store.nextDueAtMs();
    // With work waiting, completions drive the next poll. A due time at or
    // before the query is what is in flight right now: its completion polls
    // again, so waiting for it by timer would only spin.
    let delay = pollIntervalMs;
    if (this.ready.length === 0 && this.waitingCount() === 0 && next !== undefined && next > queriedAtMs) {
      delay = Math.min(pollIntervalMs, Math.max(0, next - Date.now()));
    }
    this.armTimer(delay);
  }

  private armTimer(delayMs: number): void {
    if (this.state !== 'running') return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.requestPoll(), delayMs);
  }
}
