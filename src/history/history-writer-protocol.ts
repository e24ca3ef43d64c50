// What the main thread and the history's writer thread say to each other.
import type { HistoryRecord } from './history-writes.js';

export interface HistoryWriterData {
  readonly dataDir: string;
  readonly waitForAcceptance: boolean;
  /** Int32 slots (SLOT_*), so that the main thread can wait for a commit synchronously (Atomics.wait). */
  readonly shared: SharedArrayBuffer;
}

/** The sequence number of the last message handled (committed, or failed and reported). */
export const SLOT_DONE = 0;
/** Messages whose writes wait for their acceptance (a cluster's history). */
export const SLOT_PARKED = 1;
/** 1 once the writer cannot go on (it could not open history.db): waiters stop waiting. */
export const SLOT_DEAD = 2;
export const SHARED_SLOTS = 3;

export type ToHistoryWriter =
  | { readonly type: 'batch'; readonly seq: number; readonly records: readonly HistoryRecord[] }
  | { readonly type: 'prune'; readonly seq: number; readonly beforeMs: number; readonly batch: number }
  | { readonly type: 'close'; readonly seq: number };

export type FromHistoryWriter =
  | { readonly type: 'error'; readonly message: string; readonly code: string | undefined }
  /** A prune's answer: how many messages it removed, or undefined when it failed (reported as an error before). */
  | { readonly type: 'pruned'; readonly seq: number; readonly count: number | undefined };
