// IP warm-up: a new sending address ramps up per provider group on a
// schedule (Gmail's and Microsoft's advice for a new IP: start small, grow
// gradually). Day 0 of a (source, group) is the first time mail to that group
// was sent from that source; day n allows firstDay × growth^n messages; what
// is over waits in the queue for the next day. Pure rules over a record.

export interface WarmupSettings {
  readonly firstDay: number;
  readonly growth: number;
  /** The length of a "day": 24 h, shortened only by tests. */
  readonly dayMs: number;
}

export interface WarmupRecord {
  readonly source: string;
  readonly group: string;
  readonly startedAtMs: number;
  /** The day `sent` counts for. */
  day: number;
  sent: number;
}

export function dayAt(rec: Pick<WarmupRecord, 'startedAtMs'>, s: WarmupSettings, nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - rec.startedAtMs) / s.dayMs));
}

/** Messages allowed on day `day` (capped so that it stays a safe integer). */
export function dailyLimit(s: WarmupSettings, day: number): number {
  return Math.min(Number.MAX_SAFE_INTEGER, Math.floor(s.firstDay * s.growth ** Math.min(day, 60)));
}

export function dayEndsAtMs(rec: Pick<WarmupRecord, 'startedAtMs'>, s: WarmupSettings, day: number): number {
  return rec.startedAtMs + (day + 1) * s.dayMs;
}

/** The count for today, starting a new day when one has begun. */
export function sentToday(rec: WarmupRecord, s: WarmupSettings, nowMs: number): number {
  const day = dayAt(rec, s, nowMs);
  if (day !== rec.day) {
    rec.day = day;
    rec.sent = 0;
  }
  return rec.sent;
}
