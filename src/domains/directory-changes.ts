// Change notification for the domains directory, so that the sending-domain
// lookup made for every accepted message needs no system call: a stat per
// candidate file per message was a visible share of intake's CPU time.
//
// A "generation" number goes up whenever the directory may have changed:
//  - at once, when a DomainStore of this process writes to it (all stores of
//    one directory share the counter: the CLI code and the server in one
//    process, or a future admin API, are seen immediately);
//  - when fs.watch (inotify on Linux) reports any event in the directory:
//    `hikyaku domain add/remove/rotate-key` run from another process is
//    seen a moment later, before the client of a new session gets to DATA;
//  - and answers are never trusted for longer than RECHECK_MS anyway, which
//    is the fallback where watching is impossible or misses a change (the
//    directory did not exist yet, was replaced, a network file system).
import fs from 'node:fs';
import path from 'node:path';

/** A cached answer older than this is checked against the files again. */
export const RECHECK_MS = 1000;

const counters = new Map<string, { value: number }>();

export class DirectoryChanges {
  readonly #dir: string;
  readonly #counter: { value: number };
  #watcher: fs.FSWatcher | undefined;
  /** Inode of the watched directory: a replaced directory needs a new watch. */
  #watchedIno: number | undefined;
  #lastWatchCheckMs = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(dir: string) {
    this.#dir = path.resolve(dir);
    let counter = counters.get(this.#dir);
    if (!counter) {
      counter = { value: 0 };
      counters.set(this.#dir, counter);
    }
    this.#counter = counter;
  }

  /** Called after every write to the directory by this process. */
  changed(): void {
    this.#counter.value++;
  }

  /**
   * The current generation: an answer computed at an older one must be
   * computed again. `nowMs` is a monotonic clock (performance.now()); at
   * most once per RECHECK_MS it is also used to start or repair the watch.
   */
  generation(nowMs: number): number {
    if (!this.#closed && nowMs - this.#lastWatchCheckMs >= RECHECK_MS) {
      this.#lastWatchCheckMs = nowMs;
      this.#checkWatch();
    }
    return this.#counter.value;
  }

  /** Stops watching (answers then rely on the RECHECK_MS fallback alone). */
  close(): void {
    this.#closed = true;
    this.#unwatch();
  }

  #checkWatch(): void {
    const st = fs.statSync(this.#dir, { throwIfNoEntry: false });
    if (this.#watcher && st?.ino === this.#watchedIno) return;
    this.#unwatch();
    if (!st?.isDirectory()) return;
    try {
      // persistent: false, so the watch never keeps a CLI process alive.
      const watcher = fs.watch(this.#dir, { persistent: false });
      watcher.on('change', () => this.changed());
      watcher.on('error', () => {
        // Watching stopped (the directory was removed, or the kernel's watch
        // limit): fall back to the periodic re-check, and watch again later.
        this.changed();
        if (this.#watcher === watcher) this.#unwatch();
      });
      this.#watcher = watcher;
      this.#watchedIno = st.ino;
      // Changes made before the watch began must not be missed.
      this.changed();
    } catch {
      // ENOSPC (inotify limit) or the directory vanished: the fallback covers it.
    }
  }

  #unwatch(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#watchedIno = undefined;
  }
}
