// The tables of users.db, and the upgrade of databases made by earlier
// versions: a missing column or table is added (with a default that means
// "as before"), never anything dropped, so an older users.db keeps working
// and its users keep their passwords.
import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';

const BASE = `
CREATE TABLE IF NOT EXISTS users (
  address       TEXT PRIMARY KEY,  -- local part as given, domain lower-cased
  local_part    TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS users_by_local_part ON users (local_part);
CREATE TABLE IF NOT EXISTS app_passwords (
  user          TEXT NOT NULL,     -- users.address; deleted with the user (UserStore.remove)
  label         TEXT NOT NULL,
  lookup_hash   TEXT NOT NULL UNIQUE,  -- HMAC-SHA-256, see app-password.ts
  created_at_ms INTEGER NOT NULL,
  may_send_as   TEXT NOT NULL DEFAULT '[]',  -- JSON array of patterns
  networks      TEXT NOT NULL DEFAULT '[]',  -- JSON array of CIDR blocks
  messages_per_hour      INTEGER,
  messages_per_day       INTEGER,
  recipients_per_message INTEGER,
  flagged_at_ms INTEGER,
  flag_reason   TEXT,
  PRIMARY KEY (user, label)
) STRICT;
CREATE TABLE IF NOT EXISTS meta (
  name  TEXT PRIMARY KEY,
  value BLOB NOT NULL
) STRICT;
`;

/** Columns added to `users` after its first version; NULL or the default means "not set". */
const ADDED_USER_COLUMNS: readonly (readonly [string, string])[] = [
  ['may_send_as', "TEXT NOT NULL DEFAULT '[]'"],
  ['sender_check', 'INTEGER NOT NULL DEFAULT 1'],
  ['messages_per_hour', 'INTEGER'],
  ['messages_per_day', 'INTEGER'],
  ['recipients_per_message', 'INTEGER'],
  ['flagged_at_ms', 'INTEGER'],
  ['flag_reason', 'TEXT'],
  ['scram_keys', 'TEXT'], // scram-keys.ts encoding; NULL until set or upgraded at the next login
  ['cram_secret', 'TEXT'], // secret-box.ts; only when CRAM-MD5 is switched on
];

/** Create or upgrade the schema; returns the random server secret (made once per database). */
export function prepareSchema(db: Database.Database): Buffer {
  // IMMEDIATE: two processes opening an old database at once upgrade it one after the other.
  return db
    .transaction(() => {
      db.exec(BASE);
      const have = new Set((db.prepare('PRAGMA table_info(users)').all() as { name: string }[]).map((c) => c.name));
      for (const [name, declaration] of ADDED_USER_COLUMNS) {
        if (!have.has(name)) db.exec(`ALTER TABLE users ADD COLUMN ${name} ${declaration}`);
      }
      db.prepare("INSERT OR IGNORE INTO meta (name, value) VALUES ('server-secret', ?)").run(randomBytes(32));
      return (db.prepare("SELECT value FROM meta WHERE name = 'server-secret'").get() as { value: Buffer }).value;
    })
    .immediate();
}
