// The queue's SQLite schema and connection settings, shared by the writer
// worker (which creates the schema) and the read connections.
import type { Database } from 'better-sqlite3';

// One row per message, one per recipient (like mox: per-recipient status is
// what DSNs and `queue list` are built from).
//
// The body is a BLOB in SQLite rather than a spool file: one commit (one WAL
// fsync) then covers body, envelope and the row that names them, so there is
// no window where a file exists without its index entry or the reverse, and
// no directory fsync to get right.
//
// The body sits in its own table, keyed by message id, not in the message
// row: SQLite stores a row as one record, so with the body inline every scan
// of `messages` (dueMessageIds sorts due messages by age) had to read at least
// a page per message — measured 55 ms for 10k queued 4 KiB messages, against
// under 1 ms with the body apart — and setting `held` or `delay_notified`
// would rewrite the whole body into the WAL.
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS messages (
  id             TEXT PRIMARY KEY NOT NULL,
  mail_from      TEXT NOT NULL,
  size           INTEGER NOT NULL,
  created_at     INTEGER NOT NULL,
  held           INTEGER NOT NULL DEFAULT 0,
  delay_notified INTEGER NOT NULL DEFAULT 0,
  env_id         TEXT,
  hold_reason    TEXT,
  dsn_ret        TEXT,
  smtputf8       INTEGER NOT NULL DEFAULT 0,
  eight_bit      INTEGER NOT NULL DEFAULT 1,
  requiretls     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS bodies (
  message_id TEXT PRIMARY KEY NOT NULL,
  body       BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS recipients (
  message_id      TEXT NOT NULL,
  rcpt_to         TEXT NOT NULL,
  domain          TEXT NOT NULL,
  status          TEXT NOT NULL,
  attempts        INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT,
  last_status     TEXT,
  last_attempt_at INTEGER,
  notify          TEXT,
  orcpt           TEXT,
  PRIMARY KEY (message_id, rcpt_to)
);
CREATE INDEX IF NOT EXISTS recipients_due ON recipients (status, next_attempt_at);
-- The webhook outbox (src/webhooks/): one row per event and endpoint, written
-- in the same transaction as the queue change that caused it, deleted once
-- the endpoint answered 2xx. Empty, and never touched, without webhooks.
CREATE TABLE IF NOT EXISTS webhook_events (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id        TEXT NOT NULL,
  endpoint        TEXT NOT NULL,
  message_id      TEXT NOT NULL,
  payload         TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  UNIQUE (event_id, endpoint)
);
CREATE INDEX IF NOT EXISTS webhook_events_order ON webhook_events (message_id, endpoint, seq);
-- Due rows by time: a backlog waiting for its retry time (an endpoint that is
-- down) is not read at every poll. The writer keeps an event behind others of
-- its message and endpoint due no earlier than they are (queue-writer.ts).
CREATE INDEX IF NOT EXISTS webhook_events_due ON webhook_events (next_attempt_at, seq);
`;

/** How long a connection waits for another process's lock (the CLI) before SQLITE_BUSY. */
export const WRITER_BUSY_TIMEOUT_MS = 10_000;
// The main thread must not stall for long; readers in WAL mode only wait
// during WAL recovery after a crash of another process.
export const READER_BUSY_TIMEOUT_MS = 2_000;

/** Settings for the write connection: WAL with an fsync of the WAL at every commit. */
export function configureWriter(db: Database, busyTimeoutMs: number): void {
  db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  db.pragma('journal_mode = WAL');
  // In WAL mode, FULL syncs the WAL at every commit; NORMAL would only sync
  // at checkpoints and could lose the last commits on power loss.
  db.pragma('synchronous = FULL');
  // Bound the WAL file after checkpoints: big bodies would otherwise leave it large.
  db.pragma('journal_size_limit = 67108864');
  db.exec(SCHEMA_SQL);
  upgradeSchema(db);
}

/** Columns added since the first release, for queues created by an older version. */
function upgradeSchema(db: Database): void {
  const columns = new Set((db.prepare('PRAGMA table_info(messages)').all() as { name: string }[]).map((c) => c.name));
  // Why a message is held when the brake (not an admin) held it: "brake:<credential>".
  if (!columns.has('hold_reason')) db.exec('ALTER TABLE messages ADD COLUMN hold_reason TEXT');
  // RFC 3461 RET ('FULL'|'HDRS') and RFC 6531 SMTPUTF8 of the transaction; NOTIFY and ORCPT per recipient.
  if (!columns.has('dsn_ret')) db.exec('ALTER TABLE messages ADD COLUMN dsn_ret TEXT');
  if (!columns.has('smtputf8')) db.exec('ALTER TABLE messages ADD COLUMN smtputf8 INTEGER NOT NULL DEFAULT 0');
  const rcptColumns = new Set((db.prepare('PRAGMA table_info(recipients)').all() as { name: string }[]).map((c) => c.name));
  if (!rcptColumns.has('notify')) db.exec('ALTER TABLE recipients ADD COLUMN notify TEXT; ALTER TABLE recipients ADD COLUMN orcpt TEXT');
  // Has octets over 127 (scanned once at intake). Older rows count as 8-bit: the safe side.
  if (!columns.has('eight_bit')) db.exec('ALTER TABLE messages ADD COLUMN eight_bit INTEGER NOT NULL DEFAULT 1');
  // RFC 8689 REQUIRETLS of the transaction: sent only over verified TLS.
  if (!columns.has('requiretls')) db.exec('ALTER TABLE messages ADD COLUMN requiretls INTEGER NOT NULL DEFAULT 0');
  addMessageCount(db);
}

/**
 * The number of messages, kept by triggers in the transaction that adds or
 * removes one, for the gauges (metrics/queue-gauges.ts). count(*) has no
 * shortcut in SQLite: it walks the whole id index, measured 640 ms for a
 * million messages on the 2-core bench machine, and the gauges read on the
 * main thread. The price: one more page in the WAL per commit (+5 % bytes
 * written per 4 KiB message under load, +11 % one at a time: RESULTS.md).
 * A queue from before this table is counted once, here.
 */
function addMessageCount(db: Database): void {
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'queue_counts'").get() !== undefined) return;
  db.transaction(() =>
    db.exec(`
CREATE TABLE queue_counts (id INTEGER PRIMARY KEY CHECK (id = 1), messages INTEGER NOT NULL);
INSERT INTO queue_counts (id, messages) SELECT 1, count(*) FROM messages;
CREATE TRIGGER queue_counts_insert AFTER INSERT ON messages BEGIN UPDATE queue_counts SET messages = messages + 1 WHERE id = 1; END;
CREATE TRIGGER queue_counts_delete AFTER DELETE ON messages BEGIN UPDATE queue_counts SET messages = messages - 1 WHERE id = 1; END;
`),
  )();
}

export function configureReader(db: Database): void {
  db.pragma(`busy_timeout = ${READER_BUSY_TIMEOUT_MS}`);
}
