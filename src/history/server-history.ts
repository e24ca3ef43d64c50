// The history as the running server uses it: what intake and the scheduler
// hand over (main.ts wires these calls), the hourly retention prune, and the
// reader given to the console. With history.retentionDays = 0 nothing is
// opened and every call is a no-op.
import type { Envelope, Submitter } from '../core/envelope.js';
import type { DeliveryFailure, RecipientOutcome } from '../core/outcome.js';
import type { Logger } from '../log/logger.js';
import { HistoryStore } from './history-store.js';
import type { HistoryReader } from './history-types.js';
import { attemptFromFailure, attemptFromOutcome } from './outcome-attempt.js';

const DAY_MS = 86_400_000;
const PRUNE_INTERVAL_MS = 3_600_000;

export interface ServerHistory {
  readonly reader: HistoryReader;
  accepted(a: { id: string; envelope: Envelope; message: Buffer; submitter: Submitter; held: boolean; atMs: number }): void;
  outcomes(id: string, outcomes: readonly RecipientOutcome[]): void;
  failed(id: string, failed: readonly { rcptTo: string; kind: 'bounced' | 'expired'; failure: DeliveryFailure }[]): void;
  close(): void;
}

/** The way in, from the submitter's `via` (submission/submissions/relay, api, sendmail/maildrop, bounce/brake). */
export function sourceOf(via: string): string {
  if (via === 'api') return 'api';
  if (via === 'sendmail' || via === 'maildrop') return 'sendmail';
  if (via === 'bounce' || via === 'brake') return 'dsn';
  return 'smtp';
}

export function openServerHistory(dataDir: string, retentionDays: number, logger: Logger): ServerHistory {
  if (retentionDays <= 0) return NO_HISTORY;
  const store = HistoryStore.open(dataDir, { onError: (err) => logger.error({ err }, 'could not record a message in the history') });
  const prune = (): void => {
    // Small batches, one per turn: the write lock is never held long.
    const step = (): void => {
      try {
        if (store.pruneBatch(Date.now() - retentionDays * DAY_MS) > 0) setImmediate(step).unref();
      } catch (err) {
        logger.warn({ err }, 'could not prune the message history; trying again in an hour');
      }
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
  return {
    reader: store,
    accepted: (a) =>
      guarded('an accepted message', () =>
        store.recordAccepted({
          id: a.id,
          mailFrom: a.envelope.mailFrom,
          rcptTo: a.envelope.rcptTo,
          message: a.message,
          source: sourceOf(a.submitter.via),
          user: a.submitter.user,
          held: a.held,
          atMs: a.atMs,
        }),
      ),
    outcomes: (id, outcomes) => {
      const atMs = Date.now();
      guarded('delivery outcomes', () => store.recordAttempts(id, outcomes.map((o) => attemptFromOutcome(o, atMs))));
    },
    failed: (id, failed) => {
      const atMs = Date.now();
      guarded('final failures', () => store.recordVerdicts(id, failed.map((f) => attemptFromFailure(f.rcptTo, f.kind, f.failure, atMs))));
    },
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

const NO_HISTORY: ServerHistory = { reader: EMPTY_READER, accepted: () => {}, outcomes: () => {}, failed: () => {}, close: () => {} };
