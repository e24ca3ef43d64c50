// The message history across nodes that share one PostgreSQL queue (issue
// 11: "the CLI and console on any node see the whole shared queue"). A
// message accepted on node A may be delivered by node B; each node's
// history.db (src/history/) would otherwise know half of it.
//
// Each node keeps its own history.db, read by its console and CLI exactly
// as on a single server (fast, local, synchronous), and tells the others
// what it recorded: its history writes, as JSON events, are appended to one
// table every `intervalMs` (one INSERT), and each node applies the other
// nodes' events to its own history.db (one SELECT). The history is then at
// most about a second behind on another node; the mail itself never waits
// on this (the history is not on the message path, as on one node).
//
// Reading without missing or repeating an event: a node inserts its events
// one batch at a time, so its rows commit in the order of their sequence
// numbers; each reader keeps, per writing node, the last sequence number it
// applied, and only looks at rows published in the last few seconds before
// its previous read (an index on the publication time, set by the database's
// clock so that the nodes' clocks do not matter). That position is committed
// in history.db in the same transaction as the events it covers, so a node
// that crashes or restarts goes on exactly where it stopped.
//
// Events are kept KEEP_MS (one day): a node that was down longer misses the
// others' history of that gap (logged), and a new node starts with the
// last day of the cluster's history. The mail is not concerned: the queue
// itself is shared.
import type { Pool } from 'pg';
import type { HistoryEvent } from '../history/history-events.js';
import { isHistoryEvent } from '../history/history-events.js';
import type { ServerHistory } from '../history/server-history.js';
import type { Logger } from '../log/logger.js';
import { DB_NOW_MS } from './db-clock.js';
import { PeriodicSync } from './periodic-sync.js';

export const SHARED_HISTORY_SCHEMA = `
CREATE TABLE IF NOT EXISTS hikyaku_history_events (
  seq          BIGSERIAL PRIMARY KEY,
  node         TEXT NOT NULL,
  published_ms BIGINT NOT NULL DEFAULT ${DB_NOW_MS},
  event        JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS hikyaku_history_events_published ON hikyaku_history_events (published_ms);
`;

/** How long events are kept for nodes that were away, and how far back a new node reads. */
export const KEEP_MS = 86_400_000;
/** How far before its last read a node looks again for rows that committed late. */
const REREAD_MS = 5_000;
/** Rows applied per read: a new node catching up on a day reads it in pages. */
const PAGE = 2_000;
/** Events not yet published when the database does not answer; past it the oldest are dropped (logged). */
const MAX_PENDING = 200_000;
const PRUNE_EVERY_MS = 60_000;


interface SyncPoint {
  /** Rows published before this (database time) are not looked at again. */
  sinceMs: number;
  /** Per writing node, the last sequence number applied. */
  cursors: Record<string, string>;
}

interface EventRow {
  seq: string;
  node: string;
  published_ms: string;
  event: unknown;
}

export interface SharedHistoryOptions {
  readonly pool: Pool;
  readonly nodeId: string;
  readonly logger: Logger;
  /** Default 1,000 ms. */
  readonly intervalMs?: number;
}

export class SharedHistory {
  readonly #o: SharedHistoryOptions;
  #history: ServerHistory['shared'];
  #pending: HistoryEvent[] = [];
  #dropped = 0;
  readonly #periodic = new PeriodicSync(() => this.#sync());
  #failing = false;
  #lastPruneMs = 0;
  /** Where reading the others stands; loaded from history.db at the first sync, then kept here. */
  #point: SyncPoint | undefined;

  private constructor(options: SharedHistoryOptions) {
    this.#o = options;
  }

  /** Creates the table if needed. `attach` then gives it the history to fill. */
  static async create(options: SharedHistoryOptions): Promise<SharedHistory> {
    await options.pool.query(SHARED_HISTORY_SCHEMA);
    return new SharedHistory(options);
  }

  /** Given to openServerHistory: what this node records. */
  publish(event: HistoryEvent): void {
    if (this.#pending.length >= MAX_PENDING) {
      this.#pending.shift();
      this.#dropped++;
    }
    this.#pending.push(event);
  }

  /** Reads what the other nodes recorded since this node last did (a day for a new node), then syncs every interval. */
  async attach(history: ServerHistory): Promise<void> {
    this.#history = history.shared;
    if (this.#history === undefined) return; // history off (retentionDays 0): nothing to share
    await this.sync();
    this.#periodic.start(this.#o.intervalMs ?? 1_000);
  }

  /** One at a time; never throws. */
  sync(): Promise<void> {
    return this.#periodic.sync();
  }

  async #sync(): Promise<void> {
    const history = this.#history;
    const outgoing = this.#pending;
    this.#pending = [];
    const { pool, nodeId, logger } = this.#o;
    try {
      if (outgoing.length > 0) {
        // WITH ORDINALITY: the rows take their sequence numbers in the order they were recorded.
        await pool.query(
          `INSERT INTO hikyaku_history_events (node, event)
           SELECT $1, e FROM unnest($2::jsonb[]) WITH ORDINALITY AS t(e, n) ORDER BY n`,
          [nodeId, outgoing.map((e) => JSON.stringify(e))],
        );
      }
      if (this.#dropped > 0) {
        logger.warn({ event: 'shared-history-dropped', dropped: this.#dropped }, "shared history: the database did not answer for long; the other nodes' history misses some of this node's events");
        this.#dropped = 0;
      }
      if (history !== undefined) await this.#readOthers(history);
      if (this.#failing) logger.info({ event: 'shared-history-recovered' }, 'shared history: the database answers again');
      this.#failing = false;
    } catch (err) {
      // Published next time: the others hear of it late, nothing is lost.
      this.#pending = outgoing.concat(this.#pending);
      if (!this.#failing) logger.warn({ err, event: 'shared-history-failed' }, "shared history: could not sync with the database; the other nodes' mail shows up here when it answers");
      this.#failing = true;
    }
  }

  async #readOthers(history: NonNullable<ServerHistory['shared']>): Promise<void> {
    const { pool, nodeId, logger } = this.#o;
    const { rows: clock } = await pool.query<{ now_ms: string }>(`SELECT ${DB_NOW_MS} AS now_ms`);
    const nowMs = Number(clock[0]?.now_ms);
    const point = (this.#point ??= this.#loadPoint(history, nowMs));
    for (;;) {
      const nodes = Object.keys(point.cursors);
      const { rows } = await pool.query<EventRow>(
        `SELECT e.seq, e.node, e.published_ms, e.event
           FROM hikyaku_history_events e
           LEFT JOIN unnest($3::text[], $4::bigint[]) AS c(node, seq) ON c.node = e.node
          WHERE e.published_ms > $1 AND e.node <> $2 AND e.seq > COALESCE(c.seq, 0)
          ORDER BY e.seq LIMIT ${PAGE}`,
        [point.sinceMs, nodeId, nodes, nodes.map((n) => point.cursors[n])],
      );
      const events: HistoryEvent[] = [];
      for (const row of rows) {
        point.cursors[row.node] = row.seq;
        if (isHistoryEvent(row.event)) events.push(row.event);
        else logger.warn({ event: 'shared-history-unreadable', seq: row.seq, node: row.node }, 'shared history: skipped an event this version cannot read');
      }
      const last = rows.length < PAGE;
      if (last) {
        point.sinceMs = Math.max(point.sinceMs, nowMs - REREAD_MS);
        // A node with no row left in the window cannot be read again: its cursor is not needed.
        const { rows: active } = await pool.query<{ node: string }>('SELECT DISTINCT node FROM hikyaku_history_events WHERE published_ms > $1', [point.sinceMs]);
        const keep = new Set(active.map((r) => r.node));
        for (const n of Object.keys(point.cursors)) if (!keep.has(n)) delete point.cursors[n];
      }
      if (rows.length > 0 || last) history.apply(events, JSON.stringify(point));
      if (last) break;
    }
    if (nowMs - this.#lastPruneMs >= PRUNE_EVERY_MS) {
      this.#lastPruneMs = nowMs;
      await pool.query('DELETE FROM hikyaku_history_events WHERE published_ms < $1', [nowMs - KEEP_MS]);
    }
  }

  #loadPoint(history: NonNullable<ServerHistory['shared']>, nowMs: number): SyncPoint {
    const saved = history.syncPoint();
    if (saved !== undefined) {
      try {
        const p = JSON.parse(saved) as SyncPoint;
        if (typeof p.sinceMs === 'number' && typeof p.cursors === 'object' && p.cursors !== null) {
          if (p.sinceMs < nowMs - KEEP_MS) {
            this.#o.logger.warn(
              { event: 'shared-history-gap', sinceMs: p.sinceMs },
              "shared history: this node was away longer than the other nodes' events are kept (one day); their mail of that gap is missing from this node's history",
            );
          }
          return p;
        }
      } catch {
        // Unreadable: start again as a new node would.
      }
    }
    return { sinceMs: nowMs - KEEP_MS, cursors: {} };
  }

  /** How many events wait to be published (for tests and status). */
  get pending(): number {
    return this.#pending.length;
  }

  /** Last sync (this node's last events reach the others; the history may be closed already), then stop. */
  async close(): Promise<void> {
    await this.#periodic.stop();
    this.#history = undefined;
    await this.sync();
  }
}

/** `hikyaku queue hold|release|delete` on a node of a cluster: the other nodes' history learns of it too. */
export async function publishHistoryEvents(pool: Pool, publisher: string, events: readonly HistoryEvent[]): Promise<void> {
  await pool.query(SHARED_HISTORY_SCHEMA);
  await pool.query(
    `INSERT INTO hikyaku_history_events (node, event)
     SELECT $1, e FROM unnest($2::jsonb[]) WITH ORDINALITY AS t(e, n) ORDER BY n`,
    [publisher, events.map((e) => JSON.stringify(e))],
  );
}
