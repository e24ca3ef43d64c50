// <dataDir>/history.db: every message whatever the way in, its attempts and
// its state, kept `history.retentionDays` after acceptance. Counters per hour
// (and failures per destination domain per hour) are kept beside the rows so
// that a dashboard never counts 100,000 rows; they are updated in the same
// transaction as the rows they count.
export const HISTORY_SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  id             TEXT PRIMARY KEY,          -- queue id
  mail_from      TEXT NOT NULL,
  rcpt_to        TEXT NOT NULL,             -- JSON array, in envelope order
  subject        TEXT,
  from_header    TEXT,
  message_id     TEXT,
  size           INTEGER NOT NULL,
  source         TEXT NOT NULL,             -- smtp | api | sendmail | dsn
  user           TEXT,
  accepted_at_ms INTEGER NOT NULL,
  updated_at_ms  INTEGER NOT NULL,
  state          TEXT NOT NULL,
  last_reply     TEXT,
  headers        TEXT,                      -- header block, at most 32 KiB
  search_text    TEXT NOT NULL              -- lower-cased id, sender, recipients, subject: one instr() per row
) STRICT;
CREATE INDEX IF NOT EXISTS messages_newest ON messages (accepted_at_ms DESC, id DESC);
CREATE INDEX IF NOT EXISTS messages_by_sender ON messages (mail_from COLLATE NOCASE, accepted_at_ms DESC);
CREATE TABLE IF NOT EXISTS recipients (
  id                 TEXT NOT NULL,
  rcpt_to            TEXT NOT NULL,
  state              TEXT NOT NULL,
  attempts           INTEGER NOT NULL DEFAULT 0,
  last_reply         TEXT,
  enhanced           TEXT,
  next_attempt_at_ms INTEGER,
  updated_at_ms      INTEGER NOT NULL,
  PRIMARY KEY (id, rcpt_to)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS recipients_by_address ON recipients (rcpt_to COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS attempts (
  id         TEXT NOT NULL,
  rcpt_to    TEXT NOT NULL,
  at_ms      INTEGER NOT NULL,
  outcome    TEXT NOT NULL,                 -- delivered | deferred | bounced | expired
  remote_mta TEXT,
  reply      TEXT,
  code       INTEGER,
  enhanced   TEXT,
  detail     TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS attempts_by_message ON attempts (id);
CREATE TABLE IF NOT EXISTS hourly_counts (
  hour_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL,                    -- accepted | delivered | deferred | bounced | expired | deferred-recipients (once per recipient put off)
  count   INTEGER NOT NULL,
  PRIMARY KEY (hour_ms, outcome)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hourly_failures (
  hour_ms    INTEGER NOT NULL,
  domain     TEXT NOT NULL,                 -- recipient domain of a deferred, bounced or expired attempt
  failures   INTEGER NOT NULL,
  last_reply TEXT,
  last_at_ms INTEGER NOT NULL,
  PRIMARY KEY (hour_ms, domain)
) STRICT, WITHOUT ROWID;
-- Nodes sharing one PostgreSQL queue (src/cluster/shared-history.ts): how far
-- this node has read the other nodes' history events, committed with them.
CREATE TABLE IF NOT EXISTS cluster_sync (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;
