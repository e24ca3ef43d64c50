// `hikyaku queue hold|release|delete` run on one node of a cluster: the
// command records the change in this node's history.db itself (the server
// may never see a deletion), and publishes it for the other nodes' history
// (shared-history.ts). It publishes under a name of its own, not the
// server's node id: a node applies every writer's rows in that writer's
// order, and the server and this command write independently.
import pg from 'pg';
import type { HistoryEvent } from '../history/history-events.js';
import { loadOrCreateNodeId } from './node-id.js';
import { publishHistoryEvents } from './shared-history.js';

export async function publishQueueChange(url: string, dataDir: string, event: HistoryEvent): Promise<void> {
  const client = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 10_000 });
  try {
    await publishHistoryEvents(client, `${loadOrCreateNodeId(dataDir)}/cli-${process.pid}`, [event]);
  } finally {
    await client.end();
  }
}
