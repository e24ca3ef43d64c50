// <dataDir>/history.db (SQLite through storage/private-database.ts: WAL,
// synchronous=NORMAL): every message whatever the way in (SMTP, API,
// sendmail, our own DSNs), every delivery attempt, and the current state, so
// that a console or `hikyaku history` can answer "what happened to my mail"
// after the queue has forgotten it.
//
// On the accept path: a write is only a closure pushed on a list; the list is
// committed in ONE transaction, as api/api-store.ts does and for the same
// reason (a commit costs ~0.1 ms of main thread, a row a few µs). Even the
// header parsing (Subject decoding) waits for that commit, so the client's
// 250 never waits on the history. Unlike api-store.ts the list is committed
// every FLUSH_DELAY_MS rather than at the end of each event-loop turn: every
// message passes here twice (accepted, attempted), and measured on 10,000
// messages (accept + one delivered attempt, main-thread CPU per message)
// one commit per message cost ~250 µs, per 5 messages ~90 µs, per 50–200
// ~40–70 µs; under load a turn holds only a message or two. Reads commit
// first, so this process always sees everything; another process (the CLI)
// sees it at most FLUSH_DELAY_MS late. synchronous=NORMAL: a power cut may
// lose the last commits of the history, never mail (the queue fsyncs its own).
//
// Reads (history-queries.ts) commit the gathered writes first, so that they
// see all that came before them. A CLI process opens the same file while the
// server runs (WAL lets it read while the server writes).
import type Database from 'better-sqlite3';
import { domainOf } from '../core/address.js';
import { openPrivateDatabase } from '../storage/private-database.js';
import { GatheredWrites } from '../storage/commit-gathered.js';
import { summarizeHeader } from './header-summary.js';
import { HistoryQueries } from './history-queries.js';
import { HISTORY_SCHEMA } from './history-schema.js';
import { messageStateOf } from './history-state.js';
import type {
  FailingDestination,
  HistoryAttempt,
  HistoryMessage,
  HistoryPage,
  HistoryQuery,
  HistoryReader,
  HistorySeriesPoint,
  HistoryState,
  HistorySummary,
} from './history-types.js';

const HOUR_MS = 3_600_000;
/** How long writes are gathered before one commit (see the header). */
export const FLUSH_DELAY_MS = 100;
/** Rows per prune transaction: each holds the write lock for a few milliseconds only. */
export const PRUNE_BATCH = 500;

export interface AcceptedForHistory {
  readonly id: string;
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  /** The message as stored, or its header block only (read at commit time). */
  readonly message: Buffer;
  /** The whole message's size when `message` holds the header only (an event from another node). */
  readonly size?: number;
  /** smtp | api | sendmail | dsn */
  readonly source: string;
  readonly user: string | undefined;
  readonly held: boolean;
  readonly atMs: number;
}

export interface HistoryStoreOptions {
  /** A gathered write that could not be committed (logged by the caller; the mail is queued all the same). */
  readonly onError?: (err: unknown) => void;
  /**
   * Several nodes share one queue (src/cluster/shared-history.ts): a node may
   * hear of a message's attempts before its acceptance (another node accepted
   * it and has not published yet). Such writes wait, in memory, for the
   * acceptance instead of being dropped; see PARK_MAX_MS.
   */
  readonly waitForAcceptance?: boolean;
}

/** How long a write may wait for its message's acceptance (nodes publish every second). */
export const PARK_MAX_MS = 10 * 60_000;
/** At most this many messages' writes wait; past it the oldest are dropped. */
export const PARK_MAX_MESSAGES = 10_000;

interface Parked {
  readonly sinceMs: number;
  readonly writes: (() => void)[];
}

export class HistoryStore implements HistoryReader {
  readonly #db: Database.Database;
  readonly #s;
  readonly #queries: HistoryQueries;
  readonly #writes: GatheredWrites;
  /** Writes waiting for their message's acceptance (only with waitForAcceptance); insertion order = age. */
  readonly #parked: Map<string, Parked> | undefined;

  private constructor(db: Database.Database, onError: (err: unknown) => void, waitForAcceptance: boolean) {
    this.#db = db;
    this.#parked = waitForAcceptance ? new Map() : undefined;
    // unref: a process that ends calls close(), which commits what is left.
    this.#writes = new GatheredWrites(db, { delayMs: FLUSH_DELAY_MS, unref: true, onError });
    this.#queries = new HistoryQueries(db, () => this.flush());
    this.#s = {
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
      syncPoint: db.prepare('SELECT value FROM cluster_sync WHERE name = ?'),
    };
  }

  static open(dataDir: string, options: HistoryStoreOptions = {}): HistoryStore {
    const { db } = openPrivateDatabase(dataDir, 'history.db', (d) => d.exec(HISTORY_SCHEMA));
    return new HistoryStore(db, options.onError ?? (() => {}), options.waitForAcceptance === true);
  }

  // ---- writes: gathered, committed once per turn of the event loop

  /** A message just stored in the queue (every way in passes intake, which calls this). */
  recordAccepted(m: AcceptedForHistory): void {
    this.#defer(() => {
      const h = summarizeHeader(m.message);
      const state: HistoryState = m.held ? 'held' : 'queued';
      const rcptTo = JSON.stringify(m.rcptTo);
      const searchText = [m.id, m.mailFrom, ...m.rcptTo, h.subject ?? ''].join('\n').toLowerCase();
      const inserted = this.#s.insertMessage.run(
        m.id, m.mailFrom, rcptTo, h.subject ?? null, h.from ?? null, h.messageId ?? null, m.size ?? m.message.length,
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
    });
  }

  /**
   * Delivery attempts of one message (or verdicts: expired). `nextAttemptAtMs`
   * for deferred recipients when the caller knows it.
   */
  recordAttempts(id: string, attempts: readonly HistoryAttempt[], nextAttemptAtMs?: number): void {
    if (attempts.length === 0) return;
    const write = (): void => {
      if (!this.#known(id, write)) return; // accepted before the history was kept
      for (const a of attempts) this.#attempt(id, a, a.outcome === 'deferred' ? nextAttemptAtMs : undefined);
      this.#settle(id, attempts[attempts.length - 1]?.reply ?? attempts[attempts.length - 1]?.detail, attempts[0]?.atMs ?? Date.now());
    };
    this.#defer(write);
  }

  /**
   * A final verdict the scheduler gives after the attempt (bounced, expired):
   * recorded only when it changes the recipient's state, so a bounce already
   * recorded as the attempt's outcome is not counted twice.
   */
  recordVerdicts(id: string, verdicts: readonly HistoryAttempt[]): void {
    if (verdicts.length === 0) return;
    const write = (): void => {
      if (!this.#known(id, write)) return;
      let changed: HistoryAttempt | undefined;
      for (const v of verdicts) {
        const current = this.#s.recipientState.get(id, v.rcptTo) as { state: string } | undefined;
        if (current === undefined || current.state === v.outcome) continue;
        this.#attempt(id, v, undefined, false);
        changed = v;
      }
      if (changed !== undefined) this.#settle(id, changed.reply ?? changed.detail, changed.atMs);
    };
    this.#defer(write);
  }

  /** `hikyaku queue hold/release/delete` (or the server) changed a message's place in the queue. */
  recordQueueChange(id: string, change: 'held' | 'released' | 'deleted', atMs = Date.now()): void {
    const write = (): void => {
      if (this.#parked !== undefined && !this.#known(id, write)) return;
      if (change === 'held') this.#s.setRecipientsFrom.run('held', atMs, id, 'queued');
      if (change === 'held') this.#s.setRecipientsFrom.run('held', atMs, id, 'deferred');
      if (change === 'released') this.#s.setRecipientsFrom.run('queued', atMs, id, 'held');
      if (change === 'deleted') this.#s.setOpenRecipients.run('deleted', atMs, id);
      this.#settle(id, undefined, atMs);
    };
    this.#defer(write);
  }

  /**
   * Where this node's reading of the other nodes' history stands: committed in
   * the same transaction as the writes read up to it, so a crash never
   * applies an event twice nor skips one.
   */
  saveSyncPoint(name: string, value: string): void {
    this.#defer(() => this.#s.saveSyncPoint.run(name, value));
  }

  syncPoint(name: string): string | undefined {
    this.flush();
    return (this.#s.syncPoint.get(name) as { value: string } | undefined)?.value;
  }

  /** Messages whose writes wait for their acceptance (waitForAcceptance only). */
  get waitingForAcceptance(): number {
    return this.#parked?.size ?? 0;
  }

  /** Commits the gathered writes now (reads and close() do it first; otherwise every FLUSH_DELAY_MS). */
  flush(): void {
    this.#writes.flush();
  }

  /**
   * Deletes up to `batch` messages accepted before `beforeMs` (and counters
   * older than that) in one short transaction; returns how many messages.
   * The server calls it again on a later turn while it returns `batch`.
   */
  pruneBatch(beforeMs: number, batch = PRUNE_BATCH): number {
    this.flush();
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

  close(): void {
    this.flush();
    this.#db.close();
  }

  // ---- reads (HistoryReader)

  message(id: string): HistoryMessage | undefined {
    return this.#queries.message(id);
  }

  search(q: HistoryQuery): HistoryPage {
    return this.#queries.search(q);
  }

  series(sinceMs: number, bucketMs: number): HistorySeriesPoint[] {
    return this.#queries.series(sinceMs, bucketMs);
  }

  topFailingDestinations(sinceMs: number, limit: number): FailingDestination[] {
    return this.#queries.topFailingDestinations(sinceMs, limit);
  }

  recentForAddress(address: string, limit: number): HistorySummary[] {
    return this.#queries.recentForAddress(address, limit);
  }

  // ---- inside a gathered transaction

  #defer(write: () => void): void {
    this.#writes.add(write);
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

/** hourly_counts outcome: recipients that became deferred in that hour (each counted once per deferral spell). */
export const DEFERRED_RECIPIENTS = 'deferred-recipients';

/** The start of the hour `ms` falls in (UTC). */
export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

