// The writing side of history.db: what each recorded event does to the rows.
// It runs in the history's writer thread (history-writer.ts), inside the
// gathered transaction, so the main thread only hands over plain records.
import type Database from 'better-sqlite3';
import { domainOf } from '../core/address.js';
import { summarizeHeader } from './header-summary.js';
import { messageStateOf } from './history-state.js';
import type { HistoryAttempt, HistoryState } from './history-types.js';

const HOUR_MS = 3_600_000;

/** How long a write may wait for its message's acceptance (nodes publish every second). */
export const PARK_MAX_MS = 10 * 60_000;
/** At most this many messages' writes wait; past it the oldest are dropped. */
export const PARK_MAX_MESSAGES = 10_000;

/** hourly_counts outcome: recipients that became deferred in that hour (each counted once per deferral spell). */
export const DEFERRED_RECIPIENTS = 'deferred-recipients';

/** The start of the hour `ms` falls in (UTC). */
export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** What the history keeps of an accepted message besides its header block and user (a record here, an event between nodes). */
export interface AcceptedFields {
  readonly id: string;
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  /** The whole message's size. */
  readonly size: number;
  /** smtp | api | sendmail | dsn */
  readonly source: string;
  readonly held: boolean;
  readonly atMs: number;
}

/** One history write as it crosses to the writer thread (structured clone: plain data only). */
export type HistoryRecord =
  | (AcceptedFields & {
      readonly kind: 'accepted';
      /** The header block (capped), latin1: one octet per character, cheap to pass between threads. */
      readonly header: string;
      readonly user: string | undefined;
    })
  | { readonly kind: 'attempts'; readonly id: string; readonly attempts: readonly HistoryAttempt[]; readonly nextAttemptAtMs: number | undefined }
  | { readonly kind: 'verdicts'; readonly id: string; readonly verdicts: readonly HistoryAttempt[] }
  | { readonly kind: 'change'; readonly id: string; readonly change: 'held' | 'released' | 'deleted'; readonly atMs: number }
  | { readonly kind: 'syncPoint'; readonly name: string; readonly value: string };

interface Parked {
  readonly sinceMs: number;
  readonly writes: (() => void)[];
}

function statements(db: Database.Database) {
  return {
    insertMessage: db.prepare(
      `INSERT OR IGNORE INTO messages (id, mail_from, rcpt_to, subject, from_header, message_id, size, source, user, accepted_at_ms, updated_at_ms, state, headers, search_text)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertRecipient: db.prepare('INSERT OR IGNORE INTO recipients (id, rcpt_to, state, updated_at_ms) VALUES (?, ?, ?, ?)'),
    exists: db.prepare('SELECT 1 FROM messages WHERE id = ?'),
    recipientState: db.prepare('SELECT state FROM recipients WHERE id = ? AND rcpt_to = ?'),
    updateRecipient: db.prepare(
      // A deferral that was in flight when the CLI held or deleted the message does not undo that.
      `UPDATE recipients SET state = CASE WHEN ? = 'deferred' AND state IN ('held', 'deleted') THEN state ELSE ? END,
         attempts = attempts + ?, last_reply = COALESCE(?, last_reply), enhanced = COALESCE(?, enhanced), next_attempt_at_ms = ?, updated_at_ms = ?
       WHERE id = ? AND rcpt_to = ?`,
    ),
    insertAttempt: db.prepare('INSERT INTO attempts (id, rcpt_to, at_ms, outcome, remote_mta, reply, code, enhanced, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    states: db.prepare('SELECT state FROM recipients WHERE id = ?'),
    setState: db.prepare('UPDATE messages SET state = ?, last_reply = COALESCE(?, last_reply), updated_at_ms = ? WHERE id = ?'),
    setRecipientsFrom: db.prepare('UPDATE recipients SET state = ?, updated_at_ms = ? WHERE id = ? AND state = ?'),
    setOpenRecipients: db.prepare("UPDATE recipients SET state = ?, updated_at_ms = ? WHERE id = ? AND state IN ('queued', 'held', 'deferred')"),
    count: db.prepare('INSERT INTO hourly_counts (hour_ms, outcome, count) VALUES (?, ?, 1) ON CONFLICT (hour_ms, outcome) DO UPDATE SET count = count + 1'),
    failure: db.prepare(
      `INSERT INTO hourly_failures (hour_ms, domain, failures, last_reply, last_at_ms) VALUES (?, ?, 1, ?, ?)
       ON CONFLICT (hour_ms, domain) DO UPDATE SET failures = failures + 1, last_reply = COALESCE(excluded.last_reply, last_reply), last_at_ms = excluded.last_at_ms`,
    ),
    oldest: db.prepare('SELECT id FROM messages WHERE accepted_at_ms < ? ORDER BY accepted_at_ms LIMIT ?'),
    deleteMessage: db.prepare('DELETE FROM messages WHERE id = ?'),
    deleteRecipients: db.prepare('DELETE FROM recipients WHERE id = ?'),
    deleteAttempts: db.prepare('DELETE FROM attempts WHERE id = ?'),
    deleteCounts: db.prepare('DELETE FROM hourly_counts WHERE hour_ms < ?'),
    deleteFailures: db.prepare('DELETE FROM hourly_failures WHERE hour_ms < ?'),
    saveSyncPoint: db.prepare('INSERT INTO cluster_sync (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
  };
}

export class HistoryWrites {
  readonly #db: Database.Database;
  readonly #s: ReturnType<typeof statements>;
  /** Writes waiting for their message's acceptance (only with waitForAcceptance); insertion order = age. */
  readonly #parked: Map<string, Parked> | undefined;

  /**
   * `waitForAcceptance`: several nodes share one queue (src/cluster/shared-history.ts),
   * so a node may hear of a message's attempts before its acceptance (another node
   * accepted it and has not published yet). Such writes wait, in memory, for the
   * acceptance instead of being dropped; see PARK_MAX_MS.
   */
  constructor(db: Database.Database, waitForAcceptance: boolean) {
    this.#db = db;
    this.#s = statements(db);
    this.#parked = waitForAcceptance ? new Map() : undefined;
  }

  /** Messages whose writes wait for their acceptance (waitForAcceptance only). */
  get parkedCount(): number {
    return this.#parked?.size ?? 0;
  }

  apply(r: HistoryRecord): void {
    switch (r.kind) {
      case 'accepted':
        return this.#accepted(r);
      case 'attempts': {
        const write = (): void => {
          if (!this.#known(r.id, write)) return; // accepted before the history was kept
          for (const a of r.attempts) this.#attempt(r.id, a, a.outcome === 'deferred' ? r.nextAttemptAtMs : undefined);
          const last = r.attempts[r.attempts.length - 1];
          this.#settle(r.id, last?.reply ?? last?.detail, r.attempts[0]?.atMs ?? Date.now());
        };
        return write();
      }
      case 'verdicts': {
        // Recorded only when it changes the recipient's state, so a bounce
        // already recorded as the attempt's outcome is not counted twice.
        const write = (): void => {
          if (!this.#known(r.id, write)) return;
          let changed: HistoryAttempt | undefined;
          for (const v of r.verdicts) {
            const current = this.#s.recipientState.get(r.id, v.rcptTo) as { state: string } | undefined;
            if (current === undefined || current.state === v.outcome) continue;
            this.#attempt(r.id, v, undefined, false);
            changed = v;
          }
          if (changed !== undefined) this.#settle(r.id, changed.reply ?? changed.detail, changed.atMs);
        };
        return write();
      }
      case 'change': {
        const { id, change, atMs } = r;
        const write = (): void => {
          if (this.#parked !== undefined && !this.#known(id, write)) return;
          if (change === 'held') this.#s.setRecipientsFrom.run('held', atMs, id, 'queued');
          if (change === 'held') this.#s.setRecipientsFrom.run('held', atMs, id, 'deferred');
          if (change === 'released') this.#s.setRecipientsFrom.run('queued', atMs, id, 'held');
          if (change === 'deleted') this.#s.setOpenRecipients.run('deleted', atMs, id);
          this.#settle(id, undefined, atMs);
        };
        return write();
      }
      case 'syncPoint':
        this.#s.saveSyncPoint.run(r.name, r.value);
        return;
    }
  }

  /**
   * Deletes up to `batch` messages accepted before `beforeMs` (and counters
   * older than that) in one short transaction; returns how many messages.
   */
  prune(beforeMs: number, batch: number): number {
    return this.#db.transaction(() => {
      const ids = this.#s.oldest.all(beforeMs, batch) as { id: string }[];
      for (const { id } of ids) {
        this.#s.deleteAttempts.run(id);
        this.#s.deleteRecipients.run(id);
        this.#s.deleteMessage.run(id);
      }
      if (ids.length < batch) {
        this.#s.deleteCounts.run(hourOf(beforeMs));
        this.#s.deleteFailures.run(hourOf(beforeMs));
      }
      return ids.length;
    })();
  }

  #accepted(m: Extract<HistoryRecord, { kind: 'accepted' }>): void {
    const h = summarizeHeader(Buffer.from(m.header, 'latin1'));
    const state: HistoryState = m.held ? 'held' : 'queued';
    const searchText = [m.id, m.mailFrom, ...m.rcptTo, h.subject ?? ''].join('\n').toLowerCase();
    const inserted = this.#s.insertMessage.run(
      m.id, m.mailFrom, JSON.stringify(m.rcptTo), h.subject ?? null, h.from ?? null, h.messageId ?? null, m.size,
      m.source, m.user ?? null, m.atMs, m.atMs, state, h.headers, searchText,
    );
    if (inserted.changes === 0) return;
    for (const r of m.rcptTo) this.#s.insertRecipient.run(m.id, r, state, m.atMs);
    this.#s.count.run(hourOf(m.atMs), 'accepted');
    const parked = this.#parked?.get(m.id);
    if (parked !== undefined) {
      this.#parked?.delete(m.id);
      for (const write of parked.writes) write();
    }
  }

  /**
   * Whether the message is in the history. When it is not and writes may
   * wait for acceptance, `write` is kept to run right after the acceptance
   * is recorded (oldest waits dropped past PARK_MAX_MS / PARK_MAX_MESSAGES).
   */
  #known(id: string, write: () => void): boolean {
    if (this.#s.exists.get(id) !== undefined) return true;
    const parked = this.#parked;
    if (parked === undefined) return false;
    const nowMs = Date.now();
    for (const [oldId, p] of parked) {
      if (p.sinceMs > nowMs - PARK_MAX_MS && parked.size < PARK_MAX_MESSAGES) break;
      parked.delete(oldId);
    }
    const entry = parked.get(id);
    if (entry === undefined) parked.set(id, { sinceMs: nowMs, writes: [write] });
    else entry.writes.push(write);
    return false;
  }

  #attempt(id: string, a: HistoryAttempt, nextAttemptAtMs: number | undefined, counted = true): void {
    // An expired verdict follows the deferred attempt it ends: not a new attempt.
    const isAttempt = counted && a.outcome !== 'expired' ? 1 : 0;
    // The dashboard counts deferred recipients, not retries: a recipient counts once when it becomes
    // deferred (one stuck for three days and retried 76 times is 1, not 76); 'deferred' keeps every attempt.
    // Only from 'queued' (new, or released from hold): a deferral that lands while held leaves it held.
    const newlyDeferred = a.outcome === 'deferred' && (this.#s.recipientState.get(id, a.rcptTo) as { state: string } | undefined)?.state === 'queued';
    this.#s.updateRecipient.run(a.outcome, a.outcome, isAttempt, a.reply ?? a.detail ?? null, a.enhanced ?? null, nextAttemptAtMs ?? null, a.atMs, id, a.rcptTo);
    this.#s.insertAttempt.run(id, a.rcptTo, a.atMs, a.outcome, a.remoteMta ?? null, a.reply ?? null, a.code ?? null, a.enhanced ?? null, a.detail ?? null);
    const hour = hourOf(a.atMs);
    this.#s.count.run(hour, a.outcome);
    if (newlyDeferred) this.#s.count.run(hour, DEFERRED_RECIPIENTS);
    if (a.outcome !== 'delivered') this.#s.failure.run(hour, domainOf(a.rcptTo), a.reply ?? a.detail ?? null, a.atMs);
  }

  #settle(id: string, lastReply: string | undefined, atMs: number): void {
    const states = (this.#s.states.all(id) as { state: string }[]).map((r) => r.state as HistoryState);
    this.#s.setState.run(messageStateOf(states), lastReply ?? null, atMs, id);
  }
}
