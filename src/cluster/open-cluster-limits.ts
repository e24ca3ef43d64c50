// The cluster side of the sending policy, when the queue is PostgreSQL
// shared by several nodes (store: postgres://…): quotas, AUTH failure
// counts and each node's part of the per-destination connection limit
// (shared-limits.ts), over a small pool of its own (the queue's pool is
// sized for its commits; these syncs must not wait behind them).
import pg from 'pg';
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { PolicyCounters } from '../policy/policy-counters.js';
import { loadOrCreateNodeId } from './node-id.js';
import { SharedLimits } from './shared-limits.js';

export async function openClusterLimits(url: string, config: Config, counters: PolicyCounters, logger: Logger): Promise<{ limits: SharedLimits; close(): Promise<void> }> {
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 10_000 });
  // An idle client that fails (the database restarted) must not crash the process: the next sync reconnects.
  pool.on('error', (err) => logger.warn({ err }, 'shared limits: a database connection failed'));
  try {
    const limits = await SharedLimits.start({
      pool,
      nodeId: loadOrCreateNodeId(config.dataDir),
      quotas: counters.quotas,
      quotaWindows: { hourMs: config.quotas.hourWindowMs, dayMs: config.quotas.dayWindowMs },
      authThrottle: counters.authThrottle,
      authWindowMs: config.auth.failureWindowMs,
      logger: logger.child({ component: 'shared-limits' }),
    });
    logger.info({ event: 'shared-limits', nodes: limits.liveNodes }, 'quotas, AUTH failure counts and connection limits are shared with the other nodes');
    return {
      limits,
      close: async () => {
        await limits.close();
        await pool.end();
      },
    };
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}
