// The submission users: <dataDir>/users.db (SQLite, WAL). Passwords are
// stored only as scrypt hashes. Every lookup reads the database, so
// `hikyaku user add/passwd/remove` run from another process take effect on
// the running server at once, with no reload signal.
import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { isRoutableAddress, normalizeAddress, localPartOf } from '../core/address.js';
import { hashPassword, prepareDummyHash, verifyDummy, verifyPassword } from './password.js';

export interface UserRecord {
  readonly address: string;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

export type UserStoreErrorCode = 'exists' | 'not-found' | 'invalid-address' | 'weak-password';

/** A refused change; `code` lets the CLI word the message for the user. */
export class UserStoreError extends Error {
  readonly code: UserStoreErrorCode;
  constructor(code: UserStoreErrorCode, message: string) {
    super(message);
    this.name = 'UserStoreError';
    this.code = code;
  }
}

export const MIN_PASSWORD_LENGTH = 8;
/** Longer than any real password; bounds the work of hashing attacker input. */
const MAX_PASSWORD_LENGTH = 1024;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  address       TEXT PRIMARY KEY,  -- local part as given, domain lower-cased
  local_part    TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS users_by_local_part ON users (local_part);
`;

interface UserRow {
  readonly address: string;
  readonly password_hash: string;
  readonly created_at_ms: number;
  readonly updated_at_ms: number;
}

function checkPassword(password: string): void {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    throw new UserStoreError('weak-password', `password too short: at least ${MIN_PASSWORD_LENGTH} characters are required`);
  }
  if (length > MAX_PASSWORD_LENGTH) throw new UserStoreError('weak-password', `password too long: at most ${MAX_PASSWORD_LENGTH} characters`);
}

const COLUMNS = 'address, password_hash, created_at_ms, updated_at_ms';

export class UserStore {
  private readonly db: Database.Database;
  private readonly statements;

  private constructor(db: Database.Database) {
    this.db = db;
    this.statements = {
      insert: db.prepare('INSERT INTO users (address, local_part, password_hash, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?)'),
      update: db.prepare('UPDATE users SET password_hash = ?, updated_at_ms = ? WHERE address = ?'),
      remove: db.prepare('DELETE FROM users WHERE address = ?'),
      list: db.prepare(`SELECT ${COLUMNS} FROM users ORDER BY address`),
      byAddress: db.prepare(`SELECT ${COLUMNS} FROM users WHERE address = ?`),
      // LIMIT 2: enough to tell "exactly one" from "several".
      byLocalPart: db.prepare(`SELECT ${COLUMNS} FROM users WHERE local_part = ? LIMIT 2`),
    };
  }

  /** Open (creating if needed) <dataDir>/users.db. The file is created readable by its owner only. */
  static open(dataDir: string): UserStore {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, 'users.db');
    // Create the file ourselves so it is 0600 from the first byte; SQLite
    // gives its -wal and -shm files the same permissions as the database.
    try {
      closeSync(openSync(path, 'wx', 0o600));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // `timeout`: wait for another process's write (e.g. the CLI) instead of failing with SQLITE_BUSY.
    const db = new Database(path, { timeout: 5000 });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
    } catch (err) {
      db.close();
      throw err;
    }
    prepareDummyHash();
    return new UserStore(db);
  }

  /** Add a user. Errors when the address is invalid or taken, or the password too short. */
  async add(address: string, password: string): Promise<void> {
    if (!isRoutableAddress(address)) throw new UserStoreError('invalid-address', `invalid address: ${JSON.stringify(address)}`);
    checkPassword(password);
    const canonical = normalizeAddress(address);
    if (this.find(canonical)) throw new UserStoreError('exists', `user ${canonical} already exists`);
    const hash = await hashPassword(password);
    const now = Date.now();
    try {
      this.statements.insert.run(canonical, localPartOf(canonical), hash, now, now);
    } catch (err) {
      // Another process added the same user while we were hashing.
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new UserStoreError('exists', `user ${canonical} already exists`);
      throw err;
    }
  }

  async setPassword(address: string, password: string): Promise<void> {
    checkPassword(password);
    const canonical = normalizeAddress(address);
    if (!this.find(canonical)) throw new UserStoreError('not-found', `no such user: ${canonical}`);
    const hash = await hashPassword(password);
    const result = this.statements.update.run(hash, Date.now(), canonical);
    if (result.changes === 0) throw new UserStoreError('not-found', `no such user: ${canonical}`);
  }

  /** True when the user existed. */
  remove(address: string): boolean {
    return this.statements.remove.run(normalizeAddress(address)).changes > 0;
  }

  list(): UserRecord[] {
    const rows = this.statements.list.all() as UserRow[];
    return rows.map((r) => ({ address: r.address, createdAtMs: r.created_at_ms, updatedAtMs: r.updated_at_ms }));
  }

  /**
   * The canonical address when `login` and `password` are right, else undefined.
   * `login` is the full address (domain case-insensitive) or the local part
   * alone when exactly one user has that local part. Unknown and ambiguous
   * logins still cost one hash verification, so timing does not tell which
   * users exist.
   */
  async authenticate(login: string, password: string): Promise<string | undefined> {
    const user = login.includes('@') ? this.find(normalizeAddress(login)) : this.findByLocalPart(login);
    if (!user || password.length === 0 || [...password].length > MAX_PASSWORD_LENGTH) {
      await verifyDummy(password.slice(0, MAX_PASSWORD_LENGTH));
      return undefined;
    }
    return (await verifyPassword(password, user.password_hash)) ? user.address : undefined;
  }

  close(): void {
    this.db.close();
  }

  private find(canonical: string): UserRow | undefined {
    return this.statements.byAddress.get(canonical) as UserRow | undefined;
  }

  /** The one user with this local part; undefined when none or several (ambiguous). */
  private findByLocalPart(localPart: string): UserRow | undefined {
    const rows = this.statements.byLocalPart.all(localPart) as UserRow[];
    return rows.length === 1 ? rows[0] : undefined;
  }
}
