// A sliding-window counter: the window is cut into equal buckets, and the
// count "in the last window" is the sum of the newest bucket and the ones
// before it. A count leaves the window when its bucket falls off the end,
// so the window slides in steps of one bucket (one minute of an hour with
// 60 buckets). Adding, reading the total and moving the window are O(1)
// amortised: moving forward clears one bucket per elapsed bucket width, at
// most `bucketCount` per call. Memory is one small typed array per ring.
//
// Buckets are numbered from the epoch (index = floor(timeMs × bucketCount /
// windowMs)), so a saved ring means the same after a restart (if the window
// and bucket count are the same: the owner saves those with it). Time going
// backwards (a clock step) is treated as "no time passed": counts then land
// in the newest bucket, never in one already expired.

export class BucketRing {
  readonly bucketCount: number;
  readonly windowMs: number;
  private readonly counts: Float64Array;
  private newestIndex = Number.NEGATIVE_INFINITY;
  /** Where the newest bucket is in `counts`; kept beside the index so moving on needs no `%` per bucket. */
  private newestSlot = 0;
  private sum = 0;

  /** `windowMs` split into `bucketCount` buckets (fewer when the window is shorter than that many milliseconds). */
  constructor(windowMs: number, bucketCount: number) {
    if (!(windowMs > 0) || !(bucketCount >= 1)) throw new RangeError(`BucketRing: bad window ${windowMs} ms / ${bucketCount} buckets`);
    this.bucketCount = Math.max(1, Math.min(Math.floor(bucketCount), Math.floor(windowMs)));
    this.windowMs = windowMs;
    this.counts = new Float64Array(this.bucketCount);
  }

  /** Length of the array `save` returns. */
  get savedLength(): number {
    return this.bucketCount + 1;
  }

  add(nowMs: number, count: number): void {
    this.advance(nowMs);
    this.counts[this.newestSlot] = (this.counts[this.newestSlot] ?? 0) + count;
    this.sum += count;
  }

  /** The count inside the window that ends at `nowMs`. */
  total(nowMs: number): number {
    this.advance(nowMs);
    return this.sum;
  }

  /** The count of the newest bucket (the one `nowMs` falls in). */
  newest(nowMs: number): number {
    this.advance(nowMs);
    return this.counts[this.newestSlot] ?? 0;
  }

  /**
   * When the total will have fallen to `target` or below if nothing more is
   * added: the end of the bucket whose expiry takes enough away. `nowMs`
   * when it already has; Infinity for a negative target. O(bucketCount):
   * meant for the refusal path, not for every message.
   */
  fallsToMs(target: number, nowMs: number): number {
    this.advance(nowMs);
    if (this.sum <= target) return nowMs;
    if (target < 0) return Number.POSITIVE_INFINITY;
    let remaining = this.sum;
    let slot = this.newestSlot;
    for (let index = this.newestIndex - this.bucketCount + 1; index < this.newestIndex; index++) {
      slot = slot + 1 === this.bucketCount ? 0 : slot + 1; // the oldest bucket first
      remaining -= this.counts[slot] ?? 0;
      if (remaining <= target) return this.endOf(index);
    }
    return this.endOf(this.newestIndex); // when the newest bucket leaves, nothing is left
  }

  /**
   * Writes the ring into `out` at `offset`: the newest bucket's index, then
   * the counts oldest first (savedLength numbers). A copy, no per-bucket
   * object: saving thousands of rings must stay cheap.
   */
  saveInto(out: Float64Array, offset: number, nowMs: number): void {
    this.advance(nowMs);
    out[offset] = this.newestIndex;
    const firstSlot = this.newestSlot + 1;
    out.set(this.counts.subarray(firstSlot), offset + 1);
    out.set(this.counts.subarray(0, firstSlot), offset + 1 + this.bucketCount - firstSlot);
  }

  /**
   * Replaces the counts with saved ones (`saveInto`'s layout), then moves
   * the window to `nowMs`, which drops what expired meanwhile. False (and
   * nothing changed) when the saved numbers are not a valid ring.
   */
  loadFrom(saved: Float64Array, offset: number, nowMs: number): boolean {
    const index = saved[offset];
    if (index === undefined || !Number.isSafeInteger(index) || saved.length < offset + this.savedLength) return false;
    let sum = 0;
    for (let k = 1; k <= this.bucketCount; k++) {
      const count = saved[offset + k] ?? -1;
      if (!(count >= 0 && count < Number.MAX_SAFE_INTEGER)) return false;
      sum += count;
    }
    this.newestIndex = index;
    this.newestSlot = this.slotOf(index);
    const firstSlot = this.newestSlot + 1;
    const tail = this.bucketCount - firstSlot;
    this.counts.set(saved.subarray(offset + 1, offset + 1 + tail), firstSlot);
    this.counts.set(saved.subarray(offset + 1 + tail, offset + 1 + this.bucketCount), 0);
    this.sum = sum;
    this.advance(nowMs);
    return true;
  }

  private advance(nowMs: number): void {
    // Multiply first: nowMs / (windowMs / bucketCount) can round just below a bucket boundary.
    const index = Math.floor((nowMs * this.bucketCount) / this.windowMs);
    const steps = index - this.newestIndex;
    if (!(steps > 0)) return;
    if (steps >= this.bucketCount) {
      this.counts.fill(0);
      this.sum = 0;
      this.newestSlot = this.slotOf(index);
    } else {
      let slot = this.newestSlot;
      for (let step = 0; step < steps; step++) {
        slot = slot + 1 === this.bucketCount ? 0 : slot + 1;
        this.sum -= this.counts[slot] ?? 0;
        this.counts[slot] = 0;
      }
      this.newestSlot = slot;
    }
    this.newestIndex = index;
  }

  /** When the counts of bucket `index` leave the window. */
  private endOf(index: number): number {
    return Math.ceil(((index + this.bucketCount) * this.windowMs) / this.bucketCount);
  }

  private slotOf(index: number): number {
    const slot = index % this.bucketCount;
    return slot < 0 ? slot + this.bucketCount : slot;
  }
}
