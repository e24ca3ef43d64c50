// The small SQLite files beside the queue (users.db, suppression.db,
// counters.db): created by us with mode 0600 before SQLite opens them (SQLite
// gives its -wal and -shm files the database file's mode), in WAL mode so
// that the CLI and the running server use them at once, with a busy timeout
// instead of SQLITE_BUSY when the other one is writing. synchronous=NORMAL:
// what they hold is re-learnt or re-entered if a power cut takes the last
// commit, unlike the queue (queue/queue-schema.ts), which fsyncs every one.
import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

export interface PrivateDatabaseOptions {
  /** How long to wait for another process's write. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) <dataDir>/<fileName> and runs `prepare` on it
 * (schema, statements); the file is closed again when `prepare` throws.
 */
export function openPrivateDatabase<T>(
  dataDir: string,
  fileName: string,
  prepare: (db: Database.Database) => T,
  options: PrivateDatabaseOptions = {},
): { readonly db: Database.Database; readonly prepared: T } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, fileName);
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    return { db, prepared: prepare(db) };
  } catch (err) {
    db.close();
    throw err;
  }
}
