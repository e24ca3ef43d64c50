// The suppression list across nodes that share one PostgreSQL queue: a
// recipient that hard-bounced on one node (or that an admin added, or that
// unsubscribed) is refused at RCPT on every node, since the mail of one
// sending domain goes out through all of them and the providers judge its
// reputation as a whole.
//
// Each node keeps its suppression.db and its in-memory key set (the RCPT
// lookup stays local, policy/suppression-store.ts). The list's current state
// is also kept in one PostgreSQL table, one row per (sending domain,
// recipient): a node writes there the entry as it now stands after each add
// (the expiry merged) and marks removals as tombstones, every `intervalMs`;
// and it applies the rows the other nodes changed since its last read (by
// the database's clock, a few seconds looked at again for late commits).
// Applying is idempotent (a row replaces the local one; a tombstone deletes
// it), so a node that starts simply reads the whole table: a new node gets
// the whole cluster's list. At start a node also offers its own entries
// (ON CONFLICT DO NOTHING: a node that joins brings the list it had, without
// bringing back what another node removed since).
//
// When two nodes change one entry within the same second, the later write
// to PostgreSQL wins on every node. Tombstones are kept TOMBSTONE_MS.
import type { Pool } from 'pg';
import type { Logger } from '../log/logger.js';
import type { SuppressionChange, SuppressionEntry, SuppressionStore } from '../policy/suppression-store.js';
import { DB_NOW_MS } from './db-clock.js';
import { PeriodicSync } from './periodic-sync.js';

export const SHARED_SUPPRESSION_SCHEMA = `
CREATE TABLE IF NOT EXISTS hikyaku_suppression (
  sending_domain TEXT NOT NULL,
  recipient_key  TEXT NOT NULL,
  recipient      TEXT NOT NULL,
  reason         TEXT NOT NULL,
  source         TEXT NOT NULL,
  created_at_ms  BIGINT NOT NULL,
  expires_at_ms  BIGINT,
  removed        BOOLEAN NOT NULL DEFAULT false,
  node           TEXT NOT NULL,
  changed_ms     BIGINT NOT NULL DEFAULT ${DB_NOW_MS},
  PRIMARY KEY (sending_domain, recipient_key)
);
CREATE INDEX IF NOT EXISTS hikyaku_suppression_changed ON hikyaku_suppression (changed_ms);
`;

/** How long a removal is remembered for nodes that were away. */
export const TOMBSTONE_MS = 30 * 86_400_000;
const REREAD_MS = 5_000;
const PRUNE_EVERY_MS = 600_000;
const MAX_PENDING = 100_000;

interface Row {
  sending_domain: string;
  recipient_key: string;
  recipient: string;
  reason: string;
  source: 'bounce' | 'manual';
  created_at_ms: string;
  expires_at_ms: string | null;
  removed: boolean;
}

export interface SharedSuppressionOptions {
  readonly pool: Pool;
  readonly nodeId: string;
  readonly store: SuppressionStore;
  readonly logger: Logger;
  /** Default 1,000 ms. */
  readonly intervalMs?: number;
}

export class SharedSuppression {
  readonly #o: SharedSuppressionOptions;
  #pending: SuppressionChange[] = [];
  #sinceMs = 0;
  #lastPruneMs = 0;
  readonly #periodic = new PeriodicSync(() => this.#sync());
  #failing = false;

  private constructor(options: SharedSuppressionOptions) {
    this.#o = options;
  }

  /** Creates the table if needed, offers this node's entries, reads the cluster's list, then syncs every interval. */
  static async start(options: SharedSuppressionOptions): Promise<SharedSuppression> {
    await options.pool.query(SHARED_SUPPRESSION_SCHEMA);
    const shared = new SharedSuppression(options);
    const own = options.store.list({ includeExpired: false });
    for (let i = 0; i < own.length; i += 1_000) await offer(options.pool, options.nodeId, own.slice(i, i + 1_000));
    options.store.watch((change) => shared.#note(change));
    await shared.sync();
    shared.#periodic.start(options.intervalMs ?? 1_000);
    return shared;
  }

  #note(change: SuppressionChange): void {
    if (this.#pending.length >= MAX_PENDING) this.#pending.shift();
    this.#pending.push(change);
  }

  /** One at a time; never throws. */
  sync(): Promise<void> {
    return this.#periodic.sync();
  }

  async #sync(): Promise<void> {
    const { pool, nodeId, store, logger } = this.#o;
    const outgoing = this.#pending;
    this.#pending = [];
    try {
      await publishChanges(pool, nodeId, outgoing);
      const { rows: clock } = await pool.query<{ now_ms: string }>(`SELECT ${DB_NOW_MS} AS now_ms`);
      const nowMs = Number(clock[0]?.now_ms);
      const { rows } = await pool.query<Row>(
        `SELECT sending_domain, recipient_key, recipient, reason, source, created_at_ms, expires_at_ms, removed
           FROM hikyaku_suppression WHERE changed_ms > $1 AND node <> $2 ORDER BY changed_ms`,
        [this.#sinceMs, nodeId],
      );
      store.applyChanges(rows.map(toChange));
      this.#sinceMs = Math.max(this.#sinceMs, nowMs - REREAD_MS);
      if (nowMs - this.#lastPruneMs >= PRUNE_EVERY_MS) {
        this.#lastPruneMs = nowMs;
        await pool.query('DELETE FROM hikyaku_suppression WHERE (removed AND changed_ms < $1) OR expires_at_ms < $2', [nowMs - TOMBSTONE_MS, nowMs]);
      }
      if (this.#failing) logger.info({ event: 'shared-suppression-recovered' }, 'shared suppression list: the database answers again');
      this.#failing = false;
    } catch (err) {
      this.#pending = outgoing.concat(this.#pending);
      if (!this.#failing) logger.warn({ err, event: 'shared-suppression-failed' }, "shared suppression list: could not sync with the database; the other nodes' entries arrive when it answers");
      this.#failing = true;
    }
  }

  async close(): Promise<void> {
    await this.#periodic.stop();
    this.#o.store.watch(undefined);
    await this.sync();
  }
}

function toChange(row: Row): SuppressionChange {
  if (row.removed) return { op: 'remove', recipientKey: row.recipient_key, sendingDomain: row.sending_domain };
  const entry: SuppressionEntry = {
    sendingDomain: row.sending_domain,
    recipient: row.recipient,
    recipientKey: row.recipient_key,
    reason: row.reason,
    source: row.source,
    createdAtMs: Number(row.created_at_ms),
    expiresAtMs: row.expires_at_ms === null ? undefined : Number(row.expires_at_ms),
  };
  return { op: 'set', entry };
}

const UPSERT = `
INSERT INTO hikyaku_suppression (sending_domain, recipient_key, recipient, reason, source, created_at_ms, expires_at_ms, removed, node)
SELECT * , false, $8 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])`;

function columns(entries: readonly SuppressionEntry[]): unknown[] {
  return [
    entries.map((e) => e.sendingDomain),
    entries.map((e) => e.recipientKey),
    entries.map((e) => e.recipient),
    entries.map((e) => e.reason),
    entries.map((e) => e.source),
    entries.map((e) => e.createdAtMs),
    entries.map((e) => e.expiresAtMs ?? null),
  ];
}

/** This node's entries as it joins: added where the cluster has no row (live or removed) for them. */
async function offer(pool: Pool, nodeId: string, entries: readonly SuppressionEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await pool.query(`${UPSERT} ON CONFLICT (sending_domain, recipient_key) DO NOTHING`, [...columns(entries), nodeId]);
}

/**
 * Changes made on this node (by the server, or by `hikyaku suppression` on
 * a node of a cluster), in order: an entry as it stands replaces the
 * cluster's row; a removal marks the rows removed (one sending domain, or all).
 */
export async function publishChanges(pool: Pool, nodeId: string, changes: readonly SuppressionChange[]): Promise<void> {
  // Consecutive sets go in one statement; a key set twice in one batch keeps its last state.
  let sets = new Map<string, SuppressionEntry>();
  const flushSets = async (): Promise<void> => {
    if (sets.size === 0) return;
    const entries = [...sets.values()];
    sets = new Map();
    await pool.query(
      `${UPSERT} ON CONFLICT (sending_domain, recipient_key) DO UPDATE SET recipient = EXCLUDED.recipient, reason = EXCLUDED.reason,
         source = EXCLUDED.source, created_at_ms = EXCLUDED.created_at_ms, expires_at_ms = EXCLUDED.expires_at_ms,
         removed = false, node = EXCLUDED.node, changed_ms = ${DB_NOW_MS}`,
      [...columns(entries), nodeId],
    );
  };
  for (const c of changes) {
    if (c.op === 'set') {
      sets.set(`${c.entry.sendingDomain}\n${c.entry.recipientKey}`, c.entry);
      continue;
    }
    await flushSets();
    await pool.query(
      `UPDATE hikyaku_suppression SET removed = true, node = $1, changed_ms = ${DB_NOW_MS}
        WHERE recipient_key = $2 AND ($3::text IS NULL OR sending_domain = $3) AND NOT removed`,
      [nodeId, c.recipientKey, c.sendingDomain ?? null],
    );
  }
  await flushSets();
}
