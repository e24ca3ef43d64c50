// Console sessions. The cookie carries a random 256-bit id; only its SHA-256
// is stored, so a copy of console.db does not hand out live sessions. Each
// session has its own CSRF token (sent back by the browser in a header on
// every change). A session ends after `idleMs` without a request or
// `absoluteMs` after login, whichever comes first, or at logout.
import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

export interface SessionLimits {
  /** Default 30 minutes. */
  readonly idleMs?: number;
  /** Default 12 hours. */
  readonly absoluteMs?: number;
}

export interface Session {
  readonly admin: string;
  readonly csrfToken: string;
  readonly createdMs: number;
}

interface SessionRow {
  admin: string;
  csrf_token: string;
  created_ms: number;
  seen_ms: number;
}

function hashId(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

/** Seen-times are written at most this often: a page polling every few seconds must not write on every request. */
const TOUCH_EVERY_MS = 30_000;

export class SessionStore {
  readonly idleMs: number;
  readonly absoluteMs: number;

  constructor(
    private readonly db: Database.Database,
    limits: SessionLimits,
  ) {
    this.idleMs = limits.idleMs ?? 30 * 60_000;
    this.absoluteMs = limits.absoluteMs ?? 12 * 3_600_000;
  }

  /** A new session for `admin`; returns the id for the cookie (never stored as is). */
  create(admin: string, nowMs = Date.now()): { id: string; session: Session } {
    const id = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    this.purge(nowMs);
    this.db.prepare('INSERT INTO sessions (id_hash, admin, csrf_token, created_ms, seen_ms) VALUES (?, ?, ?, ?, ?)').run(hashId(id), admin, csrfToken, nowMs, nowMs);
    return { id, session: { admin, csrfToken, createdMs: nowMs } };
  }

  /** The live session for a cookie id (its idle time restarted), or undefined. */
  find(id: string, nowMs = Date.now()): Session | undefined {
    const key = hashId(id);
    const row = this.db.prepare<[string], SessionRow>('SELECT admin, csrf_token, created_ms, seen_ms FROM sessions WHERE id_hash = ?').get(key);
    if (row === undefined) return undefined;
    if (nowMs - row.seen_ms > this.idleMs || nowMs - row.created_ms > this.absoluteMs) {
      this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(key);
      return undefined;
    }
    if (nowMs - row.seen_ms > TOUCH_EVERY_MS) this.db.prepare('UPDATE sessions SET seen_ms = ? WHERE id_hash = ?').run(nowMs, key);
    return { admin: row.admin, csrfToken: row.csrf_token, createdMs: row.created_ms };
  }

  /** Sessions stored for an admin (expired ones included until purged). */
  count(admin: string): number {
    return this.db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM sessions WHERE admin = ?').get(admin)?.n ?? 0;
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(hashId(id));
  }

  /** Removes expired sessions (called at each login, so the table stays small). */
  purge(nowMs = Date.now()): void {
    this.db.prepare('DELETE FROM sessions WHERE seen_ms < ? OR created_ms < ?').run(nowMs - this.idleMs, nowMs - this.absoluteMs);
  }
}
