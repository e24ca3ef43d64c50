// API keys for the HTTP API: `Authorization: Bearer hk_…`. A key acts as its
// user (the same sender identities, quotas, suppression and brake as the
// user's SMTP login); logs name it `api-key:LABEL`.
//
// Stored like app passwords (app-password.ts): only a keyed HMAC-SHA-256 of
// the key, with a key derived from users.db's server secret, so that a
// request finds its key with one indexed lookup. A slow hash would protect
// nothing here (200 random bits cannot be guessed) and would cost a scrypt
// run per request. Unlike an app password, a bearer key arrives without a
// user name, so the hashed input is the key alone; its first characters (the
// id, 40 of its 200 bits) are kept in clear to name it in `apikey list`,
// `apikey revoke` and the brute-force counters.
//
// The table lives in users.db beside the accounts (same file, own table,
// created here): `hikyaku apikey …` in another process takes effect at once.
import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { openPrivateDatabase } from '../storage/private-database.js';
import { normalizeAddress } from '../core/address.js';
import { prepareSchema } from './user-schema.js';
import { appPasswordLookupHash, validLabel } from './app-password.js';
import { hmacSha256 } from './scram-keys.js';
import { UserStoreError } from './user-store-error.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
/** 40 base32 characters = 200 bits; the first ID_CHARS name the key. */
const KEY_CHARS = 40;
const ID_CHARS = 8;
export const API_KEY_PREFIX = 'hk_';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_keys (
  id            TEXT PRIMARY KEY,      -- the key's first characters, shown by apikey list
  user          TEXT NOT NULL,         -- users.address
  label         TEXT NOT NULL,
  lookup_hash   TEXT NOT NULL UNIQUE,  -- HMAC-SHA-256, see above
  created_at_ms INTEGER NOT NULL,
  UNIQUE (user, label)
) STRICT;
`;

export interface ApiKeyRecord {
  readonly id: string;
  readonly user: string;
  readonly label: string;
  readonly createdAtMs: number;
}

interface ApiKeyRow {
  id: string;
  user: string;
  label: string;
  created_at_ms: number;
}

/** A new key: `hk_` and 40 base32 characters from the CSPRNG. */
export function generateApiKey(random: (n: number) => Buffer = randomBytes): string {
  let chars = '';
  // 256 is a multiple of 32: the low 5 bits of a byte are uniform.
  for (const byte of random(KEY_CHARS)) chars += ALPHABET[byte & 31];
  return API_KEY_PREFIX + chars;
}

/** The key's id, or undefined when the text cannot be a key (nothing to look up). */
export function apiKeyId(key: string): string | undefined {
  if (!key.startsWith(API_KEY_PREFIX) || key.length !== API_KEY_PREFIX.length + KEY_CHARS) return undefined;
  const body = key.slice(API_KEY_PREFIX.length);
  return /^[a-z2-7]+$/.test(body) ? body.slice(0, ID_CHARS) : undefined;
}

export class ApiKeyStore {
  readonly #db: Database.Database;
  readonly #lookupKey: Buffer;
  readonly #statements;
  /** Writes through this connection: PRAGMA data_version counts only other connections' commits. */
  #ownWrites = 0;

  private constructor(db: Database.Database, serverSecret: Buffer) {
    this.#db = db;
    // A key of its own from the one stored secret (as user-store.ts derives the app passwords').
    this.#lookupKey = hmacSha256(serverSecret, 'api-key-lookup');
    this.#statements = {
      insert: db.prepare('INSERT INTO api_keys (id, user, label, lookup_hash, created_at_ms) VALUES (?, ?, ?, ?, ?)'),
      // A key made before its user was (re)created belongs to a removed account: `user remove` then
      // `user add` of the same address must not bring old keys back to life.
      byHash: db.prepare(
        'SELECT k.id, k.user, k.label, k.created_at_ms FROM api_keys k JOIN users u ON u.address = k.user WHERE k.lookup_hash = ? AND k.created_at_ms >= u.created_at_ms',
      ),
      all: db.prepare('SELECT id, user, label, created_at_ms FROM api_keys ORDER BY user, label'),
      ofUser: db.prepare('SELECT id, user, label, created_at_ms FROM api_keys WHERE user = ? ORDER BY label'),
      revoke: db.prepare('DELETE FROM api_keys WHERE user = ? AND (label = ? OR id = ?)'),
      userExists: db.prepare('SELECT 1 FROM users WHERE address = ?'),
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
    };
  }

  /** Opens users.db (creating or upgrading the accounts' schema first, as UserStore does) with the api_keys table. */
  static open(dataDir: string): ApiKeyStore {
    const { db, prepared } = openPrivateDatabase(dataDir, 'users.db', (d) => {
      const secret = prepareSchema(d);
      d.exec(SCHEMA);
      return secret;
    });
    return new ApiKeyStore(db, prepared);
  }

  /** Creates a key for an existing user and returns it: the only time it is visible. */
  create(address: string, label: string): { readonly key: string; readonly record: ApiKeyRecord } {
    const user = normalizeAddress(address);
    if (this.#statements.userExists.get(user) === undefined) throw new UserStoreError('not-found', `no such user: ${user}`);
    if (!validLabel(label)) {
      throw new UserStoreError('invalid-label', `invalid label: ${JSON.stringify(label)} (allowed: letters, digits, . _ -, up to 64, e.g. wordpress-shop)`);
    }
    const key = generateApiKey();
    const id = apiKeyId(key) as string;
    const createdAtMs = Date.now();
    try {
      this.#statements.insert.run(id, user, label, this.#hash(key), createdAtMs);
      this.#ownWrites++;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_CONSTRAINT_UNIQUE') throw new UserStoreError('exists', `${user} already has an API key labelled ${label}`);
      throw err;
    }
    return { key, record: { id, user, label, createdAtMs } };
  }

  /** The key's record when it exists; one indexed lookup. */
  find(key: string): ApiKeyRecord | undefined {
    if (apiKeyId(key) === undefined) return undefined;
    const row = this.#statements.byHash.get(this.#hash(key)) as ApiKeyRow | undefined;
    return row && toRecord(row);
  }

  list(address?: string): ApiKeyRecord[] {
    const rows = (address === undefined ? this.#statements.all.all() : this.#statements.ofUser.all(normalizeAddress(address))) as ApiKeyRow[];
    return rows.map(toRecord);
  }

  /** Revoke by label or id; true when a key was removed. */
  revoke(address: string, labelOrId: string): boolean {
    const removed = this.#statements.revoke.run(normalizeAddress(address), labelOrId, labelOrId).changes > 0;
    this.#ownWrites++;
    return removed;
  }

  /**
   * Changes whenever users.db may have changed: a commit by any other
   * connection (`hikyaku apikey revoke`, `user remove`, `user flag` in
   * another process, the brake flagging a user through UserStore in this
   * one), or a write through this store. What was looked up under an older
   * version may be stale. One prepared PRAGMA, a few µs.
   */
  version(): string {
    return `${this.#statements.dataVersion.get() as number}:${this.#ownWrites}`;
  }

  close(): void {
    this.#db.close();
  }

  #hash(key: string): string {
    // The app passwords' keyed hash, with an empty user: a bearer key arrives without one.
    return appPasswordLookupHash(this.#lookupKey, '', key);
  }
}

function toRecord(row: ApiKeyRow): ApiKeyRecord {
  return { id: row.id, user: row.user, label: row.label, createdAtMs: row.created_at_ms };
}
