// What admins changed through the console: one row per change, kept in
// console.db (the console can show it; the pino line goes to the log).
import type Database from 'better-sqlite3';

export interface AuditEntry {
  readonly atMs: number;
  readonly admin: string;
  readonly action: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export class AuditLog {
  constructor(private readonly db: Database.Database) {}

  record(entry: AuditEntry): void {
    this.db.prepare('INSERT INTO audit (at_ms, admin, action, details) VALUES (?, ?, ?, ?)').run(entry.atMs, entry.admin, entry.action, JSON.stringify(entry.details));
  }

  /** Newest first. */
  recent(limit: number): AuditEntry[] {
    const rows = this.db.prepare<[number], { at_ms: number; admin: string; action: string; details: string }>('SELECT at_ms, admin, action, details FROM audit ORDER BY id DESC LIMIT ?').all(limit);
    return rows.map((r) => ({ atMs: r.at_ms, admin: r.admin, action: r.action, details: JSON.parse(r.details) as Record<string, unknown> }));
  }
}
