// The retry schedule: first retry after `initialDelayMs`, doubling each time,
// never more than `maxDelayMs`; give up once the message is older than
// `maxLifetimeMs` (Postfix: maximal_queue_lifetime, 5 days by default).

export interface RetrySchedule {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxLifetimeMs: number;
  /** Send a delay notice after this long in the queue; undefined = never. */
  readonly delayNoticeAfterMs: number | undefined;
}

export const defaultRetrySchedule: RetrySchedule = Object.freeze({
  initialDelayMs: 5 * 60_000,
  maxDelayMs: 60 * 60_000,
  maxLifetimeMs: 5 * 24 * 3600_000,
  delayNoticeAfterMs: 4 * 3600_000,
});

/** Delay before the next attempt, after `failedAttempts` (≥ 1) failed attempts. */
export function retryDelayMs(schedule: RetrySchedule, failedAttempts: number): number {
  const exponent = Math.max(0, failedAttempts - 1);
  // Cap the exponent so 2**n cannot overflow into Infinity for very old messages.
  const delay = schedule.initialDelayMs * 2 ** Math.min(exponent, 40);
  return Math.min(delay, schedule.maxDelayMs);
}

/** True when a message queued at `queuedAtMs` has outlived the schedule at `nowMs`. */
export function isExpired(schedule: RetrySchedule, queuedAtMs: number, nowMs: number): boolean {
  return nowMs - queuedAtMs >= schedule.maxLifetimeMs;
}
