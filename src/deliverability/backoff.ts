// Automatic back-off of one provider group from one source address: pure
// rules over a small record, so that the state at any time follows from the
// stored record alone (the server and `hikyaku queue providers` compute the
// same thing, and a restart loses nothing).
//
// AIMD, as TCP does it: a throttling reply halves the rate (multiplicative
// decrease) for a cooling period; after it the rate climbs back by a quarter
// of the full rate per recovery step (additive increase) until it is full.
// A block-list reply suspends the group instead: nothing is sent until then.

export interface BackoffRecord {
  readonly source: string;
  readonly group: string;
  /** Share of the full rate in effect during the cooling period (0 < factor ≤ 1). */
  readonly factor: number;
  readonly slowedAtMs: number;
  readonly coolUntilMs: number;
  /** 0 = not suspended. */
  readonly suspendedUntilMs: number;
  /** The reply that caused it, "421 4.7.28". */
  readonly reason: string;
}

export interface BackoffSettings {
  readonly coolingPeriodMs: number;
  readonly recoveryStepMs: number;
  readonly suspendPeriodMs: number;
  /** Throttling replies closer together than this halve the rate only once (one 421 reaches many deliveries at once). */
  readonly minHalvingGapMs: number;
}

export const MIN_FACTOR = 1 / 64;
const STEP = 0.25;

/** The share of the full rate at `nowMs` (1 = full). */
export function factorAt(rec: BackoffRecord | undefined, s: Pick<BackoffSettings, 'recoveryStepMs'>, nowMs: number): number {
  if (rec === undefined) return 1;
  if (nowMs < rec.coolUntilMs) return rec.factor;
  const steps = 1 + Math.floor((nowMs - rec.coolUntilMs) / s.recoveryStepMs);
  return Math.min(1, rec.factor + STEP * steps);
}

export function isSuspended(rec: BackoffRecord | undefined, nowMs: number): boolean {
  return rec !== undefined && rec.suspendedUntilMs > nowMs;
}

/** When the rate is full again (and the record can be forgotten). */
export function fullAtMs(rec: BackoffRecord, s: Pick<BackoffSettings, 'recoveryStepMs'>): number {
  const steps = Math.max(0, Math.ceil((1 - rec.factor) / STEP - 1e-9));
  const slowEnd = steps === 0 ? rec.coolUntilMs : rec.coolUntilMs + (steps - 1) * s.recoveryStepMs;
  return Math.max(slowEnd, rec.suspendedUntilMs);
}

/** After a throttling reply: half the rate in effect now, for the cooling period (or `forMs`). */
export function slowDown(rec: BackoffRecord | undefined, s: BackoffSettings, key: { source: string; group: string }, nowMs: number, reason: string, forMs?: number): BackoffRecord {
  const coolUntilMs = nowMs + (forMs ?? s.coolingPeriodMs);
  if (rec !== undefined && nowMs - rec.slowedAtMs < s.minHalvingGapMs) {
    return { ...rec, coolUntilMs: Math.max(rec.coolUntilMs, coolUntilMs), factor: Math.min(rec.factor, factorAt(rec, s, nowMs)), reason };
  }
  const factor = Math.max(MIN_FACTOR, factorAt(rec, s, nowMs) / 2);
  return { ...key, factor, slowedAtMs: nowMs, coolUntilMs, suspendedUntilMs: rec?.suspendedUntilMs ?? 0, reason };
}

/** After a block-list reply: nothing to the group until the suspension ends; then it starts at half rate. */
export function suspend(rec: BackoffRecord | undefined, s: BackoffSettings, key: { source: string; group: string }, nowMs: number, reason: string, forMs?: number): BackoffRecord {
  const until = nowMs + (forMs ?? s.suspendPeriodMs);
  const slowed = slowDown(rec, s, key, nowMs, reason, until - nowMs);
  return { ...slowed, suspendedUntilMs: Math.max(until, rec?.suspendedUntilMs ?? 0) };
}

/** A limit scaled by the factor; never below 1. */
export function scaled(limit: number, factor: number): number {
  return Math.max(1, Math.floor(limit * factor));
}
