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

/**
 * Items that wait up to `delayMs` for others (or until `maxPending` of them
 * wait) and then go to `send` together, in order: the gathering shared by
 * GatheredWrites below and the history's writer thread client.
 */
export class Gathered<T> {
  readonly #options: Omit<GatherOptions, 'onError'>;
  readonly #send: (items: T[]) => void;
  #pending: T[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(options: Omit<GatherOptions, 'onError'>, send: (items: T[]) => void) {
    this.#options = options;
    this.#send = send;
  }

  add(item: T): void {
    if (this.#pending.push(item) >= (this.#options.maxPending ?? Infinity)) {
      this.flush();
      return;
    }
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.flush(), this.#options.delayMs);
    if (this.#options.unref === true) this.#timer.unref();
  }

  /** Sends what waits now. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#pending.length === 0) return;
    const items = this.#pending;
    this.#pending = [];
    this.#send(items);
  }
}

export class GatheredWrites {
  readonly #gathered: Gathered<() => void>;

  constructor(db: Database.Database, options: GatherOptions) {
    this.#gathered = new Gathered(options, (writes) => commitGathered(db, writes, options.onError));
  }

  add(write: () => void): void {
    this.#gathered.add(write);
  }

  /** Commits the waiting writes now (reads and close() call it first). */
  flush(): void {
    this.#gathered.flush();
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
