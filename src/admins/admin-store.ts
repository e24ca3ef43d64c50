// The console's administrators: a name, a password hashed as users' are
// (users/password.ts, scrypt) and an optional TOTP secret (RFC 6238).
import type Database from 'better-sqlite3';

export interface Admin {
  readonly name: string;
  readonly passwordHash: string;
  /** Base32 TOTP secret, when the second factor is on. */
  readonly totpSecret: string | undefined;
  readonly createdMs: number;
}

export class AdminError extends Error {
  override readonly name = 'AdminError';
}

/** Letters, digits and . _ - ; what a login form and a log line take without surprises. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkAdminName(name: string): string {
  if (!NAME.test(name)) {
    throw new AdminError(`invalid admin name "${name}": use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  }
  return name;
}

interface AdminRow {
  name: string;
  password_hash: string;
  totp_secret: string | null;
  created_ms: number;
}

function toAdmin(row: AdminRow): Admin {
  return { name: row.name, passwordHash: row.password_hash, totpSecret: row.totp_secret ?? undefined, createdMs: row.created_ms };
}

export class AdminStore {
  private readonly getStmt: Database.Statement<[string], AdminRow>;
  private readonly listStmt: Database.Statement<[], AdminRow>;

  constructor(private readonly db: Database.Database) {
    this.getStmt = db.prepare('SELECT name, password_hash, totp_secret, created_ms FROM admins WHERE name = ?');
    this.listStmt = db.prepare('SELECT name, password_hash, totp_secret, created_ms FROM admins ORDER BY name');
  }

  get(name: string): Admin | undefined {
    const row = this.getStmt.get(name);
    return row === undefined ? undefined : toAdmin(row);
  }

  /** The admin, or an AdminError naming the command that lists them. */
  require(name: string): Admin {
    const admin = this.get(name);
    if (admin === undefined) throw this.unknown(name);
    return admin;
  }

  list(): Admin[] {
    return this.listStmt.all().map(toAdmin);
  }

  add(name: string, passwordHash: string, totpSecret: string | undefined, nowMs = Date.now()): void {
    checkAdminName(name);
    if (this.get(name) !== undefined) throw new AdminError(`admin "${name}" already exists (change its password with: hikyaku admin passwd ${name})`);
    this.db.prepare('INSERT INTO admins (name, password_hash, totp_secret, created_ms) VALUES (?, ?, ?, ?)').run(name, passwordHash, totpSecret ?? null, nowMs);
  }

  /** Removes the admin and (by the foreign key) every session of theirs. */
  remove(name: string): void {
    if (this.db.prepare('DELETE FROM admins WHERE name = ?').run(name).changes === 0) throw this.unknown(name);
  }

  /** A new password ends every session of the admin: whoever knew the old one is logged out. */
  setPassword(name: string, passwordHash: string): void {
    this.db.transaction(() => {
      if (this.db.prepare('UPDATE admins SET password_hash = ? WHERE name = ?').run(passwordHash, name).changes === 0) throw this.unknown(name);
      this.db.prepare('DELETE FROM sessions WHERE admin = ?').run(name);
    })();
  }

  setTotpSecret(name: string, secret: string | undefined): void {
    this.db.transaction(() => {
      if (this.db.prepare('UPDATE admins SET totp_secret = ? WHERE name = ?').run(secret ?? null, name).changes === 0) throw this.unknown(name);
      this.db.prepare('DELETE FROM sessions WHERE admin = ?').run(name);
    })();
  }

  private unknown(name: string): AdminError {
    return new AdminError(`no admin named "${name}" (list them with: hikyaku admin list)`);
  }
}
