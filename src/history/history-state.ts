// One word for a whole message from its recipients' states (the same rules
// as the API's status, plus held and deleted).
import type { HistoryState } from './history-types.js';

export function messageStateOf(states: readonly HistoryState[]): HistoryState {
  if (states.length === 0) return 'queued';
  if (states.some((s) => s === 'deferred')) return 'deferred';
  if (states.some((s) => s === 'held')) return 'held';
  if (states.some((s) => s === 'queued')) return 'queued';
  if (states.every((s) => s === 'delivered')) return 'delivered';
  if (states.every((s) => s === 'expired')) return 'expired';
  if (states.every((s) => s === 'deleted')) return 'deleted';
  if (states.some((s) => s === 'delivered')) return 'partial';
  if (states.some((s) => s === 'deleted')) return 'deleted';
  return 'bounced';
}

/** A recipient no longer waiting in the queue. */
export function isFinal(state: HistoryState): boolean {
  return state === 'delivered' || state === 'bounced' || state === 'expired' || state === 'deleted';
}
