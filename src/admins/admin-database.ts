// <dataDir>/console.db: the web console's admins, their sessions and the
// audit log of what they changed. A file of its own rather than tables in
// users.db: admins are not mail accounts (they cannot send, and a mail user
// is never an admin), and the console's churn (a session row per login, an
// audit row per change) stays out of the file the SMTP AUTH path reads.
import type Database from 'better-sqlite3';
import { openPrivateDatabase } from '../storage/private-database.js';
import { AdminStore } from './admin-store.js';
import { AuditLog } from './audit-log.js';
import { SessionStore, type SessionLimits } from './session-store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS admins (
  name TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  totp_secret TEXT,
  created_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS sessions (
  id_hash TEXT PRIMARY KEY,
  admin TEXT NOT NULL REFERENCES admins(name) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  seen_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS sessions_admin ON sessions(admin);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  admin TEXT NOT NULL,
  action TEXT NOT NULL,
  details TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS audit_at ON audit(at_ms);
`;

export interface AdminDatabase {
  readonly admins: AdminStore;
  readonly sessions: SessionStore;
  readonly audit: AuditLog;
  close(): void;
}

export const ADMIN_DATABASE_FILE = 'console.db';

export function openAdminDatabase(dataDir: string, limits: SessionLimits = {}): AdminDatabase {
  const { db } = openPrivateDatabase(dataDir, ADMIN_DATABASE_FILE, (d: Database.Database) => {
    d.pragma('foreign_keys = ON');
    d.exec(SCHEMA);
  });
  return {
    admins: new AdminStore(db),
    sessions: new SessionStore(db, limits),
    audit: new AuditLog(db),
    close: () => db.close(),
  };
}
