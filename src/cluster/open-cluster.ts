// The cluster side of one node, when the queue is PostgreSQL shared by
// several nodes (store: postgres://…), over a small pool of its own (the
// queue's pool is sized for its commits; these syncs must not wait behind
// them):
// - the sending policy's limits: quotas, AUTH failure counts, the brake's counts and each
//   node's part of the per-destination connection limit (shared-limits.ts);
// - the message history, so that every node's console and CLI show the
//   whole cluster's mail (shared-history.ts);
// - the suppression list, so that a recipient refused on one node is
//   refused on all (shared-suppression.ts).
import pg from 'pg';
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { PolicyCounters } from '../policy/policy-counters.js';
import { loadOrCreateNodeId } from './node-id.js';
import { SharedHistory } from './shared-history.js';
import { SharedLimits } from './shared-limits.js';
import { SharedSuppression } from './shared-suppression.js';
import type { SuppressionStore } from '../policy/suppression-store.js';

export interface ClusterNode {
  readonly limits: SharedLimits;
  readonly history: SharedHistory;
  readonly suppression: SharedSuppression;
  close(): Promise<void>;
}

export async function openCluster(url: string, config: Config, counters: PolicyCounters, suppressionStore: SuppressionStore, logger: Logger): Promise<ClusterNode> {
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 10_000 });
  // An idle client that fails (the database restarted) must not crash the process: the next sync reconnects.
  pool.on('error', (err) => logger.warn({ err }, 'cluster: a database connection failed'));
  try {
    const nodeId = loadOrCreateNodeId(config.dataDir);
    const limits = await SharedLimits.start({
      pool,
      nodeId,
      quotas: counters.quotas,
      quotaWindows: { hourMs: config.quotas.hourWindowMs, dayMs: config.quotas.dayWindowMs },
      authThrottle: counters.authThrottle,
      brake: counters.brake,
      authWindowMs: config.auth.failureWindowMs,
      logger: logger.child({ component: 'shared-limits' }),
    });
    const history = await SharedHistory.create({ pool, nodeId, logger: logger.child({ component: 'shared-history' }) });
    const suppression = await SharedSuppression.start({ pool, nodeId, store: suppressionStore, logger: logger.child({ component: 'shared-suppression' }) });
    logger.info({ event: 'shared-limits', nodes: limits.liveNodes }, 'quotas, AUTH failure counts, the brake, connection limits, the suppression list and the message history are shared with the other nodes');
    return {
      limits,
      history,
      suppression,
      close: async () => {
        await Promise.allSettled([limits.close(), history.close(), suppression.close()]);
        await pool.end();
      },
    };
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}
