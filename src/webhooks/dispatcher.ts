// Sends the webhook outbox (webhook_events in the queue database, embedded
// or PostgreSQL: outbox.ts) to the endpoints: takes due rows, POSTs each as
// signed JSON, deletes it on a 2xx, and otherwise tries again later with
// exponential back-off, forever (capped at an hour between tries) until the
// endpoint takes it.
//
// Order per message: for one message and one endpoint only the oldest
// pending row is ever sent (the outbox query asks for the first in line), so
// "delivered" never overtakes "accepted", even across retries, restarts and,
// on PostgreSQL, nodes (a row is taken by one node under a lease).
// Different messages go out in parallel (up to `concurrency` requests).
//
// At least once: a row is deleted only after its 2xx; a crash between the 2xx
// and the delete, or a response lost on the way, sends it again with the same
// event id. Receivers drop repeats by id.
import type { Logger } from 'pino';
import type { WebhookConfig } from '../config/types.js';
import type { DispatchOutbox, OutboxRow } from './outbox.js';
import { signatureHeader } from './signature.js';

/** What the HTTP API knows of an API message (tag, metadata), added to its events when they are sent. */
export type MessageLabels = (messageId: string) => { readonly tag: string | undefined; readonly metadata: Readonly<Record<string, string>> | undefined } | undefined;

export interface WebhookDispatcherOptions {
  readonly outbox: DispatchOutbox;
  readonly webhooks: readonly WebhookConfig[];
  readonly logger: Logger;
  readonly labels?: MessageLabels | undefined;
  readonly userAgent?: string;
  /** First retry delay, doubled at each failure up to maxDelayMs (default 1 s → 1 h). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Requests in flight at once (default 8). */
  readonly concurrency?: number;
  /** One request's limit (default 10 s). */
  readonly timeoutMs?: number;
  /** Look for due retries at least this often (default 1 s). */
  readonly pollIntervalMs?: number;
}

// A new event waits this long before the outbox is read: a burst shares one
// query, and the API's record of the message (tag, metadata), written right
// after the queue's commit, is in place for its accepted event.
const WAKE_DELAY_MS = 10;
const COUNT_CACHE_MS = 1_000;

export class WebhookDispatcher {
  readonly #o: Required<Omit<WebhookDispatcherOptions, 'labels'>> & { labels: MessageLabels | undefined };
  readonly #byUrl: ReadonlyMap<string, WebhookConfig>;
  readonly #inFlight = new Map<number, Promise<void>>();
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #timerAtMs = Infinity;
  #state: 'new' | 'running' | 'stopped' = 'new';
  #count: { value: number; atMs: number } | undefined;
  #counting = false;
  #pumping: Promise<void> | undefined;
  #pumpAgain = false;

  constructor(options: WebhookDispatcherOptions) {
    this.#o = {
      userAgent: 'Hikyaku-Webhooks',
      baseDelayMs: 1_000,
      maxDelayMs: 3_600_000,
      concurrency: 8,
      timeoutMs: 10_000,
      pollIntervalMs: 1_000,
      ...options,
      labels: options.labels,
    };
    this.#byUrl = new Map(options.webhooks.map((w) => [w.url, w]));
  }

  /** Drops rows of endpoints no longer configured, then sends what is pending (left by an earlier run too). */
  async start(): Promise<void> {
    if (this.#state !== 'new') return;
    this.#state = 'running';
    try {
      const dropped = await this.#o.outbox.keepOnly([...this.#byUrl.keys()]);
      if (dropped > 0) this.#o.logger.warn({ event: 'webhook-dropped', count: dropped }, 'webhook events for endpoints no longer configured were dropped');
    } finally {
      this.#arm(0);
    }
  }

  // The cached count is out of date; kept meanwhile (PostgreSQL answers it later, and a scrape shows the last one).
  #countStale(): void {
    if (this.#count !== undefined) this.#count = { value: this.#count.value, atMs: -Infinity };
  }

  /** New events were committed: send them soon. */
  wake(): void {
    this.#countStale();
    this.#arm(WAKE_DELAY_MS);
  }

  /**
   * Events not yet taken by their endpoint (cached for a second: cheap enough
   * for every metrics scrape). On PostgreSQL the count comes back later: a
   * scrape shows the one before (at most a scrape interval old).
   */
  pendingCount(): number {
    const nowMs = Date.now();
    if (this.#state === 'stopped' || this.#counting || (this.#count !== undefined && nowMs - this.#count.atMs <= COUNT_CACHE_MS)) return this.#count?.value ?? 0;
    const counted = this.#o.outbox.count();
    if (typeof counted === 'number') {
      this.#count = { value: counted, atMs: nowMs };
      return counted;
    }
    this.#counting = true;
    counted
      .then((value) => (this.#count = { value, atMs: Date.now() }))
      .catch((err: unknown) => this.#o.logger.warn({ err }, 'could not count the webhook events pending'))
      .finally(() => (this.#counting = false));
    return this.#count?.value ?? 0;
  }

  /** Stops sending; requests in flight are cut short and their rows stay pending (sent again after a restart). */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    clearTimeout(this.#timer);
    this.#abort.abort();
    await Promise.allSettled([...this.#inFlight.values(), this.#pumping]);
  }

  #arm(delayMs: number): void {
    if (this.#state !== 'running') return;
    const atMs = Date.now() + delayMs;
    if (this.#timer !== undefined && this.#timerAtMs <= atMs) return;
    clearTimeout(this.#timer);
    this.#timerAtMs = atMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAtMs = Infinity;
      void this.#pump();
    }, delayMs);
  }

  // One pump at a time (reading the outbox is asynchronous): a call meanwhile pumps again right after.
  async #pump(): Promise<void> {
    if (this.#state !== 'running') return;
    if (this.#pumping !== undefined) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = this.#pumpOnce();
    try {
      await this.#pumping;
    } finally {
      this.#pumping = undefined;
      if (this.#pumpAgain) {
        this.#pumpAgain = false;
        this.#arm(0);
      }
    }
  }

  async #pumpOnce(): Promise<void> {
    try {
      const free = this.#o.concurrency - this.#inFlight.size;
      if (free > 0) {
        const nowMs = Date.now();
        const inFlight = new Set(this.#inFlight.keys());
        for (const row of await this.#o.outbox.take(nowMs, free, inFlight)) {
          if (this.#state !== 'running') break; // stopping: the row stays pending (freed with the store)
          if (this.#inFlight.has(row.seq)) continue;
          const task = this.#send(row)
            .catch((err: unknown) => {
              if (this.#state === 'running') this.#o.logger.error({ err, eventId: row.eventId }, 'could not send a webhook event');
            })
            .finally(() => {
              this.#inFlight.delete(row.seq);
              this.#countStale();
              this.#arm(0); // the next in line for this message, or a free slot
            });
          this.#inFlight.set(row.seq, task);
        }
      }
      // A first-in-line row due already is in flight or waits for a free slot:
      // its completion pumps again. Otherwise wake up for the next retry.
      if (this.#state !== 'running') return;
      const next = await this.#o.outbox.nextDueAtMs();
      const wait = next === undefined || next <= Date.now() ? this.#o.pollIntervalMs : Math.min(this.#o.pollIntervalMs, next - Date.now());
      this.#arm(wait);
    } catch (err) {
      if (this.#state !== 'running') return;
      this.#o.logger.error({ err }, 'could not read the webhook outbox');
      this.#arm(this.#o.pollIntervalMs);
    }
  }

  async #send(row: OutboxRow): Promise<void> {
    const endpoint = this.#byUrl.get(row.endpoint);
    if (endpoint === undefined) {
      await this.#o.outbox.done([row.seq]);
      return;
    }
    const body = this.#body(row);
    let status: number | undefined;
    let error: string | undefined;
    try {
      const response = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': this.#o.userAgent,
          'hikyaku-event-id': row.eventId,
          'hikyaku-signature': signatureHeader(endpoint.secret, body, Date.now() / 1000),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#o.timeoutMs)]),
      });
      status = response.status;
      await response.body?.cancel().catch(() => undefined);
    } catch (err) {
      error = (err as Error).message;
    }
    if (this.#state !== 'running') return; // stopping: the row stays pending
    const ok = status !== undefined && status >= 200 && status < 300;
    try {
      if (ok) {
        await this.#o.outbox.done([row.seq]);
        this.#o.logger.debug({ event: 'webhook-sent', eventId: row.eventId, queueId: row.messageId, url: endpoint.url, status }, 'webhook event sent');
        return;
      }
      const attempts = row.attempts + 1;
      const delayMs = Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** Math.min(attempts - 1, 30));
      // Up to 10 % jitter, so that endpoints coming back are not hit all at once.
      await this.#o.outbox.retry(row.seq, attempts, Date.now() + delayMs + Math.floor(Math.random() * delayMs * 0.1));
      this.#o.logger.warn(
        { event: 'webhook-failed', eventId: row.eventId, queueId: row.messageId, url: endpoint.url, status, error, attempts, retryInMs: delayMs },
        'webhook endpoint did not take the event; will retry',
      );
    } catch (err) {
      if (this.#state === 'running') this.#o.logger.error({ err, eventId: row.eventId }, 'could not record the webhook attempt');
    }
  }

  /** The stored payload, with the API message's tag and metadata (never failing: without them if they cannot be read). */
  #body(row: OutboxRow): string {
    try {
      return this.#labelled(row);
    } catch (err) {
      this.#o.logger.warn({ err, queueId: row.messageId }, 'could not read the tag and metadata of an API message; event sent without them');
      return row.payload;
    }
  }

  #labelled(row: OutboxRow): string {
    const labels = this.#o.labels?.(row.messageId);
    if (labels === undefined || (labels.tag === undefined && labels.metadata === undefined)) return row.payload;
    const payload = JSON.parse(row.payload) as Record<string, unknown>;
    return JSON.stringify({ ...payload, ...(labels.tag === undefined ? {} : { tag: labels.tag }), ...(labels.metadata === undefined ? {} : { metadata: labels.metadata }) });
  }
}
