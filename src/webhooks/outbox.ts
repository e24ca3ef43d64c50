// The outbox as the dispatcher sees it, over either queue store: the
// embedded one (one process sends; rows in flight are known in memory) or
// PostgreSQL (every node sends; a row is taken under a lease, see
// src/queue/postgres/pg-webhook-outbox.ts).
import type { OutboxRow, WebhookOutbox } from '../queue/sqlite-queue-store.js';
import type { PgWebhookOutbox } from '../queue/postgres/pg-webhook-outbox.js';

export type { OutboxRow };

export interface DispatchOutbox {
  /**
   * Up to `limit` rows due now, first in line for their message and endpoint
   * and not in `inFlight`, oldest first; from then on this node's to send
   * until done() or retry().
   */
  take(nowMs: number, limit: number, inFlight: ReadonlySet<number>): Promise<OutboxRow[]>;
  /** When to look again for due rows; undefined when none waits. */
  nextDueAtMs(): Promise<number | undefined>;
  /** Rows pending: at once from the embedded store (a local read), later from PostgreSQL (a round trip). */
  count(): number | Promise<number>;
  done(seqs: readonly number[]): Promise<void>;
  retry(seq: number, attempts: number, nextAttemptAtMs: number): Promise<void>;
  /** Drop the rows of endpoints no longer configured; how many. */
  keepOnly(endpoints: readonly string[]): Promise<number>;
}

/** The embedded store's outbox: this process alone sends, so a row is its own once read. */
export function embeddedOutbox(outbox: WebhookOutbox): DispatchOutbox {
  return {
    take: async (nowMs, limit, inFlight) => {
      if (limit <= 0) return [];
      // Rows in flight are still first in line: ask for them too, then leave them out.
      return outbox
        .due(nowMs, limit + inFlight.size)
        .filter((row) => !inFlight.has(row.seq))
        .slice(0, limit);
    },
    nextDueAtMs: async () => outbox.nextDueAtMs(),
    count: () => outbox.count(),
    done: (seqs) => outbox.done(seqs),
    retry: (seq, attempts, nextAttemptAtMs) => outbox.retry(seq, attempts, nextAttemptAtMs),
    keepOnly: (endpoints) => outbox.keepOnly(endpoints),
  };
}

/** PostgreSQL's outbox: rows taken under this node's lease (rows in flight are leased, so never taken twice). */
export function sharedOutbox(outbox: PgWebhookOutbox): DispatchOutbox {
  return {
    take: (nowMs, limit) => outbox.take(nowMs, limit),
    nextDueAtMs: () => outbox.nextDueAtMs(),
    count: () => outbox.count(),
    done: (seqs) => outbox.done(seqs),
    retry: (seq, attempts, nextAttemptAtMs) => outbox.retry(seq, attempts, nextAttemptAtMs),
    keepOnly: (endpoints) => outbox.keepOnly(endpoints),
  };
}
