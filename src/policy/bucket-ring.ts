// A sliding-window counter: the window is cut into equal buckets, and the
// count "in the last window" is the sum of the newest bucket and the ones
// before it. A count leaves the window when its bucket falls off the end,
// so the window slides in steps of one bucket (one minute of an hour with
// 60 buckets). Adding, reading the total and moving the window are O(1)
// amortised: moving forward clears one bucket per elapsed bucket width, at
// most `bucketCount` per call. Memory is one small typed array per ring.
//
// Buckets are numbered from the epoch (index = floor(timeMs × bucketCount / windowMs)), so
// a saved ring means the same after a restart (if the window and bucket
// count are the same: the owner saves those with it). Time going backwards (a clock
// step) is treated as "no time passed": counts then land in the newest
// bucket, never in one already expired.

/** [absolute bucket index, count] for each non-empty bucket: the saved form of a ring. */
export type BucketEntries = readonly (readonly [number, number])[];

export class BucketRing {
  readonly bucketCount: number;
  readonly windowMs: number;
  private readonly counts: Float64Array;
  private newestIndex = Number.NEGATIVE_INFINITY;
  private sum = 0;

  /** `windowMs` split into `bucketCount` buckets (fewer when the window is shorter than that many milliseconds). */
  constructor(windowMs: number, bucketCount: number) {
    if (!(windowMs > 0) || !(bucketCount >= 1)) throw new RangeError(`BucketRing: bad window ${windowMs} ms / ${bucketCount} buckets`);
    this.bucketCount = Math.max(1, Math.min(Math.floor(bucketCount), Math.floor(windowMs)));
    this.windowMs = windowMs;
    this.counts = new Float64Array(this.bucketCount);
  }

  add(nowMs: number, count: number): void {
    this.advance(nowMs);
    const slot = this.slot(this.newestIndex);
    this.counts[slot] = (this.counts[slot] ?? 0) + count;
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
    return this.counts[this.slot(this.newestIndex)] ?? 0;
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
    for (let index = this.newestIndex - this.bucketCount + 1; index <= this.newestIndex; index++) {
      remaining -= this.counts[this.slot(index)] ?? 0;
      if (remaining <= target) return this.endOf(index);
    }
    return this.endOf(this.newestIndex); // not reached: remaining ends at 0
  }

  /** The non-empty buckets, oldest first, for saving. */
  entries(nowMs: number): [number, number][] {
    this.advance(nowMs);
    const out: [number, number][] = [];
    for (let index = this.newestIndex - this.bucketCount + 1; index <= this.newestIndex; index++) {
      const count = this.counts[this.slot(index)] ?? 0;
      if (count > 0) out.push([index, count]);
    }
    return out;
  }

  /** Adds saved buckets: those already out of the window are dropped, those from the future count as now. */
  restore(entries: BucketEntries, nowMs: number): void {
    this.advance(nowMs);
    for (const [index, count] of entries) {
      if (index <= this.newestIndex - this.bucketCount) continue;
      const slot = this.slot(Math.min(index, this.newestIndex));
      this.counts[slot] = (this.counts[slot] ?? 0) + count;
      this.sum += count;
    }
  }

  private advance(nowMs: number): void {
    // Multiply first: nowMs / (windowMs / bucketCount) can round just below a bucket boundary.
    const index = Math.floor((nowMs * this.bucketCount) / this.windowMs);
    if (index <= this.newestIndex) return;
    if (index - this.newestIndex >= this.bucketCount) {
      this.counts.fill(0);
      this.sum = 0;
    } else {
      for (let i = this.newestIndex + 1; i <= index; i++) {
        const slot = this.slot(i);
        this.sum -= this.counts[slot] ?? 0;
        this.counts[slot] = 0;
      }
    }
    this.newestIndex = index;
  }

  /** When the counts of bucket `index` leave the window. */
  private endOf(index: number): number {
    return Math.ceil(((index + this.bucketCount) * this.windowMs) / this.bucketCount);
  }

  private slot(index: number): number {
    const slot = index % this.bucketCount;
    return slot < 0 ? slot + this.bucketCount : slot;
  }
}
