// What every cluster sync shares (shared-limits.ts, shared-history.ts,
// shared-suppression.ts): run every interval on an unref'd timer, one run
// at a time (a call during a run gets that run), and a stop that waits for
// the run in progress.
export class PeriodicSync {
  readonly #run: () => Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  /** `run` must not throw (each sync logs its own failures). */
  constructor(run: () => Promise<void>) {
    this.#run = run;
  }

  start(intervalMs: number): void {
    this.#timer = setInterval(() => void this.sync(), intervalMs);
    this.#timer.unref();
  }

  sync(): Promise<void> {
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  /** No more timed runs; resolves when the run in progress (if any) has ended. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
