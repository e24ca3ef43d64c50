// The compromised-account brake: a credential whose password was stolen
// usually starts sending far more than it ever did. Per credential key we
// compare the count of the current window (default: this clock hour) with
// the credential's own normal, the mean count per window over its recent
// history (default: the last 168 hourly windows, a week, or fewer for a
// credential younger than that). When the current count passes
// max(floor, factor × normal) the key is braked, and stays braked until an
// admin releases it (`hikyaku user unflag`). A new credential has no
// history: its normal is 0 and the floor alone applies.
//
// Windows are fixed (aligned to the epoch), not sliding: the question is
// "is this hour unusual for this sender", and a fixed window keeps the
// history one number per window. Per message: O(1) (one Map lookup, a ring
// add, a comparison). The history is saved with the quotas in counters.db.
//
// Known limit: a sender whose normal is bursty (a weekly newsletter of
// 5,000 from an account that is otherwise quiet) trips the brake; such
// accounts need a higher floor.
import { BucketRing } from './bucket-ring.js';
import { bytesFloat64, float64Bytes, type SnapshotChange, type SnapshotSource } from './snapshot-source.js';

export interface BrakeTrip {
  readonly key: string;
  /** Messages in the window when it tripped. */
  readonly current: number;
  /** The key's mean per window over its history. */
  readonly normal: number;
  /** max(floor, factor × normal): what `current` passed. */
  readonly threshold: number;
  readonly atMs: number;
}

export interface BrakeOptions {
  /** One window. Default 3,600,000 (an hour). */
  readonly windowMs?: number;
  /** Past windows that make up the normal. Default 168 (a week of hours). */
  readonly historyWindows?: number;
  /** How many times the normal trips the brake. Default 10. */
  readonly factor?: number;
  /** Messages per window always allowed, whatever the history. Default 100. */
  readonly floor?: number;
  /** Called once when a key is braked (log it, tell the admin). Must not throw. */
  readonly onTrip?: (trip: BrakeTrip) => void;
}

export interface BrakeStatus {
  readonly current: number;
  readonly normal: number;
  readonly threshold: number;
  readonly braked: boolean;
}

/** The contract a shared backend will implement; it may answer with promises. */
export interface SendingBrakeStore {
  /** Counts messages; true when the key is braked (now or before). */
  record(key: string, nowMs: number, count?: number): boolean | Promise<boolean>;
  isBraked(key: string): boolean | Promise<boolean>;
  /** Lifts the brake; true when it was on. */
  release(key: string): boolean | Promise<boolean>;
}

interface KeyHistory {
  /** historyWindows + 1 buckets of one window each: the newest is the current window. */
  readonly ring: BucketRing;
  /** The window the key was first seen in: a young key's normal is its mean since then. */
  readonly firstWindow: number;
  /** The window of the latest record. */
  lastWindow: number;
  trip: BrakeTrip | undefined;
  /** After a release: that window's count up to the release no longer counts towards tripping. */
  releasedWindow: number;
  releasedAllowance: number;
  dirty: boolean;
}

export class SendingBrake implements SendingBrakeStore, SnapshotSource {
  readonly snapshotName = 'brake';
  readonly snapshotSettings: string;
  private readonly keys = new Map<string, KeyHistory>();
  private changed: string[] = [];
  private readonly windowMs: number;
  private readonly historyWindows: number;
  private readonly factor: number;
  private readonly floor: number;
  private readonly onTrip: ((trip: BrakeTrip) => void) | undefined;
  /** Nodes sharing one queue (cluster/shared-limits.ts): told of every count this node makes. */
  private onRecord: ((key: string, atMs: number, count: number) => void) | undefined;
  /** ... and the other nodes' counts, kept apart (not saved: re-read from the database at start). */
  private remote: SendingBrake | undefined;

  constructor(options: BrakeOptions = {}) {
    this.windowMs = options.windowMs ?? 3_600_000;
    this.historyWindows = options.historyWindows ?? 168;
    this.factor = options.factor ?? 10;
    this.floor = options.floor ?? 100;
    this.onTrip = options.onTrip;
    if (!(this.windowMs >= 1) || !Number.isInteger(this.historyWindows) || this.historyWindows < 1) {
      throw new RangeError(`SendingBrake: bad windowMs ${this.windowMs} or historyWindows ${this.historyWindows}`);
    }
    this.snapshotSettings = `window=${this.windowMs} history=${this.historyWindows}`;
  }

  /**
   * On a cluster: `onRecord` hears every count this node makes (to publish),
   * and `remote` (a sibling() filled with applyRemote) holds the other
   * nodes' counts, so that a stolen credential spread over several nodes
   * trips at the cluster's total. This node trips only on its own traffic:
   * the node that sees the credential's next message trips it (flags it and
   * tells the admin).
   */
  shareWith(remote: SendingBrake | undefined, onRecord: ((key: string, atMs: number, count: number) => void) | undefined): void {
    this.remote = remote;
    this.onRecord = onRecord;
  }

  /** An empty brake with the same windows, for the other nodes' counts. */
  sibling(): SendingBrake {
    return new SendingBrake({ windowMs: this.windowMs, historyWindows: this.historyWindows, factor: this.factor, floor: this.floor });
  }

  record(key: string, nowMs: number, count = 1): boolean {
    const history = this.add(key, nowMs, count);
    this.onRecord?.(key, nowMs, count);
    if (history.trip !== undefined) return true;
    const { current, normal, threshold } = this.measure(key, history, nowMs);
    if (current <= threshold) return false;
    history.trip = { key, current, normal, threshold, atMs: nowMs };
    this.onTrip?.(history.trip);
    return true;
  }

  /** Messages another node counted for the key (on the sibling given to shareWith): counted, never tripping. */
  applyRemote(key: string, atMs: number, count: number): void {
    this.add(key, atMs, count);
  }

  private add(key: string, nowMs: number, count: number): KeyHistory {
    const window = Math.floor(nowMs / this.windowMs);
    let history = this.keys.get(key);
    if (history === undefined) {
      history = this.newHistory(window);
      this.keys.set(key, history);
    }
    history.ring.add(nowMs, count);
    if (window > history.lastWindow) history.lastWindow = window;
    this.markChanged(key, history);
    return history;
  }

  isBraked(key: string): boolean {
    return this.keys.get(key)?.trip !== undefined;
  }

  /** Why the key is braked, or undefined. */
  tripOf(key: string): BrakeTrip | undefined {
    return this.keys.get(key)?.trip;
  }

  /** Every braked key (for the admin's listing). */
  braked(): BrakeTrip[] {
    const out: BrakeTrip[] = [];
    for (const history of this.keys.values()) if (history.trip !== undefined) out.push(history.trip);
    return out;
  }

  /**
   * Lifts the brake. What the key sent in its current window so far is
   * forgiven (else the next message would trip it again at once), but not
   * more: the key may send another threshold's worth in this window.
   */
  release(key: string): boolean {
    const history = this.keys.get(key);
    if (history?.trip === undefined) return false;
    history.trip = undefined;
    history.releasedWindow = history.lastWindow;
    history.releasedAllowance = history.ring.newest(history.lastWindow * this.windowMs);
    this.markChanged(key, history);
    return true;
  }

  status(key: string, nowMs: number): BrakeStatus {
    const history = this.keys.get(key);
    if (history === undefined) return { current: 0, normal: 0, threshold: this.floor, braked: false };
    return { ...this.measure(key, history, nowMs), braked: history.trip !== undefined };
  }

  get size(): number {
    return this.keys.size;
  }

  takeChanges(nowMs: number, all: boolean): SnapshotChange[] {
    const out: SnapshotChange[] = [];
    // A key with nothing in its whole history is the same as a new key: drop it (unless braked).
    for (const [key, history] of this.keys) {
      if (history.trip === undefined && history.ring.total(nowMs) === 0) {
        this.keys.delete(key);
        out.push({ key, state: null });
      }
    }
    for (const key of all ? this.keys.keys() : this.changed) {
      const history = this.keys.get(key);
      if (history === undefined) continue;
      history.dirty = false;
      out.push({ key, state: float64Bytes(saved(history, nowMs)) });
    }
    this.changed = [];
    return out;
  }

  restoreEntry(key: string, state: Uint8Array, nowMs: number): boolean {
    const saved = bytesFloat64(state, HEADER_LENGTH + this.historyWindows + 2); // the ring: its newest index, then its buckets
    if (saved === undefined) return false;
    const [first, last, releasedWindow, releasedAllowance, tripped, current, normal, threshold, atMs] = saved;
    const integers = [first, last, releasedWindow];
    const numbers = [releasedAllowance, current, normal, threshold, atMs];
    if (!integers.every((n) => Number.isSafeInteger(n)) || !numbers.every((n) => Number.isFinite(n)) || (tripped !== 0 && tripped !== 1)) {
      return false;
    }
    const restored = this.newHistory(first as number);
    if (!restored.ring.loadFrom(saved, HEADER_LENGTH, nowMs)) return false;
    restored.lastWindow = last as number;
    restored.releasedWindow = releasedWindow as number;
    restored.releasedAllowance = releasedAllowance as number;
    if (tripped === 1) restored.trip = { key, current: current as number, normal: normal as number, threshold: threshold as number, atMs: atMs as number };
    this.keys.set(key, restored);
    return true;
  }

  private measure(key: string, history: KeyHistory, nowMs: number): Omit<BrakeStatus, 'braked'> {
    const window = Math.floor(nowMs / this.windowMs);
    // The other nodes' counts add to this node's (a cluster: cluster/shared-limits.ts).
    const remote = this.remote?.keys.get(key);
    const inWindow = history.ring.newest(nowMs) + (remote?.ring.newest(nowMs) ?? 0);
    const total = history.ring.total(nowMs) + (remote?.ring.total(nowMs) ?? 0);
    const firstWindow = Math.min(history.firstWindow, remote?.firstWindow ?? history.firstWindow);
    const current = window === history.releasedWindow ? inWindow - history.releasedAllowance : inWindow;
    const pastWindows = Math.min(this.historyWindows, window - firstWindow);
    const normal = pastWindows > 0 ? (total - inWindow) / pastWindows : 0;
    return { current, normal, threshold: Math.max(this.floor, this.factor * normal) };
  }

  private markChanged(key: string, history: KeyHistory): void {
    if (history.dirty) return;
    history.dirty = true;
    this.changed.push(key);
  }

  private newHistory(firstWindow: number): KeyHistory {
    // One bucket per window; the ring spans the history plus the current window.
    const ring = new BucketRing(this.windowMs * (this.historyWindows + 1), this.historyWindows + 1);
    return { ring, firstWindow, lastWindow: firstWindow, trip: undefined, releasedWindow: -1, releasedAllowance: 0, dirty: false };
  }
}

/** Numbers before the ring in a saved entry: first, last, releasedWindow, releasedAllowance, tripped (0/1), then the trip's current, normal, threshold, atMs. */
const HEADER_LENGTH = 9;

function saved(history: KeyHistory, nowMs: number): Float64Array {
  const out = new Float64Array(HEADER_LENGTH + history.ring.savedLength);
  const trip = history.trip;
  out.set([history.firstWindow, history.lastWindow, history.releasedWindow, history.releasedAllowance, trip === undefined ? 0 : 1]);
  if (trip !== undefined) out.set([trip.current, trip.normal, trip.threshold, trip.atMs], 5);
  history.ring.saveInto(out, HEADER_LENGTH, nowMs);
  return out;
}
