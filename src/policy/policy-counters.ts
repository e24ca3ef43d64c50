// The in-memory counters of the sending policy, built from the configuration,
// with their background snapshot (counters.db) so that quotas and the
// brake's history survive a restart. One set per server process.
import type { Config } from '../config/types.js';
import { AuthThrottle } from './auth-throttle.js';
import { networkList } from './client-address.js';
import { SendingBrake } from './brake.js';
import { ConnectionLimiter } from './connection-limiter.js';
import { CounterSnapshotStore } from './counter-snapshot-store.js';
import { QuotaCounter } from './quota-counter.js';

export interface PolicyCounters {
  readonly quotas: QuotaCounter;
  readonly brake: SendingBrake | undefined;
  readonly authThrottle: AuthThrottle;
  readonly connections: ConnectionLimiter;
  /** The last snapshot, then the file is closed. */
  close(): void;
}

export function openPolicyCounters(config: Config, onError: (err: unknown) => void): PolicyCounters {
  const { quotas: q, brake: b, auth, limits } = config;
  const quotas = new QuotaCounter({ hourMs: q.hourWindowMs, dayMs: q.dayWindowMs });
  const brake = b.enabled ? new SendingBrake({ windowMs: b.windowMs, historyWindows: b.historyWindows, factor: b.factor, floor: b.floor }) : undefined;
  const snapshots = CounterSnapshotStore.open(config.dataDir, brake === undefined ? [quotas] : [quotas, brake], { onError });
  return {
    quotas,
    brake,
    authThrottle: new AuthThrottle({
      failureWindowMs: auth.failureWindowMs,
      maxFailuresPerClient: auth.maxFailuresPerClient,
      maxFailuresPerLogin: auth.maxFailuresPerLogin,
      blockMs: auth.blockDurationMs,
    }),
    connections: new ConnectionLimiter({
      maxPerClient: limits.maxConnectionsPerClient,
      maxRatePerClient: limits.connectionRatePerClient,
      // No list at all when none is configured: BlockList#check builds an object per call.
      ...(limits.clientLimitExemptNetworks.length > 0 ? { exempt: networkList(limits.clientLimitExemptNetworks) } : {}),
    }),
    close: () => snapshots.close(),
  };
}
