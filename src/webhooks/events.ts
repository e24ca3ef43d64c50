// Webhook events, made where the queue changes: the accepted events with the
// enqueue, the delivered / deferred / bounced / expired events with the
// recipient update that records them. `withWebhookEvents` wraps the queue
// store given to intake and the scheduler (main.ts, only when webhooks are
// configured), so each event row goes into the same transaction as its
// cause, in SQLite or PostgreSQL (transactional outbox): after a crash,
// either both are there or neither is, and a message never ends without its
// events.
//
// The remote reply is not in the queue's rows: the deliver wrapper in main.ts
// hands the attempt's outcomes over (`noteOutcomes`), and the update that
// records them a moment later takes them back out.
import { randomUUID } from 'node:crypto';
import type { WebhookConfig, WebhookEventType } from '../config/types.js';
import type { RecipientOutcome } from '../core/outcome.js';
import type { NewMessage, QueueStore, RecipientUpdate } from '../queue/queue-store.js';
import type { OutboxEvent } from '../queue/writer-protocol.js';

/** A queue store that writes webhook events with its changes (both stores are). */
export interface EventQueueStore extends QueueStore {
  enqueue(message: NewMessage, events?: readonly OutboxEvent[]): Promise<void>;
  updateRecipients(id: string, updates: readonly RecipientUpdate[], options?: { delayNotified?: boolean; events?: readonly OutboxEvent[] }): Promise<void>;
}

/** The reply an event carries: the remote server's, or our own detail when there was none (DNS, connection). */
export interface EventReply {
  readonly code: number | null;
  readonly enhanced: string | null;
  readonly text: string;
  readonly remoteMta: string | null;
}

/** The JSON body, before the API message's tag and metadata are added at sending time. */
export interface EventPayload {
  readonly id: string;
  readonly type: WebhookEventType;
  readonly timestamp: string;
  readonly messageId: string;
  readonly recipient: string;
  readonly reply: EventReply | null;
}

// Outcomes noted by the deliver wrapper wait this long at most for the update
// that records them (settle follows deliver at once); older ones are stale
// (the settle failed) and must not be taken for a later update.
const NOTED_TTL_MS = 60_000;

interface Noted {
  readonly atMs: number;
  readonly byRcpt: ReadonlyMap<string, RecipientOutcome>;
}

export class WebhookEvents {
  readonly #endpoints: readonly WebhookConfig[];
  readonly #noted = new Map<string, Noted>();

  constructor(endpoints: readonly WebhookConfig[]) {
    this.#endpoints = endpoints;
  }

  /** The deliver wrapper's hand-over. Null-sender mail (our own notices) has no events. */
  noteOutcomes(id: string, mailFrom: string, outcomes: readonly RecipientOutcome[]): void {
    if (mailFrom === '' || outcomes.length === 0) return;
    const nowMs = Date.now();
    if (this.#noted.size > 1_000) for (const [k, v] of this.#noted) if (nowMs - v.atMs > NOTED_TTL_MS) this.#noted.delete(k);
    this.#noted.set(id, { atMs: nowMs, byRcpt: new Map(outcomes.map((o) => [o.rcptTo, o])) });
  }

  /** Accepted events of a new message (one per recipient and endpoint); undefined when none. */
  forEnqueue(message: NewMessage): OutboxEvent[] | undefined {
    if (message.envelope.mailFrom === '') return undefined;
    const nowMs = Date.now();
    const out: OutboxEvent[] = [];
    for (const rcpt of message.envelope.rcptTo) this.#push(out, { type: 'accepted', messageId: message.id, recipient: rcpt, reply: null }, nowMs);
    return out.length === 0 ? undefined : out;
  }

  /** Events of a recipient update that records a delivery attempt; undefined for other updates (the attempt recorded before it is made). */
  forUpdate(id: string, updates: readonly RecipientUpdate[]): OutboxEvent[] | undefined {
    const noted = this.#noted.get(id);
    if (noted === undefined) return undefined;
    this.#noted.delete(id);
    const nowMs = Date.now();
    if (nowMs - noted.atMs > NOTED_TTL_MS) return undefined;
    const out: OutboxEvent[] = [];
    for (const u of updates) {
      const o = noted.byRcpt.get(u.rcptTo);
      if (o === undefined) continue;
      const type: WebhookEventType = u.status === 'queued' ? 'deferred' : u.status;
      const reply: EventReply =
        o.kind === 'delivered'
          ? { code: o.remoteReply.code, enhanced: o.remoteReply.enhanced ?? null, text: o.remoteReply.text, remoteMta: o.relay.host }
          : {
              code: o.failure.remoteReply?.code ?? null,
              enhanced: (type === 'expired' ? u.lastStatus : undefined) ?? o.failure.remoteReply?.enhanced ?? o.failure.status,
              text: o.failure.remoteReply?.text ?? o.failure.detail,
              remoteMta: o.failure.remoteMta ?? o.relay?.host ?? null,
            };
      this.#push(out, { type, messageId: id, recipient: u.rcptTo, reply }, nowMs);
    }
    return out.length === 0 ? undefined : out;
  }

  #push(out: OutboxEvent[], e: Omit<EventPayload, 'id' | 'timestamp'>, nowMs: number): void {
    let payload: string | undefined;
    let eventId: string | undefined;
    for (const endpoint of this.#endpoints) {
      if (!endpoint.events.includes(e.type)) continue;
      // One id per event, the same for every endpoint.
      eventId ??= `evt_${randomUUID()}`;
      payload ??= JSON.stringify({ id: eventId, type: e.type, timestamp: new Date(nowMs).toISOString(), messageId: e.messageId, recipient: e.recipient, reply: e.reply } satisfies EventPayload);
      out.push({ eventId, endpoint: endpoint.url, payload, nextAttemptAtMs: nowMs });
    }
  }
}

/**
 * The queue store as intake and the scheduler see it when webhooks are
 * configured: enqueue and updateRecipients carry their events; `onEvents`
 * runs once they are committed (the dispatcher's wake-up).
 */
export function withWebhookEvents(store: EventQueueStore, events: WebhookEvents, onEvents: () => void): QueueStore {
  const releaseClaim = store.releaseClaim?.bind(store);
  const listQuarantined = store.listQuarantined?.bind(store);
  return {
    // PostgreSQL: the scheduler frees a message's delivery claim through the store it is given.
    ...(releaseClaim === undefined ? {} : { releaseClaim }),
    ...(listQuarantined === undefined ? {} : { listQuarantined }),
    async enqueue(message) {
      const rows = events.forEnqueue(message);
      await store.enqueue(message, rows);
      if (rows !== undefined) onEvents();
    },
    async updateRecipients(id, updates, options) {
      const rows = events.forUpdate(id, updates);
      await store.updateRecipients(id, updates, rows === undefined ? options : { ...options, events: rows });
      if (rows !== undefined) onEvents();
    },
    dueMessageIds: (nowMs, limit) => store.dueMessageIds(nowMs, limit),
    nextDueAtMs: () => store.nextDueAtMs(),
    load: (id) => store.load(id),
    readMessage: (id) => store.readMessage(id),
    list: () => store.list(),
    hold: (id) => store.hold(id),
    release: (id) => store.release(id),
    releaseHeld: (reason) => store.releaseHeld(reason),
    retryNow: (id) => store.retryNow(id),
    remove: (id) => store.remove(id),
    close: () => store.close(),
  };
}
