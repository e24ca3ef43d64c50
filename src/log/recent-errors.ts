// The last error lines the server logged, kept in memory for `hikyaku status`
// ("last errors"): the log itself is in the journal, which the status command
// may not be allowed to read, and a count of errors in the last hour is what a
// monitoring check wants. Filled by a pino hook (logger.ts) that looks at the
// level of each call and nothing more, unless it is an error.
export interface RecentError {
  readonly atMs: number;
  /** 50 error, 60 fatal. */
  readonly level: number;
  readonly msg: string;
  /** The `err` field's message, when one was logged. */
  readonly detail?: string;
}

export class RecentErrors {
  readonly #entries: RecentError[] = [];
  #total = 0;

  constructor(private readonly keep = 10) {}

  /** pino's logMethod arguments: ([mergingObject,] message, …). */
  note(level: number, args: readonly unknown[]): void {
    const [first] = args;
    const msg = typeof first === 'string' ? first : typeof args[1] === 'string' ? args[1] : '';
    const err = typeof first === 'object' && first !== null ? (first as { err?: unknown }).err : undefined;
    const detail = err instanceof Error ? err.message : undefined;
    this.#entries.push({ atMs: Date.now(), level, msg, ...(detail === undefined ? {} : { detail }) });
    if (this.#entries.length > this.keep) this.#entries.shift();
    this.#total++;
  }

  /** Newest first. */
  list(): RecentError[] {
    return [...this.#entries].reverse();
  }

  /** Errors logged since start (the list keeps only the last few). */
  get total(): number {
    return this.#total;
  }
}
