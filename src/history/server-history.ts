// The history as the running server uses it: what intake and the scheduler
// hand over (main.ts wires these calls), the hourly retention prune, and the
// reader given to the console. With history.retentionDays = 0 nothing is
// opened and every call is a no-op.
import type { Envelope, Submitter } from '../core/envelope.js';
import type { DeliveryFailure, RecipientOutcome } from '../core/outcome.js';
import type { Logger } from '../log/logger.js';
import { acceptedEvent, applyHistoryEvent, type HistoryEvent } from './history-events.js';
import { HistoryStore } from './history-store.js';
import type { HistoryReader } from './history-types.js';
import { attemptFromFailure, attemptFromOutcome } from './outcome-attempt.js';

const DAY_MS = 86_400_000;
const PRUNE_INTERVAL_MS = 3_600_000;

/** The history's reader, and the console's way to record its own holds, releases and deletions. */
export type ServerHistoryReader = HistoryReader & { recordQueueChange(id: string, change: 'held' | 'released' | 'deleted'): void };

/**
 * Nodes sharing one queue (src/cluster/shared-history.ts): what this node
 * records is also handed to `publish`, and what the others recorded comes
 * back through `apply` (with the sync point committed alongside).
 */
export interface HistorySharing {
  publish(event: HistoryEvent): void;
}

export interface ServerHistory {
  readonly reader: ServerHistoryReader;
  accepted(a: { id: string; envelope: Envelope; message: Buffer; submitter: Submitter; held: boolean; atMs: number }): void;
  outcomes(id: string, outcomes: readonly RecipientOutcome[]): void;
  failed(id: string, failed: readonly { rcptTo: string; kind: 'bounced' | 'expired'; failure: DeliveryFailure }[]): void;
  /** Set when nodes share the history: the other nodes' events, and where reading them stands. */
  readonly shared?: {
    apply(events: readonly HistoryEvent[], syncPoint: string): void;
    syncPoint(): string | undefined;
    readonly waitingForAcceptance: number;
  };
  close(): void;
}

const SYNC_POINT = 'history-events';

/** The way in, from the submitter's `via` (submission/submissions/relay, api, sendmail/maildrop, bounce/brake). */
export function sourceOf(via: string): string {
  if (via === 'api') return 'api';
  if (via === 'sendmail' || via === 'maildrop') return 'sendmail';
  if (via === 'bounce' || via === 'brake') return 'dsn';
  return 'smtp';
}

export function openServerHistory(dataDir: string, retentionDays: number, logger: Logger, sharing?: HistorySharing): ServerHistory {
  if (retentionDays <= 0) return NO_HISTORY;
  const store = HistoryStore.open(dataDir, {
    onError: (err) => logger.error({ err }, 'could not record a message in the history'),
    waitForAcceptance: sharing !== undefined,
  });
  const prune = (): void => {
    // Small batches, one per turn: the write lock is never held long.
    const step = (): void => {
      store.pruneBatch(Date.now() - retentionDays * DAY_MS).then(
        (pruned) => {
          if (pruned > 0) setImmediate(step).unref();
        },
        (err: unknown) => logger.warn({ err }, 'could not prune the message history; trying again in an hour'),
      );
    };
    step();
  };
  const timer = setInterval(prune, PRUNE_INTERVAL_MS);
  timer.unref();
  setImmediate(prune).unref();
  // Never throws: the history must not disturb intake or delivery.
  const guarded = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      logger.error({ err }, `could not record ${what} in the history`);
    }
  };
  const queueChange = (id: string, change: 'held' | 'released' | 'deleted'): void => {
    const atMs = Date.now();
    store.recordQueueChange(id, change, atMs);
    sharing?.publish({ kind: 'change', id, change, atMs });
  };
  const reader: ServerHistoryReader = {
    message: (id) => store.message(id),
    search: (q) => store.search(q),
    series: (sinceMs, bucketMs) => store.series(sinceMs, bucketMs),
    topFailingDestinations: (sinceMs, limit) => store.topFailingDestinations(sinceMs, limit),
    recentForAddress: (address, limit) => store.recentForAddress(address, limit),
    recordQueueChange: queueChange,
  };
  return {
    reader,
    accepted: (a) =>
      guarded('an accepted message', () => {
        const accepted = {
          id: a.id,
          mailFrom: a.envelope.mailFrom,
          rcptTo: a.envelope.rcptTo,
          message: a.message,
          source: sourceOf(a.submitter.via),
          user: a.submitter.user,
          held: a.held,
          atMs: a.atMs,
        };
        store.recordAccepted(accepted);
        sharing?.publish(acceptedEvent(accepted));
      }),
    outcomes: (id, outcomes) => {
      const atMs = Date.now();
      guarded('delivery outcomes', () => {
        const attempts = outcomes.map((o) => attemptFromOutcome(o, atMs));
        store.recordAttempts(id, attempts);
        sharing?.publish({ kind: 'attempts', id, attempts });
      });
    },
    failed: (id, failed) => {
      const atMs = Date.now();
      guarded('final failures', () => {
        const verdicts = failed.map((f) => attemptFromFailure(f.rcptTo, f.kind, f.failure, atMs));
        store.recordVerdicts(id, verdicts);
        sharing?.publish({ kind: 'verdicts', id, verdicts });
      });
    },
    ...(sharing === undefined
      ? {}
      : {
          shared: {
            apply: (events: readonly HistoryEvent[], syncPoint: string) =>
              guarded("the other nodes' history", () => {
                for (const e of events) applyHistoryEvent(store, e);
                store.saveSyncPoint(SYNC_POINT, syncPoint);
              }),
            syncPoint: () => store.syncPoint(SYNC_POINT),
            get waitingForAcceptance() {
              return store.waitingForAcceptance;
            },
          },
        }),
    close: () => {
      clearInterval(timer);
      store.close();
    },
  };
}

const EMPTY_READER: HistoryReader = {
  message: () => undefined,
  search: () => ({ items: [], total: 0 }),
  series: () => [],
  topFailingDestinations: () => [],
  recentForAddress: () => [],
};

const NO_HISTORY: ServerHistory = { reader: { ...EMPTY_READER, recordQueueChange: () => {} }, accepted: () => {}, outcomes: () => {}, failed: () => {}, close: () => {} };
