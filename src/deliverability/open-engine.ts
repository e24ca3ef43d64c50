// Builds the deliverability engine from the configuration: shipped tables
// (shipped-tables.ts) merged with the configured groups, the back-off store
// in the data directory. main.ts hands the result to the deliverer.
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { BackoffStore } from './backoff-store.js';
import { DeliverabilityEngine } from './engine.js';
import { mergeGroups, type ProviderGroup } from './provider-groups.js';
import { shippedGroups, shippedReplies } from './shipped-tables.js';

export interface OpenEngine {
  readonly engine: DeliverabilityEngine | undefined;
  close(): void;
}

/** The groups in effect: configured ones over the shipped table. */
export function effectiveGroups(config: Config): ProviderGroup[] {
  return mergeGroups(shippedGroups(), config.deliverability.groups);
}

/** The key the back-off state is kept under: the configured source address, or "default". */
export function sourceKey(config: Config): string {
  return config.delivery.sourceAddress ?? 'default';
}

export function openDeliverabilityEngine(config: Config, logger: Logger): OpenEngine {
  const d = config.deliverability;
  if (!d.enabled) return { engine: undefined, close: () => undefined };
  const store = BackoffStore.open(config.dataDir);
  const engine = new DeliverabilityEngine(
    {
      coolingPeriodMs: d.coolingPeriodMs,
      recoveryStepMs: d.recoveryStepMs,
      suspendPeriodMs: d.suspendPeriodMs,
      rateIntervalMs: d.rateIntervalMs,
      warmup: d.warmup.enabled ? { firstDay: d.warmup.firstDay, growth: d.warmup.growth, dayMs: d.warmup.dayMs } : undefined,
    },
    { groups: effectiveGroups(config), replies: shippedReplies(), store, source: sourceKey(config), logger },
  );
  return {
    engine,
    close: () => {
      engine.close();
      store.close();
    },
  };
}
