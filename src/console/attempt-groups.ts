// The message page's timeline without the noise of retries: a recipient's
// consecutive attempts with the same outcome, the same reply and the same
// remote host become one row "×N, first … last …" (a message greylisted for
// three days shows one row, not 76). Recipients interleave in the history
// (each retry tries them all), so "consecutive" is per recipient; a row keeps
// the place of its first attempt. Pure.
import type { HistoryAttempt } from '../history/history-types.js';

export interface AttemptGroup {
  /** The last attempt of the run (its reply, its next retry). */
  readonly last: HistoryAttempt;
  readonly count: number;
  readonly firstAtMs: number;
}

const sameAs = (a: HistoryAttempt, b: HistoryAttempt): boolean =>
  a.rcptTo === b.rcptTo && a.outcome === b.outcome && a.remoteMta === b.remoteMta && (a.reply ?? a.detail) === (b.reply ?? b.detail);

/** `attempts` in time order → runs of identical attempts, in the order of their first attempt. */
export function collapseAttempts(attempts: readonly HistoryAttempt[]): AttemptGroup[] {
  const groups: { last: HistoryAttempt; count: number; firstAtMs: number }[] = [];
  const open = new Map<string, (typeof groups)[number]>();
  for (const a of attempts) {
    const current = open.get(a.rcptTo);
    if (current !== undefined && sameAs(current.last, a)) {
      current.last = a;
      current.count++;
      continue;
    }
    const group = { last: a, count: 1, firstAtMs: a.atMs };
    groups.push(group);
    open.set(a.rcptTo, group);
  }
  return groups;
}
