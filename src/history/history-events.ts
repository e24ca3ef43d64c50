// A history write as a plain JSON event, so that nodes sharing one queue
// can tell each other what they recorded (src/cluster/shared-history.ts)
// and each node's history.db shows the whole cluster's mail. The event
// carries what the history keeps, not the message: an acceptance carries the
// header block (capped as the history caps it) and the size.
import { keptHeader } from './header-summary.js';
import type { AcceptedForHistory, HistoryStore } from './history-store.js';
import type { HistoryAttempt } from './history-types.js';
import type { AcceptedFields } from './history-writes.js';

export type HistoryEvent =
  | (AcceptedFields & {
      readonly kind: 'accepted';
      /** The header block, base64 (it may hold 8-bit octets). */
      readonly header: string;
      readonly user?: string;
    })
  | { readonly kind: 'attempts'; readonly id: string; readonly attempts: readonly HistoryAttempt[] }
  | { readonly kind: 'verdicts'; readonly id: string; readonly verdicts: readonly HistoryAttempt[] }
  | { readonly kind: 'change'; readonly id: string; readonly change: 'held' | 'released' | 'deleted'; readonly atMs: number };

export function acceptedEvent(a: AcceptedForHistory): HistoryEvent {
  const kept = keptHeader(a.message);
  return {
    kind: 'accepted',
    id: a.id,
    mailFrom: a.mailFrom,
    rcptTo: a.rcptTo,
    header: kept.toString('base64'),
    size: a.size ?? a.message.length,
    source: a.source,
    ...(a.user === undefined ? {} : { user: a.user }),
    held: a.held,
    atMs: a.atMs,
  };
}

/** Records an event heard from another node, as the node that made it recorded it. */
export function applyHistoryEvent(store: HistoryStore, e: HistoryEvent): void {
  switch (e.kind) {
    case 'accepted':
      store.recordAccepted({
        id: e.id,
        mailFrom: e.mailFrom,
        rcptTo: e.rcptTo,
        message: Buffer.from(e.header, 'base64'),
        size: e.size,
        source: e.source,
        user: e.user,
        held: e.held,
        atMs: e.atMs,
      });
      return;
    case 'attempts':
      store.recordAttempts(e.id, e.attempts);
      return;
    case 'verdicts':
      store.recordVerdicts(e.id, e.verdicts);
      return;
    case 'change':
      store.recordQueueChange(e.id, e.change, e.atMs);
      return;
  }
}

/** An event as read back from the database: checked, since another version of Hikyaku may have written it. */
export function isHistoryEvent(value: unknown): value is HistoryEvent {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as { kind?: unknown; id?: unknown };
  if (typeof e.id !== 'string') return false;
  switch (e.kind) {
    case 'accepted': {
      const a = value as { mailFrom?: unknown; rcptTo?: unknown; header?: unknown; size?: unknown; atMs?: unknown };
      return typeof a.mailFrom === 'string' && Array.isArray(a.rcptTo) && typeof a.header === 'string' && typeof a.size === 'number' && typeof a.atMs === 'number';
    }
    case 'attempts':
      return Array.isArray((value as { attempts?: unknown }).attempts);
    case 'verdicts':
      return Array.isArray((value as { verdicts?: unknown }).verdicts);
    case 'change':
      return ['held', 'released', 'deleted'].includes((value as { change?: unknown }).change as string);
    default:
      return false;
  }
}
