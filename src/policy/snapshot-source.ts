// The contract between an in-memory counter and CounterSnapshotStore, which
// saves it to disk in the background. The counter keeps a list of the keys
// it changed (a flag per key: O(1) per message, no write); every few seconds
// the store asks for those changes and writes them in one transaction.

/** One changed entry: its saved form (the counter's own bytes), or null when the counter dropped the key. */
export interface SnapshotChange {
  readonly key: string;
  readonly state: Uint8Array | null;
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
  restoreEntry(key: string, state: Uint8Array, nowMs: number): boolean;
}

// The counters save numbers (bucket rings and a few fields) as raw
// float64s: a copy per key instead of building and printing JSON, so that a
// flush of thousands of keys stays a few milliseconds.

export function float64Bytes(numbers: Float64Array): Uint8Array {
  return new Uint8Array(numbers.buffer, numbers.byteOffset, numbers.byteLength);
}

/** The numbers in saved bytes (copied: a BLOB from SQLite need not be 8-byte aligned); undefined when the length does not fit. */
export function bytesFloat64(bytes: Uint8Array, expectedLength: number): Float64Array | undefined {
  if (bytes.byteLength !== expectedLength * 8) return undefined;
  return new Float64Array(Uint8Array.from(bytes).buffer);
}
