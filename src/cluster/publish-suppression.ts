// `hikyaku suppression add|remove` on one node of a cluster: the command
// changes this node's suppression.db itself (the running server sees it
// within a second) and tells the cluster's list (shared-suppression.ts),
// from which the other nodes take it.
import pg from 'pg';
import type { SuppressionChange } from '../policy/suppression-store.js';
import { loadOrCreateNodeId } from './node-id.js';
import { publishChanges, SHARED_SUPPRESSION_SCHEMA } from './shared-suppression.js';

export async function publishSuppressionChanges(url: string, dataDir: string, changes: readonly SuppressionChange[]): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 10_000 });
  try {
    await pool.query(SHARED_SUPPRESSION_SCHEMA);
    // Under this node's name: this node's server already has the change (the same suppression.db).
    await publishChanges(pool, loadOrCreateNodeId(dataDir), changes);
  } finally {
    await pool.end();
  }
}
