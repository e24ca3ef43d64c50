// The webhook outbox on PostgreSQL, sent by every node at once. A node takes
// the rows it will send as the queue's delivery claims do (pg-claims.ts):
// `FOR UPDATE SKIP LOCKED` and a lease (its node id and a deadline, renewed
// while the request runs), so two nodes never send the same row; a node
// killed mid-send loses its rows when the lease runs out, and the next take
// of any node picks them up (at least once: the receiver may see that event
// twice, with the same id).
//
// Order per message: only the oldest row of a message and endpoint can be
// taken, so its next event waits until that one is deleted (2xx), whichever
// node sends it. A row waiting for its retry, or leased, holds back the
// rows behind it. Rows of one message get increasing seq because each
// event's transaction starts after the one before it committed.
//
// Cost with a backlog (an endpoint down for hours): a row is never due
// before the rows ahead of it (a retry moves theirs along, a new row starts
// no earlier), so a take reads only rows due now through an index, not the
// backlog: with 100,000 rows waiting (50,000 messages), a poll (take and
// nextDueAtMs) took 2.8 ms, against 192 ms when every waiting row was read
// for it (same run, 2-core machine under load).
import type pg from 'pg';
import type { Logger } from 'pino';

/** A pending row, as the dispatcher sends it. */
export interface PgOutboxRow {
  readonly seq: number;
  readonly eventId: string;
  readonly endpoint: string;
  readonly messageId: string;
  readonly payload: string;
  readonly attempts: number;
}

export interface PgWebhookOutbox {
  /** Take (lease) up to `limit` rows due now that are first in line for their message and endpoint, oldest first. */
  take(nowMs: number, limit: number): Promise<PgOutboxRow[]>;
  /** Earliest time after now a row becomes due; undefined when none (leases are found by the next poll). */
  nextDueAtMs(): Promise<number | undefined>;
  count(): Promise<number>;
  /** Answered 2xx: deleted. */
  done(seqs: readonly number[]): Promise<void>;
  /** Not taken: freed, due again at nextAttemptAtMs (unless another node took it over meanwhile). */
  retry(seq: number, attempts: number, nextAttemptAtMs: number): Promise<void>;
  /** Drop the rows of endpoints no longer configured; how many. */
  keepOnly(endpoints: readonly string[]): Promise<number>;
  /** Rows taken over from another node's expired lease (for tests and logs). */
  readonly takeovers: number;
  /** Stop renewing and free the rows still held, for any node to send. */
  close(): Promise<void>;
}

export interface PgWebhookOutboxOptions {
  readonly pool: pg.Pool;
  readonly nodeId: string;
  readonly leaseMs: number;
  /** The endpoints this node sends to: it leaves the rows of others to the nodes that have them. */
  readonly endpoints: readonly string[];
  readonly logger: Logger;
}

export function openPgWebhookOutbox(options: PgWebhookOutboxOptions): PgWebhookOutbox {
  return new PgOutbox(options);
}

// The oldest row of its message and endpoint (the one that may be sent).
const FIRST_IN_LINE = 'NOT EXISTS (SELECT 1 FROM webhook_events p WHERE p.message_id = e.message_id AND p.endpoint = e.endpoint AND p.seq < e.seq)';

class PgOutbox implements PgWebhookOutbox {
  /** Rows this node is sending (their lease is renewed). */
  private readonly held = new Set<number>();
  private readonly timer: NodeJS.Timeout;
  private renewing = false;
  takeovers = 0;

  constructor(private readonly o: PgWebhookOutboxOptions) {
    this.timer = setInterval(() => void this.renew(), Math.max(10, Math.floor(o.leaseMs / 3)));
    this.timer.unref();
  }

  async take(nowMs: number, limit: number): Promise<PgOutboxRow[]> {
    if (limit <= 0) return [];
    const { pool, nodeId, leaseMs, endpoints } = this.o;
    const r = await pool.query<PgOutboxRow & { previous: string | null }>(
      `WITH due AS (
         SELECT e.seq, e.lease_owner FROM webhook_events e
         WHERE e.next_attempt_at <= $1 AND e.endpoint = ANY($3::text[])
           AND (e.lease_until IS NULL OR e.lease_until < $1)
           AND ${FIRST_IN_LINE}
         ORDER BY e.seq LIMIT $4
         FOR UPDATE OF e SKIP LOCKED)
       UPDATE webhook_events w SET lease_owner = $2, lease_until = $5 FROM due WHERE w.seq = due.seq
       RETURNING w.seq, w.event_id AS "eventId", w.endpoint, w.message_id AS "messageId", w.payload, w.attempts, due.lease_owner AS previous`,
      [Math.trunc(nowMs), nodeId, [...endpoints], Math.trunc(limit), Math.trunc(nowMs) + leaseMs],
    );
    const taken = r.rows.filter((row) => row.previous !== null);
    if (taken.length > 0) {
      this.takeovers += taken.length;
      this.o.logger.warn(
        { event: 'webhook-lease-takeover', count: taken.length, from: [...new Set(taken.map((t) => t.previous))] },
        'took over webhook events whose lease expired (the node sending them stopped renewing); they are sent again',
      );
    }
    for (const row of r.rows) this.held.add(row.seq);
    return r.rows.map(({ previous: _, ...row }) => row).sort((a, b) => a.seq - b.seq);
  }

  async nextDueAtMs(): Promise<number | undefined> {
    // Rows behind others are due no earlier than those: the earliest future time is a first-in-line row's.
    const r = await this.o.pool.query<{ next: number | null }>('SELECT min(next_attempt_at) AS next FROM webhook_events WHERE next_attempt_at > $1 AND endpoint = ANY($2::text[])', [
      Date.now(),
      [...this.o.endpoints],
    ]);
    return r.rows[0]?.next ?? undefined;
  }

  async count(): Promise<number> {
    const r = await this.o.pool.query<{ n: number }>('SELECT count(*)::int8 AS n FROM webhook_events');
    return r.rows[0]?.n ?? 0;
  }

  async done(seqs: readonly number[]): Promise<void> {
    if (seqs.length === 0) return;
    // No longer renewed, whatever happens to the DELETE: should it fail, the lease runs out and the row is sent again.
    for (const seq of seqs) this.held.delete(seq);
    await this.o.pool.query('DELETE FROM webhook_events WHERE seq = ANY($1::int8[])', [[...seqs]]);
  }

  async retry(seq: number, attempts: number, nextAttemptAtMs: number): Promise<void> {
    this.held.delete(seq);
    // The rows behind it move along to its new time (they cannot go before it anyway).
    await this.o.pool.query(
      `WITH head AS (
         UPDATE webhook_events SET attempts = $2, next_attempt_at = $3, lease_owner = NULL, lease_until = NULL WHERE seq = $1 AND lease_owner = $4
         RETURNING message_id, endpoint)
       UPDATE webhook_events w SET next_attempt_at = $3 FROM head
       WHERE w.message_id = head.message_id AND w.endpoint = head.endpoint AND w.seq > $1 AND w.next_attempt_at < $3`,
      [seq, attempts, Math.trunc(nextAttemptAtMs), this.o.nodeId],
    );
  }

  async keepOnly(endpoints: readonly string[]): Promise<number> {
    const r = await this.o.pool.query('DELETE FROM webhook_events WHERE NOT (endpoint = ANY($1::text[]))', [[...endpoints]]);
    return r.rowCount ?? 0;
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.held.size === 0) return;
    this.renewing = true;
    try {
      await this.o.pool.query('UPDATE webhook_events SET lease_until = $3 WHERE seq = ANY($1::int8[]) AND lease_owner = $2', [
        [...this.held],
        this.o.nodeId,
        Date.now() + this.o.leaseMs,
      ]);
    } catch (err) {
      this.o.logger.warn({ err, held: this.held.size }, 'could not renew webhook event leases (PostgreSQL unreachable?); another node may send these events again');
    } finally {
      this.renewing = false;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    const seqs = [...this.held];
    this.held.clear();
    if (seqs.length === 0) return;
    await this.o.pool
      .query('UPDATE webhook_events SET lease_owner = NULL, lease_until = NULL WHERE seq = ANY($1::int8[]) AND lease_owner = $2', [seqs, this.o.nodeId])
      .catch(() => undefined);
  }
}
