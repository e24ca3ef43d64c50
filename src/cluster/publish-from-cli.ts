// A CLI command run on one node of a cluster changes that node's own files
// itself (history.db, suppression.db) and tells the other nodes through the
// cluster's tables, over a one-connection pool opened for the command.
//
// - `hikyaku queue hold|release|delete`: the change goes to the others'
//   history (shared-history.ts) under a name of its own, not the server's
//   node id: a node applies every writer's rows in that writer's order, and
//   the server and this command write independently.
// - `hikyaku suppression add|remove`: the entry goes to the cluster's list
//   (shared-suppression.ts) under this node's name: this node's server
//   already has it (the same suppression.db).
import pg from 'pg';
import type { HistoryEvent } from '../history/history-events.js';
import type { SuppressionChange } from '../policy/suppression-store.js';
import { loadOrCreateNodeId } from './node-id.js';
import { publishHistoryEvents } from './shared-history.js';
import { publishChanges, SHARED_SUPPRESSION_SCHEMA } from './shared-suppression.js';

async function withPool(url: string, run: (pool: pg.Pool) => Promise<void>): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 10_000 });
  try {
    await run(pool);
  } finally {
    await pool.end();
  }
}

export function publishQueueChange(url: string, dataDir: string, event: HistoryEvent): Promise<void> {
  return withPool(url, (pool) => publishHistoryEvents(pool, `${loadOrCreateNodeId(dataDir)}/cli-${process.pid}`, [event]));
}

export function publishSuppressionChanges(url: string, dataDir: string, changes: readonly SuppressionChange[]): Promise<void> {
  return withPool(url, async (pool) => {
    await pool.query(SHARED_SUPPRESSION_SCHEMA);
    await publishChanges(pool, loadOrCreateNodeId(dataDir), changes);
  });
}
