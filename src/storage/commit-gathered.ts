// Gathers a store's writes (api/api-store.ts, history/history-store.ts) and
// commits them in one transaction a little later: one commit per batch
// instead of one per write is what keeps these side databases off the hot
// path. Should one write of a batch fail, each is retried in its own
// transaction so that one bad write does not take the others with it.
import type Database from 'better-sqlite3';

export interface GatherOptions {
  /** How long a write may wait for others before the commit. */
  readonly delayMs: number;
  /** Commit at once when this many writes wait (bounds memory and commit size). */
  readonly maxPending?: number;
  /** Let the process end while writes wait: the store's close() commits them. */
  readonly unref?: boolean;
  /** A write that could not be committed (logged by the caller). */
  readonly onError: (err: unknown) => void;
}

export class GatheredWrites {
  readonly #db: Database.Database;
  readonly #options: GatherOptions;
  /** Writes waiting for the next commit, in order. */
  #pending: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(db: Database.Database, options: GatherOptions) {
    this.#db = db;
    this.#options = options;
  }

  add(write: () => void): void {
    if (this.#pending.push(write) >= (this.#options.maxPending ?? Infinity)) {
      this.flush();
      return;
    }
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.flush(), this.#options.delayMs);
    if (this.#options.unref === true) this.#timer.unref();
  }

  /** Commits the waiting writes now (reads and close() call it first). */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#pending.length === 0) return;
    const writes = this.#pending;
    this.#pending = [];
    commitGathered(this.#db, writes, this.#options.onError);
  }
}

/** One transaction for all the writes; should one fail, each again in its own (one bad write does not take the others with it). */
export function commitGathered(db: Database.Database, writes: readonly (() => void)[], onError: (err: unknown) => void): void {
  try {
    db.transaction(() => {
      for (const write of writes) write();
    })();
  } catch {
    for (const write of writes) {
      try {
        db.transaction(write)();
      } catch (err) {
        onError(err);
      }
    }
  }
}
