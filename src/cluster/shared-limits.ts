// The sending policy's limits across several nodes that share a PostgreSQL
// database (issue 11): quotas (messages per hour and per day), the AUTH
// brute-force counts and the compromised-account brake's counts hold for the
// cluster, not per node.
//
// Why PostgreSQL and not Redis: the nodes already share PostgreSQL (the
// queue), so nothing more to run, back up or secure; and the counters stay
// in memory on each node, so the database is not on the message path.
// Each node keeps counting in memory exactly as a single server does
// (policy/quota-counter.ts, policy/auth-throttle.ts), appends what it
// counted to one table every `intervalMs` (one INSERT), and reads what the
// other nodes appended since (one SELECT). A check is then "my counts +
// the others' counts as of the last sync".
//
// The price of keeping the database off the message path: a limit can be
// overrun by what the other nodes accept within one interval (1 s by
// default) before they hear of each other. With a limit of 100 per hour
// and two nodes each sending flat out, that is a handful of messages;
// a per-message round trip to a shared counter would cost every message
// a network wait instead.
//
// Rows are events (node, kind, key, time, count); readers keep no cursor
// on the sequence (a row with a smaller seq can commit after a larger one
// was read) but re-read the last few seconds by time and skip the seqs
// they have seen. Rows older than the longest window are deleted.
import type { Pool } from 'pg';
import type { Logger } from '../log/logger.js';
import type { AuthThrottle } from '../policy/auth-throttle.js';
import type { SendingBrake } from '../policy/brake.js';
import { QuotaCounter, type QuotaCounterOptions } from '../policy/quota-counter.js';
import { PeriodicSync } from './periodic-sync.js';

export const SHARED_LIMITS_SCHEMA = `
CREATE TABLE IF NOT EXISTS hikyaku_limit_events (
  seq    BIGSERIAL PRIMARY KEY,
  node   TEXT NOT NULL,
  kind   TEXT NOT NULL,
  key    TEXT NOT NULL,            -- quota key, or the client address for auth events
  login  TEXT,                     -- auth events: the login name tried
  at_ms  BIGINT NOT NULL,
  count  INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS hikyaku_limit_events_at ON hikyaku_limit_events (at_ms);
-- The kinds a node may write; an older node's narrower check is replaced.
ALTER TABLE hikyaku_limit_events DROP CONSTRAINT IF EXISTS hikyaku_limit_events_kind_check;
ALTER TABLE hikyaku_limit_events ADD CONSTRAINT hikyaku_limit_events_kind_check CHECK (kind IN ('quota', 'auth-failure', 'auth-success', 'brake'));
CREATE TABLE IF NOT EXISTS hikyaku_nodes (
  node         TEXT PRIMARY KEY,
  last_seen_ms BIGINT NOT NULL
);
`;

/** A node not heard of for this long is taken as gone: limits split between the ones left. */
export const NODE_GONE_MS = 10_000;

/** How far back each read looks again for rows committed late (see the header). */
const REREAD_MS = 5_000;
const PRUNE_EVERY_MS = 60_000;

export interface SharedLimitsOptions {
  readonly pool: Pool;
  readonly nodeId: string;
  readonly quotas: QuotaCounter;
  /** The quota counter's windows: the other nodes' counts are kept in a counter of the same shape. */
  readonly quotaWindows: QuotaCounterOptions;
  readonly authThrottle: AuthThrottle;
  /**
   * The compromised-account brake, when it is on. The others' counts are
   * read back a day at start (as the quotas' are): a longer normal comes
   * from this node's own saved history, so on a new node the brake errs on
   * the early side.
   */
  readonly brake?: SendingBrake | undefined;
  /** The AUTH failure window: how far back a joining node reads auth events. */
  readonly authWindowMs: number;
  readonly logger: Logger;
  /** Sync period. Default 1,000 ms. */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

interface Pending {
  kind: 'quota' | 'auth-failure' | 'auth-success' | 'brake';
  key: string;
  login: string | null;
  atMs: number;
  count: number;
}

interface EventRow {
  seq: string;
  kind: Pending['kind'];
  key: string;
  login: string | null;
  at_ms: string;
  count: number;
}

export class SharedLimits {
  readonly #o: SharedLimitsOptions;
  readonly #now: () => number;
  readonly #others: QuotaCounter;
  readonly #otherBrake: SendingBrake | undefined;
  /** This node's counts since the last sync; quota counts merged per key. */
  #pending: Pending[] = [];
  readonly #pendingQuota = new Map<string, Pending>();
  readonly #pendingBrake = new Map<string, Pending>();
  /** Seqs already applied, with their time, forgotten once older than the re-read window. */
  readonly #seen = new Map<string, number>();
  #readFromMs: number;
  #lastPruneMs = 0;
  readonly #periodic = new PeriodicSync(() => this.#sync());
  #failing = false;
  #liveNodes = 1;

  private constructor(options: SharedLimitsOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#others = new QuotaCounter(options.quotaWindows);
    this.#otherBrake = options.brake?.sibling();
    const dayMs = options.quotaWindows.dayMs ?? 86_400_000;
    // A node that starts reads back as far as anything can still count.
    this.#readFromMs = this.#now() - this.#keepMs(dayMs);
  }

  /** Creates the table if needed, reads what the other nodes counted, then syncs every interval. */
  static async start(options: SharedLimitsOptions): Promise<SharedLimits> {
    await options.pool.query(SHARED_LIMITS_SCHEMA);
    const shared = new SharedLimits(options);
    await shared.sync();
    shared.#attach();
    return shared;
  }

  /** How far back counts matter: the longest window of all that are shared (the brake's others: a day). */
  #keepMs(dayMs: number): number {
    return Math.max(dayMs, this.#o.authWindowMs);
  }

  #attach(): void {
    const { quotas, authThrottle, brake } = this.#o;
    brake?.shareWith(this.#otherBrake, (key, atMs, count) => {
      const p = this.#pendingBrake.get(key);
      if (p === undefined) this.#pendingBrake.set(key, { kind: 'brake', key, login: null, atMs, count });
      else {
        p.count += count;
        p.atMs = atMs;
      }
    });
    quotas.shareWith(this.#others, (key, atMs, count) => {
      const p = this.#pendingQuota.get(key);
      if (p === undefined) this.#pendingQuota.set(key, { kind: 'quota', key, login: null, atMs, count });
      else {
        p.count += count;
        p.atMs = atMs;
      }
    });
    authThrottle.shareWith({
      failure: (clientIp, login, atMs) => this.#pending.push({ kind: 'auth-failure', key: clientIp, login: login ?? null, atMs, count: 1 }),
      success: (clientIp, login, atMs) => this.#pending.push({ kind: 'auth-success', key: clientIp, login, atMs, count: 1 }),
    });
    this.#periodic.start(this.#o.intervalMs ?? 1_000);
  }

  /** Publishes this node's counts and applies the others'. One at a time; never throws. */
  sync(): Promise<void> {
    return this.#periodic.sync();
  }

  async #sync(): Promise<void> {
    const outgoing = [...this.#pending, ...this.#pendingQuota.values(), ...this.#pendingBrake.values()];
    this.#pending = [];
    this.#pendingQuota.clear();
    this.#pendingBrake.clear();
    const { pool, nodeId } = this.#o;
    try {
      if (outgoing.length > 0) {
        await pool.query(
          `INSERT INTO hikyaku_limit_events (node, kind, key, login, at_ms, count)
           SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::int[])`,
          [nodeId, outgoing.map((p) => p.kind), outgoing.map((p) => p.key), outgoing.map((p) => p.login), outgoing.map((p) => p.atMs), outgoing.map((p) => p.count)],
        );
      }
      const nowMs = this.#now();
      // The heartbeat, and how many nodes share the per-destination connection limits.
      const { rows: live } = await pool.query<{ n: string }>(
        `WITH beat AS (
           INSERT INTO hikyaku_nodes (node, last_seen_ms) VALUES ($1, $2)
           ON CONFLICT (node) DO UPDATE SET last_seen_ms = EXCLUDED.last_seen_ms RETURNING node)
         SELECT count(*) + 1 AS n FROM hikyaku_nodes WHERE last_seen_ms > $3 AND node <> $1`,
        [nodeId, nowMs, nowMs - NODE_GONE_MS],
      );
      this.#liveNodes = Math.max(1, Number(live[0]?.n ?? 1));
      const since = this.#readFromMs;
      const { rows } = await pool.query<EventRow>(
        'SELECT seq, kind, key, login, at_ms, count FROM hikyaku_limit_events WHERE at_ms > $1 AND node <> $2 ORDER BY at_ms, seq',
        [since, nodeId],
      );
      for (const row of rows) this.#apply(row, nowMs);
      this.#readFromMs = Math.max(since, nowMs - REREAD_MS);
      for (const [seq, atMs] of this.#seen) if (atMs <= this.#readFromMs) this.#seen.delete(seq);
      if (nowMs - this.#lastPruneMs >= PRUNE_EVERY_MS) {
        this.#lastPruneMs = nowMs;
        const keepMs = this.#keepMs(this.#o.quotaWindows.dayMs ?? 86_400_000) + REREAD_MS;
        await pool.query('DELETE FROM hikyaku_limit_events WHERE at_ms < $1', [nowMs - keepMs]);
      }
      if (this.#failing) this.#o.logger.info({ event: 'shared-limits-recovered' }, 'shared limits: the database answers again');
      this.#failing = false;
    } catch (err) {
      // Counted again next time: nothing this node counted is lost, the others hear of it late.
      for (const p of outgoing) if (p.kind === 'quota' || p.kind === 'brake') this.#mergeBack(p);
      this.#pending.unshift(...outgoing.filter((p) => p.kind !== 'quota' && p.kind !== 'brake'));
      if (!this.#failing) this.#o.logger.warn({ err, event: 'shared-limits-failed' }, 'shared limits: could not sync with the database; limits hold per node until it answers');
      this.#failing = true;
    }
  }

  /** Nodes seen alive at the last sync, this one included (1 until the first sync, or while the database is away). */
  get liveNodes(): number {
    return this.#failing ? 1 : this.#liveNodes;
  }

  /**
   * This node's part of a limit the cluster must hold as a whole (connections
   * to one destination): split evenly, at least 1, so N nodes together stay
   * within it (or at N when the limit is below N). Each node may use its part
   * only: idle parts of other nodes are not lent.
   */
  shareOf(limit: number): number {
    return Math.max(1, Math.floor(limit / this.liveNodes));
  }

  #mergeBack(p: Pending): void {
    const pending = p.kind === 'brake' ? this.#pendingBrake : this.#pendingQuota;
    const current = pending.get(p.key);
    if (current === undefined) pending.set(p.key, p);
    else current.count += p.count;
  }

  #apply(row: EventRow, nowMs: number): void {
    if (this.#seen.has(row.seq)) return;
    const atMs = Number(row.at_ms);
    this.#seen.set(row.seq, atMs);
    // A count from the future (clock skew between nodes) is taken as now.
    const at = Math.min(atMs, nowMs);
    if (row.kind === 'quota') this.#others.record([{ key: row.key }], at, row.count);
    else if (row.kind === 'brake') this.#otherBrake?.applyRemote(row.key, at, row.count);
    else if (row.kind === 'auth-failure') this.#o.authThrottle.applyFailure(row.key, row.login ?? undefined, at);
    else if (row.login !== null) this.#o.authThrottle.applySuccess(row.login, at);
  }

  /** Last sync, then detach from the counters. */
  async close(): Promise<void> {
    await this.#periodic.stop();
    await this.sync();
    this.#o.quotas.shareWith(undefined, undefined);
    this.#o.brake?.shareWith(undefined, undefined);
    this.#o.authThrottle.shareWith(undefined);
    // Leaving: the others take over its part of the connection limits at once.
    await this.#o.pool.query('DELETE FROM hikyaku_nodes WHERE node = $1', [this.#o.nodeId]).catch(() => undefined);
  }
}
