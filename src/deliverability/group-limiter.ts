// The live limits of one (source address, provider group): simultaneous
// deliveries, and messages per minute and per hour as token buckets. A
// bucket holds at most a tenth of its period's allowance, so that in any
// period at most the limit plus that tenth go out (a steady pace, not a
// burst at the start of each minute). Pure arithmetic on a clock given by
// the caller; the engine decides what to do when a limit is reached.

class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(nowMs: number, capacity: number) {
    this.tokens = capacity;
    this.lastMs = nowMs;
  }

  /** Refill for the time passed; `perMs` tokens per millisecond, at most `capacity`. */
  private refill(nowMs: number, perMs: number, capacity: number): void {
    if (nowMs > this.lastMs) this.tokens = Math.min(capacity, this.tokens + (nowMs - this.lastMs) * perMs);
    else this.tokens = Math.min(capacity, this.tokens);
    this.lastMs = nowMs;
  }

  /** 0 when a token is there now, else the wait in ms. */
  waitMs(nowMs: number, perMs: number, capacity: number): number {
    this.refill(nowMs, perMs, capacity);
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / perMs);
  }

  take(): void {
    this.tokens -= 1;
  }
}

export interface EffectiveLimits {
  readonly connections: number | undefined;
  readonly perMinute: number | undefined;
  readonly perHour: number | undefined;
}

export class GroupLimiter {
  active = 0;
  readonly waiters: (() => void)[] = [];
  /** Spreads the retry times of held messages at the group's pace (no herd at one instant). */
  private holdOffsetMs = 0;
  private minute: TokenBucket | undefined;
  private hour: TokenBucket | undefined;

  constructor(private readonly minuteMs: number) {}

  /** 0 when a message may start now under the rate limits, else the wait in ms. */
  rateWaitMs(nowMs: number, limits: EffectiveLimits): number {
    let wait = 0;
    if (limits.perMinute !== undefined) {
      const cap = Math.max(1, limits.perMinute / 10);
      this.minute ??= new TokenBucket(nowMs, cap);
      wait = Math.max(wait, this.minute.waitMs(nowMs, limits.perMinute / this.minuteMs, cap));
    }
    if (limits.perHour !== undefined) {
      const cap = Math.max(1, limits.perHour / 10);
      this.hour ??= new TokenBucket(nowMs, cap);
      wait = Math.max(wait, this.hour.waitMs(nowMs, limits.perHour / (60 * this.minuteMs), cap));
    }
    return wait;
  }

  /** Count one message against the rate limits (after rateWaitMs said 0). */
  takeRate(): void {
    this.minute?.take();
    this.hour?.take();
  }

  /**
   * The time to give a held message: after `waitMs`, plus an offset that
   * advances by one pace step per held message and wraps after `horizonMs`
   * (one rate interval). Held mail thus comes back spread at the group's
   * pace over the next interval, not all at one instant, and a backlog is
   * never scheduled far ahead at a pace that a recovery would make stale.
   */
  holdUntil(nowMs: number, waitMs: number, paceMs: number, horizonMs: number): number {
    this.holdOffsetMs += paceMs;
    if (this.holdOffsetMs >= horizonMs) this.holdOffsetMs = 0;
    return nowMs + waitMs + this.holdOffsetMs;
  }
}
