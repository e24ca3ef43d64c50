// The contract between an in-memory counter and CounterSnapshotStore, which
// saves it to disk in the background. The counter keeps a list of the keys
// it changed (a flag per key: O(1) per message, no write); every few seconds
// the store asks for those changes and writes them in one transaction.

/** One changed entry: its saved form (JSON-able), or null when the counter dropped the key. */
export interface SnapshotChange {
  readonly key: string;
  readonly state: object | null;
}

export interface SnapshotSource {
  /** Names this counter's rows in the file (`quota`, `brake`). */
  readonly snapshotName: string;
  /**
   * The settings the saved state depends on (window lengths, bucket counts).
   * State saved under other settings means something else: the store drops
   * it at load instead of restoring it wrongly.
   */
  readonly snapshotSettings: string;
  /**
   * The entries changed since the last call, and the keys dropped since
   * (a counter may use the call to drop idle keys). With `all`, every entry:
   * the store then rewrites this counter's rows (after a failed write).
   */
  takeChanges(nowMs: number, all: boolean): SnapshotChange[];
  /** Loads one saved entry at start; false when `state` is not valid (the store skips and counts it). */
  restoreEntry(key: string, state: unknown, nowMs: number): boolean;
}

/** Reads saved bucket entries ([index, count] pairs); undefined when the value is not that shape. */
export function parseBucketEntries(value: unknown): [number, number][] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: [number, number][] = [];
  for (const item of value as unknown[]) {
    if (!Array.isArray(item) || item.length !== 2) return undefined;
    const [index, count] = item as unknown[];
    if (!Number.isSafeInteger(index) || typeof count !== 'number' || !Number.isFinite(count) || count < 0) return undefined;
    out.push([index as number, count]);
  }
  return out;
}
