// A Map with a size cap for counters keyed by something a stranger chooses
// (client addresses, login names): a scan from a million addresses must not
// grow memory without bound. Entries are kept in order of last use (a
// JavaScript Map iterates in insertion order, so "use" = delete + set, O(1)).
// Past the cap the oldest entry goes: the one least recently used or
// looked at (see below), which under a flood is close enough to LRU.
//
// Entries that have become idle (their window and block have run out) are
// removed as we go: every `touch` looks at the two oldest entries and
// deletes them when idle, or moves them to the young end when not, so over
// time every entry is looked at and idle ones disappear without a timer or
// a full scan. Moving a busy entry to the young end also keeps it (a block,
// an open session) from being the next one evicted.

export class RecencyMap<V> {
  private readonly entries = new Map<string, V>();
  private readonly maxEntries: number;
  private readonly isIdle: (value: V, nowMs: number) => boolean;

  constructor(maxEntries: number, isIdle: (value: V, nowMs: number) => boolean) {
    if (!(maxEntries >= 1)) throw new RangeError(`RecencyMap: maxEntries must be at least 1, not ${maxEntries}`);
    this.maxEntries = maxEntries;
    this.isIdle = isIdle;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  /** Stores `value` under `key` as the most recently used entry, then tidies the old end. */
  touch(key: string, value: V, nowMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    this.tidy(key, nowMs);
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  /** Is `value` still the entry stored under `key` (not evicted or replaced)? */
  holds(key: string, value: V): boolean {
    return this.entries.get(key) === value;
  }

  private tidy(justTouched: string, nowMs: number): void {
    // Evict first, while the entry just touched is surely at the young end.
    while (this.entries.size > this.maxEntries) {
      const oldestKey = this.entries.keys().next().value;
      if (oldestKey === undefined) break;
      this.entries.delete(oldestKey);
    }
    for (let looked = 0; looked < 2; looked++) {
      const oldest = this.entries.entries().next().value;
      if (oldest === undefined || oldest[0] === justTouched) break;
      this.entries.delete(oldest[0]);
      if (!this.isIdle(oldest[1], nowMs)) this.entries.set(oldest[0], oldest[1]);
    }
  }
}
