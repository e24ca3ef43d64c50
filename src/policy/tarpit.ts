// The in-session tarpit for failed AUTH attempts: each failure in one
// session delays the next reply a little longer, doubling up to a cap, so a
// password-guessing client gets few guesses per connection while a person
// who mistyped once barely notices. (The cross-connection counts are in
// auth-throttle.ts.)

export interface TarpitOptions {
  /** Delay after the first failure; doubled for every further one. Default 1000 ms. */
  readonly baseDelayMs?: number;
  /** The delay never grows past this. Default 8000 ms. */
  readonly maxDelayMs?: number;
}

/** 0 before any failure, then base, 2×base, 4×base… capped: 0, 1 s, 2 s, 4 s, 8 s, 8 s… with the defaults. */
export function tarpitDelayMs(failuresInSession: number, options: TarpitOptions = {}): number {
  const { baseDelayMs = 1000, maxDelayMs = 8000 } = options;
  if (!(failuresInSession >= 1)) return 0;
  // Capping the exponent keeps 2 ** n finite for absurd counts.
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(failuresInSession - 1, 30));
}
