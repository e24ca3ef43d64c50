// Sending quotas: messages counted per key (`user:info@example.com`,
// `app:info@example.com/wordpress`, `domain:example.com`) in two sliding
// windows, the last hour and the last day. A sliding window is what users
// expect from "100 per hour": there is no moment at which the whole count
// resets and a burst of twice the limit gets through. The hour is 60
// one-minute buckets and the day 24 one-hour buckets, so a count leaves
// the window between 59 and 60 minutes (23 and 24 hours) after it was made,
// and "resets at" is the time the oldest buckets have taken enough away.
//
// Per message: one Map lookup and O(1) work per key, no allocation except
// when a key is first seen, no disk write. The counts live in memory;
// CounterSnapshotStore saves the changed keys every few seconds
// (SnapshotSource), so a crash loses at most that interval's counts.
import { BucketRing } from './bucket-ring.js';
import { bytesFloat64, float64Bytes, type SnapshotChange, type SnapshotSource } from './snapshot-source.js';

/** What a caller counts a message against. A missing limit means no limit in that window. */
export interface QuotaKey {
  readonly key: string;
  readonly limitPerHour?: number | undefined;
  readonly limitPerDay?: number | undefined;
}

export type QuotaWindow = 'hour' | 'day';

/** The limit one more message would break, and when enough old messages will have left the window. */
export interface QuotaExceeded {
  readonly key: string;
  readonly window: QuotaWindow;
  readonly limit: number;
  readonly used: number;
  /** Infinity when the limit is 0. */
  readonly resetsAtMs: number;
}

export interface QuotaUsage {
  readonly hour: number;
  readonly day: number;
}

export interface QuotaCounterOptions {
  /** Length of the "hour" window. Default 3,600,000 (tests use e.g. 2,000). */
  readonly hourMs?: number;
  /** Length of the "day" window. Default 86,400,000. */
  readonly dayMs?: number;
  /** Buckets in the hour window. Default 60 (one a minute). */
  readonly hourBuckets?: number;
  /** Buckets in the day window. Default 24 (one an hour). */
  readonly dayBuckets?: number;
}

/**
 * The contract a shared backend (PostgreSQL, Redis) will implement for
 * several nodes; it may then answer with promises. QuotaCounter, the
 * in-memory one, answers synchronously.
 */
export interface QuotaCounterStore {
  /** Would `count` more messages (default 1) break a limit? The latest-resetting breach, or undefined. */
  check(keys: readonly QuotaKey[], nowMs: number, count?: number): QuotaExceeded | undefined | Promise<QuotaExceeded | undefined>;
  record(keys: readonly { readonly key: string }[], nowMs: number, count?: number): void | Promise<void>;
  /** check, then record when nothing is broken: the atomic form a shared backend needs. */
  consume(keys: readonly QuotaKey[], nowMs: number, count?: number): QuotaExceeded | undefined | Promise<QuotaExceeded | undefined>;
  usage(key: string, nowMs: number): QuotaUsage | Promise<QuotaUsage>;
}

interface KeyCounts {
  readonly hour: BucketRing;
  readonly day: BucketRing;
  /** Already in `changed` (saved at the next flush). */
  dirty: boolean;
}

const NO_USAGE: QuotaUsage = Object.freeze({ hour: 0, day: 0 });

/** Told of every count this node makes (cluster/shared-limits.ts publishes them to the other nodes). */
export type QuotaRecordListener = (key: string, nowMs: number, count: number) => void;

export class QuotaCounter implements QuotaCounterStore, SnapshotSource {
  readonly snapshotName = 'quota';
  readonly snapshotSettings: string;
  private readonly counts = new Map<string, KeyCounts>();
  /**
   * Counts the other nodes of a cluster made, kept apart from this node's
   * own (which alone are saved in counters.db, so a restart cannot count
   * another node's messages twice); checks and usage add both.
   */
  private remote: QuotaCounter | undefined;
  private onRecord: QuotaRecordListener | undefined;
  private changed: string[] = [];
  private readonly hourMs: number;
  private readonly dayMs: number;
  private readonly hourBuckets: number;
  private readonly dayBuckets: number;

  constructor(options: QuotaCounterOptions = {}) {
    this.hourMs = options.hourMs ?? 3_600_000;
    this.dayMs = options.dayMs ?? 86_400_000;
    this.hourBuckets = options.hourBuckets ?? 60;
    this.dayBuckets = options.dayBuckets ?? 24;
    const probe = this.newCounts(); // validates the options and gives the effective bucket counts
    this.snapshotSettings = `hour=${this.hourMs}/${probe.hour.bucketCount} day=${this.dayMs}/${probe.day.bucketCount}`;
  }

  /** A counter of the other nodes' counts (same windows), added to every check and usage. */
  shareWith(remote: QuotaCounter | undefined, onRecord: QuotaRecordListener | undefined): void {
    this.remote = remote;
    this.onRecord = onRecord;
  }

  check(keys: readonly QuotaKey[], nowMs: number, count = 1): QuotaExceeded | undefined {
    let worst: QuotaExceeded | undefined;
    for (const quota of keys) {
      const counts = this.counts.get(quota.key);
      const others = this.remote?.counts.get(quota.key);
      worst = later(worst, breach(quota, 'hour', quota.limitPerHour, counts?.hour, others?.hour, nowMs, count));
      worst = later(worst, breach(quota, 'day', quota.limitPerDay, counts?.day, others?.day, nowMs, count));
    }
    return worst;
  }

  record(keys: readonly { readonly key: string }[], nowMs: number, count = 1): void {
    for (const { key } of keys) {
      let counts = this.counts.get(key);
      if (counts === undefined) {
        counts = this.newCounts();
        this.counts.set(key, counts);
      }
      counts.hour.add(nowMs, count);
      counts.day.add(nowMs, count);
      if (!counts.dirty) {
        counts.dirty = true;
        this.changed.push(key);
      }
      this.onRecord?.(key, nowMs, count);
    }
  }

  consume(keys: readonly QuotaKey[], nowMs: number, count = 1): QuotaExceeded | undefined {
    const exceeded = this.check(keys, nowMs, count);
    if (exceeded === undefined) this.record(keys, nowMs, count);
    return exceeded;
  }

  usage(key: string, nowMs: number): QuotaUsage {
    const counts = this.counts.get(key);
    const own = counts === undefined ? NO_USAGE : { hour: counts.hour.total(nowMs), day: counts.day.total(nowMs) };
    if (this.remote === undefined) return own;
    const others = this.remote.usage(key, nowMs);
    return { hour: own.hour + others.hour, day: own.day + others.day };
  }

  /** Keys held in memory (keys whose windows are empty are dropped at each snapshot). */
  get size(): number {
    return this.counts.size;
  }

  takeChanges(nowMs: number, all: boolean): SnapshotChange[] {
    const out: SnapshotChange[] = [];
    // Drop the keys with nothing left in either window: a key costs memory
    // only while it has counts (its saved row goes with it).
    for (const [key, counts] of this.counts) {
      if (counts.day.total(nowMs) === 0 && counts.hour.total(nowMs) === 0) {
        this.counts.delete(key);
        out.push({ key, state: null });
      }
    }
    const keys = all ? this.counts.keys() : this.changed;
    for (const key of keys) {
      const counts = this.counts.get(key);
      if (counts === undefined) continue; // dropped above
      counts.dirty = false;
      const saved = new Float64Array(counts.hour.savedLength + counts.day.savedLength);
      counts.hour.saveInto(saved, 0, nowMs);
      counts.day.saveInto(saved, counts.hour.savedLength, nowMs);
      out.push({ key, state: float64Bytes(saved) });
    }
    this.changed = [];
    return out;
  }

  restoreEntry(key: string, state: Uint8Array, nowMs: number): boolean {
    const counts = this.newCounts();
    const saved = bytesFloat64(state, counts.hour.savedLength + counts.day.savedLength);
    if (saved === undefined || !counts.hour.loadFrom(saved, 0, nowMs) || !counts.day.loadFrom(saved, counts.hour.savedLength, nowMs)) {
      return false;
    }
    this.counts.set(key, counts);
    return true;
  }

  private newCounts(): KeyCounts {
    return { hour: new BucketRing(this.hourMs, this.hourBuckets), day: new BucketRing(this.dayMs, this.dayBuckets), dirty: false };
  }
}

function breach(
  quota: QuotaKey,
  window: QuotaWindow,
  limit: number | undefined,
  own: BucketRing | undefined,
  others: BucketRing | undefined,
  nowMs: number,
  count: number,
): QuotaExceeded | undefined {
  if (limit === undefined) return undefined;
  const used = (own === undefined ? 0 : own.total(nowMs)) + (others === undefined ? 0 : others.total(nowMs));
  if (used + count <= limit) return undefined;
  const ring = own === undefined ? others : others === undefined ? own : summed(own, others, nowMs);
  const resetsAtMs = ring === undefined || limit - count < 0 ? Number.POSITIVE_INFINITY : ring.fallsToMs(limit - count, nowMs);
  return { key: quota.key, window, limit, used, resetsAtMs };
}

/** One ring holding both rings' counts (same window and buckets): for "resets at" on the refusal path only. */
function summed(a: BucketRing, b: BucketRing, nowMs: number): BucketRing {
  const x = new Float64Array(a.savedLength);
  const y = new Float64Array(b.savedLength);
  a.saveInto(x, 0, nowMs);
  b.saveInto(y, 0, nowMs);
  for (let i = 1; i < x.length; i++) x[i] = (x[i] ?? 0) + (y[i] ?? 0);
  const sum = new BucketRing(a.windowMs, a.bucketCount);
  sum.loadFrom(x, 0, nowMs);
  return sum;
}

/** Of two breaches, the one that lasts longer: the message can go only when both have reset. */
function later(a: QuotaExceeded | undefined, b: QuotaExceeded | undefined): QuotaExceeded | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b.resetsAtMs > a.resetsAtMs ? b : a;
}
