// Work sharing between nodes on one PostgreSQL queue: a node claims the due
// messages it will deliver with `SELECT … FOR UPDATE SKIP LOCKED` (two nodes
// polling at once never wait for nor take the same rows) and marks them with
// a lease: its node id and a deadline. While it holds a message (from its
// enqueue or claim until the scheduler is done with it) it renews the lease
// every third of its length. A node that stops renewing — killed, cut off —
// loses its messages when the deadline passes: the next claim of any node
// takes them (and records the takeover in `events`).
//
// At-least-once: a node killed after the remote server's 250 and before the
// outcome was recorded leaves the message queued; another node delivers it
// again after the lease and the retry time (README: work sharing).
import type pg from 'pg';
import type { Logger } from 'pino';

export interface ClaimOptions {
  readonly pool: pg.Pool;
  readonly nodeId: string;
  readonly leaseMs: number;
  readonly logger: Logger;
}

export class Claims {
  /** Ids this node holds a lease on. */
  private readonly held = new Set<string>();
  private readonly releasing = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private releaseScheduled = false;
  private renewing = false;
  /** Messages taken over from another node's expired lease (for tests and logs). */
  takeovers = 0;

  constructor(private readonly options: ClaimOptions) {
    this.timer = setInterval(() => void this.renew(), Math.max(10, Math.floor(options.leaseMs / 3)));
    this.timer.unref();
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  leaseUntil(nowMs: number): number {
    return nowMs + this.options.leaseMs;
  }

  /** Enqueued by this node: leased from the start (it delivers it from memory). */
  hold(id: string): void {
    this.held.add(id);
  }

  /** The message left the queue. */
  forget(id: string): void {
    this.held.delete(id);
  }

  /**
   * Claim up to `limit` due messages: free ones, ours, and those whose lease
   * expired. Returns their ids, oldest first.
   */
  async claimDue(nowMs: number, limit: number): Promise<string[]> {
    const { pool, nodeId } = this.options;
    const claimed = await pool.query<{ id: string; created_at: number; previous: string | null; previous_until: number | null }>(
      `WITH due AS (
         SELECT id, lease_owner, lease_until FROM messages
         WHERE next_due_at <= $1 AND NOT held AND quarantined IS NULL
           AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < $1)
         ORDER BY next_due_at LIMIT $3
         FOR UPDATE SKIP LOCKED)
       UPDATE messages m SET lease_owner = $2, lease_until = $4 FROM due WHERE m.id = due.id
       RETURNING m.id, m.created_at, due.lease_owner AS previous, due.lease_until AS previous_until`,
      [nowMs, nodeId, limit, this.leaseUntil(nowMs)],
    );
    const taken = claimed.rows.filter((r) => r.previous !== null && r.previous !== nodeId);
    if (taken.length > 0) await this.recordTakeovers(taken, nowMs);
    for (const r of claimed.rows) this.held.add(r.id);
    return claimed.rows.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1)).map((r) => r.id);
  }

  private async recordTakeovers(taken: readonly { id: string; previous: string | null }[], nowMs: number): Promise<void> {
    this.takeovers += taken.length;
    this.options.logger.warn(
      { event: 'lease-takeover', count: taken.length, from: [...new Set(taken.map((t) => t.previous))] },
      'took over messages whose lease expired (the node holding them stopped renewing)',
    );
    await this.options.pool.query(
      "INSERT INTO events (message_id, at, node, kind, detail) SELECT id, $2, $3, 'lease-takeover', prev FROM unnest($1::text[], $4::text[]) AS u(id, prev)",
      [taken.map((t) => t.id), nowMs, this.options.nodeId, taken.map((t) => t.previous)],
    );
  }

  /** The scheduler is done with this message: free it for any node (batched). */
  release(id: string): void {
    if (!this.held.delete(id)) return;
    this.releasing.add(id);
    if (this.releaseScheduled) return;
    this.releaseScheduled = true;
    setImmediate(() => void this.flushReleases());
  }

  private async flushReleases(): Promise<void> {
    this.releaseScheduled = false;
    const ids = [...this.releasing];
    this.releasing.clear();
    if (ids.length === 0) return;
    try {
      await this.options.pool.query('UPDATE messages SET lease_owner = NULL, lease_until = NULL WHERE id = ANY($1::text[]) AND lease_owner = $2', [ids, this.options.nodeId]);
    } catch (err) {
      // Not lost: the lease simply runs out.
      this.options.logger.warn({ err, count: ids.length }, 'could not release delivery leases; they expire by themselves');
    }
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.held.size === 0) return;
    this.renewing = true;
    try {
      await this.options.pool.query('UPDATE messages SET lease_until = $3 WHERE id = ANY($1::text[]) AND lease_owner = $2', [
        [...this.held],
        this.options.nodeId,
        this.leaseUntil(Date.now()),
      ]);
    } catch (err) {
      this.options.logger.warn({ err, held: this.held.size }, 'could not renew delivery leases (PostgreSQL unreachable?); another node may take these messages over');
    } finally {
      this.renewing = false;
    }
  }

  /** Stop renewing and free what this node still holds (a clean stop hands its work over at once). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const ids = [...this.held, ...this.releasing];
    this.held.clear();
    this.releasing.clear();
    if (ids.length === 0) return;
    await this.options.pool
      .query('UPDATE messages SET lease_owner = NULL, lease_until = NULL WHERE id = ANY($1::text[]) AND lease_owner = $2', [ids, this.options.nodeId])
      .catch(() => undefined);
  }
}
