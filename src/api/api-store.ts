// What the HTTP API remembers beside the queue: <dataDir>/api.db (SQLite,
// WAL, private-database.ts).
//
// - api_messages / api_recipients: which user submitted each message through
//   the API (the queue has no such column, and its schema is not the API's
//   to change), its tag and metadata, and per recipient the last state and
//   reply. The queue forgets a message once every recipient is done; the
//   status endpoint still has to say "delivered", so outcomes are recorded
//   here as they happen (main.ts hands them over).
// - idempotency: the answer given for each (user, Idempotency-Key), kept 24 h.
//   On disk, not in memory: the retry that matters most comes after a
//   timeout, and a timeout is often a restart or a crash of this process;
//   an in-memory table would forget the first answer exactly then and the
//   retry would queue a second copy. The row is committed within milliseconds of the
//   queue's fsync'd commit; a crash between the two (a window of
//   milliseconds, see below) can still give a duplicate: at least once, never lost.
//
// Writes are gathered for up to FLUSH_DELAY_MS (or MAX_PENDING writes) and
// committed in one transaction: a commit costs ~0.1 ms of main thread, a row
// a few µs, and two commits per API message were a tenth of its CPU
// (bench/api-bench.ts); one commit per event-loop turn (setImmediate) was
// still ~4 % of it under 20 keep-alive clients, as a turn holds only a few
// requests. Every read commits the gathered writes first, so it sees all
// that came before it; api.db is synchronous=NORMAL anyway, so a crash could
// already lose its last commits (the queue has the mail): the delay widens
// that window by a few milliseconds.
import type Database from 'better-sqlite3';
import { openPrivateDatabase } from '../storage/private-database.js';
import { GatheredWrites } from '../storage/commit-gathered.js';

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
const FLUSH_DELAY_MS = 5;
const MAX_PENDING = 512;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_messages (
  id            TEXT PRIMARY KEY,      -- queue id
  user          TEXT NOT NULL,
  credential    TEXT NOT NULL,         -- api-key:LABEL
  mail_from     TEXT NOT NULL,
  status        TEXT NOT NULL,         -- queued | held | deferred | delivered | bounced | expired | partial
  tag           TEXT,
  metadata      TEXT,                  -- JSON object
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS api_messages_by_user ON api_messages (user, created_at_ms, id);
CREATE TABLE IF NOT EXISTS api_recipients (
  id            TEXT NOT NULL,
  rcpt_to       TEXT NOT NULL,
  status        TEXT NOT NULL,         -- queued | deferred | delivered | bounced | expired
  attempts      INTEGER NOT NULL DEFAULT 0,
  last_reply    TEXT,
  last_status   TEXT,
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (id, rcpt_to)
) STRICT;
CREATE TABLE IF NOT EXISTS api_attempts (  -- every delivery attempt and final verdict, with the remote reply
  id            TEXT NOT NULL,
  rcpt_to       TEXT NOT NULL,
  at_ms         INTEGER NOT NULL,
  status        TEXT NOT NULL,
  reply         TEXT,
  enhanced      TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS api_historyby_message ON api_attempts (id);
CREATE TABLE IF NOT EXISTS idempotency (
  user          TEXT NOT NULL,
  key           TEXT NOT NULL,
  fingerprint   TEXT NOT NULL,         -- SHA-256 of the request, to refuse the same key for another request
  status_code   INTEGER NOT NULL,
  response      TEXT NOT NULL,         -- JSON
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY (user, key)
) STRICT;
CREATE INDEX IF NOT EXISTS idempotency_by_age ON idempotency (created_at_ms);
`;

export type RecipientState = 'queued' | 'deferred' | 'delivered' | 'bounced' | 'expired';
export type MessageState = RecipientState | 'held' | 'partial';

export interface ApiMessageRecord {
  readonly id: string;
  readonly user: string;
  readonly credential: string;
  readonly mailFrom: string;
  readonly status: MessageState;
  readonly tag: string | undefined;
  readonly metadata: Record<string, string> | undefined;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly recipients: readonly ApiRecipientRecord[];
}

export interface ApiAttemptRecord {
  readonly atMs: number;
  readonly status: RecipientState;
  readonly reply: string | undefined;
  readonly enhanced: string | undefined;
}

export interface ApiRecipientRecord {
  readonly rcptTo: string;
  /** Every attempt (and the final verdict, e.g. expired), oldest first. */
  readonly history: readonly ApiAttemptRecord[];
  readonly status: RecipientState;
  readonly attempts: number;
  readonly lastReply: string | undefined;
  readonly lastStatus: string | undefined;
  readonly updatedAtMs: number;
}

export interface RecipientEvent {
  readonly rcptTo: string;
  readonly status: RecipientState;
  readonly reply: string | undefined;
  readonly enhanced: string | undefined;
  /** True for an attempt (counted), false for a later verdict on the same attempt (expired). */
  readonly attempt: boolean;
}

interface MessageRow {
  id: string;
  user: string;
  credential: string;
  mail_from: string;
  status: string;
  tag: string | null;
  metadata: string | null;
  created_at_ms: number;
  updated_at_ms: number;
}

interface RecipientRow {
  rcpt_to: string;
  status: string;
  attempts: number;
  last_reply: string | null;
  last_status: string | null;
  updated_at_ms: number;
}

export interface StoredAnswer {
  readonly fingerprint: string;
  readonly statusCode: number;
  readonly body: unknown;
}

export class ApiStore {
  readonly #db: Database.Database;
  readonly #s;
  /**
   * Ids of API messages that may still change: outcomes of other mail cost no
   * database read. With their recipients when submitted since the start (not
   * those found unfinished at the start): then a delivery that settles every
   * recipient at once (the common case) gives the message's state without
   * reading its recipients back.
   */
  readonly #open = new Map<string, readonly string[] | undefined>();
  readonly #writes: GatheredWrites;

  private constructor(db: Database.Database, onError: (err: unknown) => void) {
    this.#db = db;
    this.#writes = new GatheredWrites(db, { delayMs: FLUSH_DELAY_MS, maxPending: MAX_PENDING, onError });
    this.#s = {
      insertMessage: db.prepare(
        'INSERT INTO api_messages (id, user, credential, mail_from, status, tag, metadata, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      insertRecipient: db.prepare('INSERT OR IGNORE INTO api_recipients (id, rcpt_to, status, updated_at_ms) VALUES (?, ?, ?, ?)'),
      message: db.prepare('SELECT * FROM api_messages WHERE id = ?'),
      labels: db.prepare('SELECT tag, metadata FROM api_messages WHERE id = ?'),
      recipients: db.prepare('SELECT rcpt_to, status, attempts, last_reply, last_status, updated_at_ms FROM api_recipients WHERE id = ? ORDER BY rowid'),
      updateRecipient: db.prepare(
        'UPDATE api_recipients SET status = ?, attempts = attempts + ?, last_reply = COALESCE(?, last_reply), last_status = COALESCE(?, last_status), updated_at_ms = ? WHERE id = ? AND rcpt_to = ?',
      ),
      insertAttempt: db.prepare('INSERT INTO api_attempts (id, rcpt_to, at_ms, status, reply, enhanced) VALUES (?, ?, ?, ?, ?, ?)'),
      attempts: db.prepare('SELECT rcpt_to, at_ms, status, reply, enhanced FROM api_attempts WHERE id = ? ORDER BY rowid'),
      setStatus: db.prepare('UPDATE api_messages SET status = ?, updated_at_ms = ? WHERE id = ?'),
      unfinished: db.prepare("SELECT id FROM api_messages WHERE status IN ('queued', 'held', 'deferred')"),
      page: db.prepare(
        'SELECT * FROM api_messages WHERE user = ? AND created_at_ms >= ? AND (? IS NULL OR status = ?) AND (created_at_ms, id) > (?, ?) ORDER BY created_at_ms, id LIMIT ?',
      ),
      answer: db.prepare('SELECT fingerprint, status_code, response, created_at_ms FROM idempotency WHERE user = ? AND key = ?'),
      saveAnswer: db.prepare('INSERT OR REPLACE INTO idempotency (user, key, fingerprint, status_code, response, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)'),
      purgeAnswers: db.prepare('DELETE FROM idempotency WHERE created_at_ms < ?'),
    };
    for (const row of this.#s.unfinished.all() as { id: string }[]) this.#open.set(row.id, undefined);
  }

  /** `onError`: a gathered write that could not be committed (logged by the caller; the mail is queued all the same). */
  static open(dataDir: string, onError: (err: unknown) => void = () => {}): ApiStore {
    const { db } = openPrivateDatabase(dataDir, 'api.db', (d) => d.exec(SCHEMA));
    return new ApiStore(db, onError);
  }

  /** Commits the gathered writes now (reads do it first; the server at a turn's end). */
  flush(): void {
    this.#writes.flush();
  }

  #defer(write: () => void): void {
    this.#writes.add(write);
  }

  /** A message the API stored in the queue. */
  recordSubmitted(m: { id: string; user: string; credential: string; mailFrom: string; rcptTo: readonly string[]; held: boolean; tag: string | undefined; metadata: Record<string, string> | undefined }): void {
    const now = Date.now();
    const metadata = m.metadata === undefined ? null : JSON.stringify(m.metadata);
    this.#defer(() => {
      this.#s.insertMessage.run(m.id, m.user, m.credential, m.mailFrom, m.held ? 'held' : 'queued', m.tag ?? null, metadata, now, now);
      for (const r of m.rcptTo) this.#s.insertRecipient.run(m.id, r, 'queued', now);
    });
    this.#open.set(m.id, m.rcptTo);
  }

  /** True for an API message still in the queue: the only ones whose outcomes are recorded. Costs a Set lookup. */
  tracks(id: string): boolean {
    return this.#open.has(id);
  }

  /** Outcomes of a delivery attempt (or final verdicts) for any message; only API messages are recorded. */
  recordEvents(id: string, events: readonly RecipientEvent[]): void {
    if (!this.#open.has(id) || events.length === 0) return;
    const now = Date.now();
    this.#defer(() => {
      // Asked again in turn: an earlier write of this turn may have closed the message.
      if (!this.#open.has(id)) return;
      for (const e of events) {
        this.#s.updateRecipient.run(e.status, e.attempt ? 1 : 0, e.reply ?? null, e.enhanced ?? null, now, id, e.rcptTo);
        this.#s.insertAttempt.run(id, e.rcptTo, now, e.status, e.reply ?? null, e.enhanced ?? null);
      }
      const overall = messageState(this.#settledByEvents(id, events) ?? (this.#s.recipients.all(id) as RecipientRow[]).map((r) => r.status as RecipientState));
      this.#s.setStatus.run(overall, now, id);
      if (overall !== 'queued' && overall !== 'deferred') this.#open.delete(id);
    });
  }

  /** Every recipient's state when these events name them all (the last event per recipient counts); else undefined. */
  #settledByEvents(id: string, events: readonly RecipientEvent[]): RecipientState[] | undefined {
    const recipients = this.#open.get(id);
    if (recipients === undefined) return undefined;
    const last = new Map<string, RecipientState>();
    for (const e of events) last.set(e.rcptTo, e.status);
    const states: RecipientState[] = [];
    for (const r of recipients) {
      const state = last.get(r);
      if (state === undefined) return undefined;
      states.push(state);
    }
    return states;
  }

  /** Tag and metadata of an API message (for its webhook events); undefined for other mail. */
  labelsOf(id: string): { tag: string | undefined; metadata: Record<string, string> | undefined } | undefined {
    const row = this.#s.labels.get(id) as { tag: string | null; metadata: string | null } | undefined;
    if (row === undefined) return undefined;
    return { tag: row.tag ?? undefined, metadata: row.metadata === null ? undefined : (JSON.parse(row.metadata) as Record<string, string>) };
  }

  /** The message if it was submitted by this user through the API. */
  get(id: string, user: string): ApiMessageRecord | undefined {
    this.flush();
    const row = this.#s.message.get(id) as MessageRow | undefined;
    if (row === undefined || row.user !== user) return undefined;
    return this.#toRecord(row);
  }

  /** A page of the user's messages, oldest first from `sinceMs`; `after` is the cursor of the last one seen. */
  page(user: string, options: { sinceMs: number; status: MessageState | undefined; after: { atMs: number; id: string } | undefined; limit: number }): ApiMessageRecord[] {
    const { sinceMs, status, after, limit } = options;
    this.flush();
    const rows = this.#s.page.all(user, sinceMs, status ?? null, status ?? null, after?.atMs ?? -1, after?.id ?? '', limit) as MessageRow[];
    return rows.map((r) => this.#toRecord(r));
  }

  /** The stored answer for a retried request, within 24 h. */
  answerFor(user: string, key: string, nowMs = Date.now()): StoredAnswer | undefined {
    this.flush();
    const row = this.#s.answer.get(user, key) as { fingerprint: string; status_code: number; response: string; created_at_ms: number } | undefined;
    if (row === undefined || row.created_at_ms < nowMs - IDEMPOTENCY_TTL_MS) return undefined;
    return { fingerprint: row.fingerprint, statusCode: row.status_code, body: JSON.parse(row.response) as unknown };
  }

  saveAnswer(user: string, key: string, answer: StoredAnswer, nowMs = Date.now()): void {
    const response = JSON.stringify(answer.body);
    this.#defer(() => this.#s.saveAnswer.run(user, key, answer.fingerprint, answer.statusCode, response, nowMs));
  }

  /** Drop answers older than 24 h (called now and then by the server). */
  purge(nowMs = Date.now()): number {
    return this.#s.purgeAnswers.run(nowMs - IDEMPOTENCY_TTL_MS).changes;
  }

  close(): void {
    this.flush();
    this.#db.close();
  }

  #toRecord(row: MessageRow): ApiMessageRecord {
    const attempts = this.#s.attempts.all(row.id) as { rcpt_to: string; at_ms: number; status: string; reply: string | null; enhanced: string | null }[];
    const recipients = (this.#s.recipients.all(row.id) as RecipientRow[]).map((r) => ({
      rcptTo: r.rcpt_to,
      history: attempts
        .filter((a) => a.rcpt_to === r.rcpt_to)
        .map((a) => ({ atMs: a.at_ms, status: a.status as RecipientState, reply: a.reply ?? undefined, enhanced: a.enhanced ?? undefined })),
      status: r.status as RecipientState,
      attempts: r.attempts,
      lastReply: r.last_reply ?? undefined,
      lastStatus: r.last_status ?? undefined,
      updatedAtMs: r.updated_at_ms,
    }));
    return {
      id: row.id,
      user: row.user,
      credential: row.credential,
      mailFrom: row.mail_from,
      status: row.status as MessageState,
      tag: row.tag ?? undefined,
      metadata: row.metadata === null ? undefined : (JSON.parse(row.metadata) as Record<string, string>),
      createdAtMs: row.created_at_ms,
      updatedAtMs: row.updated_at_ms,
      recipients,
    };
  }
}

/** One word for the whole message: still in the queue (queued/deferred), or how it ended. */
export function messageState(states: readonly RecipientState[]): MessageState {
  if (states.some((s) => s === 'deferred')) return 'deferred';
  if (states.some((s) => s === 'queued')) return 'queued';
  if (states.every((s) => s === 'delivered')) return 'delivered';
  if (states.every((s) => s === 'expired')) return 'expired';
  if (states.some((s) => s === 'delivered')) return 'partial';
  return 'bounced';
}
