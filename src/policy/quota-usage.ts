// "Usage against limits" for `hikyaku user show`, read from the counters the
// running server saves every few seconds (counters.db), without writing to
// it. Figures are as of the server's last save (at most 5 s old).
import type { Config, QuotaLimits } from '../config/types.js';
import type { QuotaOverrides } from '../users/principal.js';
import { CounterSnapshotStore } from './counter-snapshot-store.js';
import { QuotaCounter } from './quota-counter.js';
import { credentialKeyOf } from './sender.js';

export interface QuotaUsageReader {
  /** "messages this hour: 12 / 1000, today: 40 / 10000" for a user, or one of its app passwords. */
  describe(user: string, appPasswordLabel: string | undefined, overrides: QuotaOverrides, lang: 'en' | 'ja'): string;
  close(): void;
}

export function openQuotaUsage(config: Config): QuotaUsageReader {
  const quotas = new QuotaCounter({ hourMs: config.quotas.hourWindowMs, dayMs: config.quotas.dayWindowMs });
  const snapshot = CounterSnapshotStore.open(config.dataDir, [quotas], { readOnly: true });
  return {
    describe(user, label, overrides, lang) {
      const defaults: QuotaLimits = label === undefined ? config.quotas.user : config.quotas.appPassword;
      const used = quotas.usage(credentialKeyOf(user, label), Date.now());
      const limit = (n: number | undefined): string => (n === undefined || n === 0 ? (lang === 'ja' ? '上限なし' : 'no limit') : String(n));
      const hour = `${used.hour} / ${limit(overrides.messagesPerHour ?? defaults.messagesPerHour)}`;
      const day = `${used.day} / ${limit(overrides.messagesPerDay ?? defaults.messagesPerDay)}`;
      return lang === 'ja' ? `送信数 (直近 1 時間): ${hour}、(直近 24 時間): ${day}` : `sent in the last hour: ${hour}, last day: ${day}`;
    },
    close: () => snapshot.close(),
  };
}
