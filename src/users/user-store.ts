// The submission users: <dataDir>/users.db (SQLite, WAL). Passwords are
// stored as scrypt hashes, plus the SCRAM-SHA-256 keys derived from them
// (scram-keys.ts) and, only when CRAM-MD5 is switched on, the password
// encrypted with a key kept in another file (secret-box.ts, cram-key.ts).
// App passwords are stored as keyed hashes (app-password.ts). Every lookup
// reads the database, so `hikyaku user …` run from another process takes
// effect on the running server at once, with no reload signal.
import type Database from 'better-sqlite3';
import { openPrivateDatabase } from '../storage/private-database.js';
import { isRoutableAddress, normalizeAddress, localPartOf } from '../core/address.js';
import { hashPassword, prepareDummyHash, verifyDummy, verifyPassword } from './password.js';
import { appPasswordLookupHash, canonicalAppPassword, generateAppPassword, validLabel } from './app-password.js';
import { checkNetworks, checkPatterns, checkQuota, QUOTA_COLUMNS, type AppPasswordOptions, type QuotaChange, type UserSettingsChange } from './account-settings.js';
import { clientAllowed } from './client-networks.js';
import { principalOf, type AppPasswordRecord, type AuthOutcome, type Principal, type UserDetails } from './principal.js';
import { decodeScramKeys, deriveScramKeys, encodeScramKeys, hmacSha256, type ScramCredentials } from './scram-keys.js';
import { openSecret, sealSecret } from './secret-box.js';
import { prepareSchema } from './user-schema.js';
import { APP_PASSWORD_COLUMNS, toAppPasswordRecord, toUserSettings, USER_COLUMNS, type AppPasswordRow, type UserRow } from './user-rows.js';
import { UserStoreError } from './user-store-error.js';

export { UserStoreError, type UserStoreErrorCode } from './user-store-error.js';
export type { AppPasswordOptions, QuotaChange, UserSettingsChange } from './account-settings.js';
export type { AppPasswordRecord, AuthOutcome, Principal, UserDetails } from './principal.js';

export interface UserRecord {
  readonly address: string;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

export interface UserStoreOptions {
  /** The CRAM-MD5 key (cram-key.ts) when CRAM-MD5 is on: passwords are then also kept, encrypted with it. */
  readonly cramKey?: Buffer | undefined;
}

export const MIN_PASSWORD_LENGTH = 8;
/** Longer than any real password; bounds the work of hashing attacker input. */
const MAX_PASSWORD_LENGTH = 1024;

function checkPassword(password: string): void {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    throw new UserStoreError('weak-password', `password too short: at least ${MIN_PASSWORD_LENGTH} characters are required`);
  }
  if (length > MAX_PASSWORD_LENGTH) throw new UserStoreError('weak-password', `password too long: at most ${MAX_PASSWORD_LENGTH} characters`);
}

const BAD_CREDENTIALS: AuthOutcome = { ok: false, reason: 'bad-credentials' };

/** The stored secrets of one password. */
interface PasswordSecrets {
  readonly hash: string;
  readonly scramKeys: string | null;
  readonly cramSecret: string | null;
}

export class UserStore {
  private readonly db: Database.Database;
  private readonly cramKey: Buffer | undefined;
  private readonly appPasswordKey: Buffer;
  private readonly fakeSaltKey: Buffer;
  private readonly statements;

  private constructor(db: Database.Database, serverSecret: Buffer, cramKey: Buffer | undefined) {
    this.db = db;
    this.cramKey = cramKey;
    // Two keys from one stored secret, each for one purpose.
    this.appPasswordKey = hmacSha256(serverSecret, 'app-password-lookup');
    this.fakeSaltKey = hmacSha256(serverSecret, 'scram-fake-salt');
    this.statements = {
      insert: db.prepare(
        'INSERT INTO users (address, local_part, password_hash, scram_keys, cram_secret, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      setPassword: db.prepare('UPDATE users SET password_hash = ?, scram_keys = ?, cram_secret = ?, updated_at_ms = ? WHERE address = ?'),
      // Guarded by the hash: a password changed meanwhile is not overwritten with keys of the old one.
      upgradeSecrets: db.prepare(
        'UPDATE users SET scram_keys = COALESCE(scram_keys, ?), cram_secret = COALESCE(cram_secret, ?) WHERE address = ? AND password_hash = ?',
      ),
      remove: db.prepare('DELETE FROM users WHERE address = ?'),
      removeAppPasswords: db.prepare('DELETE FROM app_passwords WHERE user = ?'),
      list: db.prepare(`SELECT ${USER_COLUMNS} FROM users ORDER BY address`),
      byAddress: db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE address = ?`),
      // LIMIT 2: enough to tell "exactly one" from "several".
      byLocalPart: db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE local_part = ? LIMIT 2`),
      insertAppPassword: db.prepare(
        'INSERT INTO app_passwords (user, label, lookup_hash, created_at_ms, may_send_as, networks, messages_per_hour, messages_per_day, recipients_per_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      appPasswords: db.prepare(`SELECT ${APP_PASSWORD_COLUMNS} FROM app_passwords WHERE user = ? ORDER BY label`),
      appPasswordByLabel: db.prepare(`SELECT ${APP_PASSWORD_COLUMNS} FROM app_passwords WHERE user = ? AND label = ?`),
      appPasswordByHash: db.prepare(`SELECT ${APP_PASSWORD_COLUMNS} FROM app_passwords WHERE user = ? AND lookup_hash = ?`),
      revokeAppPassword: db.prepare('DELETE FROM app_passwords WHERE user = ? AND label = ?'),
      flagUser: db.prepare('UPDATE users SET flagged_at_ms = ?, flag_reason = ? WHERE address = ?'),
      flagAppPassword: db.prepare('UPDATE app_passwords SET flagged_at_ms = ?, flag_reason = ? WHERE user = ? AND label = ?'),
    };
  }

  /** Open (creating or upgrading if needed) <dataDir>/users.db. The file is created readable by its owner only. */
  static open(dataDir: string, options: UserStoreOptions = {}): UserStore {
    const { db, prepared: serverSecret } = openPrivateDatabase(dataDir, 'users.db', prepareSchema);
    prepareDummyHash();
    return new UserStore(db, serverSecret, options.cramKey);
  }

  /** Add a user. Errors when the address is invalid or taken, the password too short, or a setting invalid. */
  async add(address: string, password: string, settings: UserSettingsChange = {}): Promise<void> {
    if (!isRoutableAddress(address)) throw new UserStoreError('invalid-address', `invalid address: ${JSON.stringify(address)}`);
    checkPassword(password);
    const canonical = normalizeAddress(address);
    const apply = this.settingsUpdate(canonical, settings); // validated before the slow hashing
    if (this.find(canonical)) throw new UserStoreError('exists', `user ${canonical} already exists`);
    const secrets = await this.passwordSecrets(canonical, password);
    const now = Date.now();
    try {
      this.db.transaction(() => {
        this.statements.insert.run(canonical, localPartOf(canonical), secrets.hash, secrets.scramKeys, secrets.cramSecret, now, now);
        apply();
      })();
    } catch (err) {
      // Another process added the same user while we were hashing.
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new UserStoreError('exists', `user ${canonical} already exists`);
      throw err;
    }
  }

  async setPassword(address: string, password: string): Promise<void> {
    checkPassword(password);
    const canonical = this.existing(address).address;
    const secrets = await this.passwordSecrets(canonical, password);
    const result = this.statements.setPassword.run(secrets.hash, secrets.scramKeys, secrets.cramSecret, Date.now(), canonical);
    if (result.changes === 0) throw new UserStoreError('not-found', `no such user: ${canonical}`);
  }

  /** Change the sender patterns, the sender check or quota overrides of a user. */
  update(address: string, change: UserSettingsChange): void {
    const canonical = this.existing(address).address;
    this.db.transaction(this.settingsUpdate(canonical, change))();
  }

  /** True when the user existed. Its app passwords go with it. */
  remove(address: string): boolean {
    const canonical = normalizeAddress(address);
    return this.db.transaction(() => {
      this.statements.removeAppPasswords.run(canonical);
      return this.statements.remove.run(canonical).changes > 0;
    })();
  }

  list(): UserRecord[] {
    const rows = this.statements.list.all() as UserRow[];
    return rows.map((r) => ({ address: r.address, createdAtMs: r.created_at_ms, updatedAtMs: r.updated_at_ms }));
  }

  /** The user with its settings and app passwords, never a secret; undefined when there is no such user. */
  show(address: string): UserDetails | undefined {
    const row = this.find(normalizeAddress(address));
    if (!row) return undefined;
    return {
      ...toUserSettings(row),
      createdAtMs: row.created_at_ms,
      updatedAtMs: row.updated_at_ms,
      hasScramKeys: row.scram_keys !== null,
      hasCramSecret: row.cram_secret !== null,
      appPasswords: this.appPasswordsOf(row.address),
    };
  }

  /** The principal a login with this user's password (or app password `label`) would get; undefined when either does not exist. */
  principalFor(address: string, label?: string): Principal | undefined {
    const row = this.find(normalizeAddress(address));
    if (!row) return undefined;
    if (label === undefined) return principalOf(toUserSettings(row));
    const app = this.statements.appPasswordByLabel.get(row.address, label) as AppPasswordRow | undefined;
    return app && principalOf(toUserSettings(row), toAppPasswordRecord(app));
  }

  /**
   * Create an app password and return it: the only time it is visible (only
   * its keyed hash is stored). Labels are unique per user.
   */
  addAppPassword(address: string, options: AppPasswordOptions): string {
    const user = this.existing(address).address;
    if (!validLabel(options.label)) {
      throw new UserStoreError('invalid-label', `invalid label: ${JSON.stringify(options.label)} (allowed: letters, digits, . _ -, up to 64, e.g. wordpress-shop)`);
    }
    const maySendAs = checkPatterns(options.maySendAs ?? []);
    const networks = checkNetworks(options.networks ?? []);
    const quota = checkQuota(options.quota ?? {});
    const password = generateAppPassword();
    const hash = appPasswordLookupHash(this.appPasswordKey, user, canonicalAppPassword(password) as string);
    try {
      this.statements.insertAppPassword.run(
        user,
        options.label,
        hash,
        Date.now(),
        JSON.stringify(maySendAs),
        JSON.stringify(networks),
        quota.messagesPerHour ?? null,
        quota.messagesPerDay ?? null,
        quota.recipientsPerMessage ?? null,
      );
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new UserStoreError('exists', `${user} already has an app password labelled ${options.label}`);
      }
      throw err;
    }
    return password;
  }

  listAppPasswords(address: string): AppPasswordRecord[] {
    return this.appPasswordsOf(this.existing(address).address);
  }

  /** True when the app password existed. */
  revokeAppPassword(address: string, label: string): boolean {
    return this.statements.revokeAppPassword.run(normalizeAddress(address), label).changes > 0;
  }

  /** Flag the user (every credential) or one app password; true when it exists. Flagging again keeps the first time and reason. */
  flag(address: string, label: string | undefined, reason: string): boolean {
    const canonical = normalizeAddress(address);
    const current = label === undefined ? this.find(canonical) : (this.statements.appPasswordByLabel.get(canonical, label) as AppPasswordRow | undefined);
    if (!current) return false;
    if (current.flagged_at_ms !== null) return true;
    return this.setFlag(canonical, label, Date.now(), reason);
  }

  /** Clear the flag of the user or of one app password; true when it exists. */
  unflag(address: string, label?: string): boolean {
    return this.setFlag(normalizeAddress(address), label, null, null);
  }

  /**
   * The canonical address when `login` and `password` are right, else
   * undefined. Kept for callers that know no principal: it refuses what it
   * cannot check — an app password limited to client networks (no client
   * address here) and a flagged user or app password.
   */
  async authenticate(login: string, password: string): Promise<string | undefined> {
    const outcome = await this.authenticateAt(login, password, undefined);
    return outcome.ok && !outcome.principal.flagged ? outcome.principal.user : undefined;
  }

  /**
   * Check a login with the password or an app password. `login` is the full
   * address (domain case-insensitive) or the local part alone when exactly
   * one user has that local part. Unknown and ambiguous logins still cost
   * one scrypt verification, so timing does not tell which users exist.
   * 'network-not-allowed' is only ever answered for a right app password.
   */
  authenticatePrincipal(login: string, password: string, clientIp: string): Promise<AuthOutcome> {
    return this.authenticateAt(login, password, clientIp);
  }

  /** The SCRAM-SHA-256 keys of the user's main password; undefined for an unknown login or a user whose keys are not made yet. */
  scramCredentials(login: string): ScramCredentials | undefined {
    const user = this.resolveLogin(login);
    const keys = user?.scram_keys ? decodeScramKeys(user.scram_keys) : undefined;
    return user && keys && { user: user.address, ...keys };
  }

  /** Key for the fake SCRAM salts of unknown users (ScramServerOptions.fakeSaltKey): stable for this database. */
  scramFakeSaltKey(): Buffer {
    return this.fakeSaltKey;
  }

  /** The password for CRAM-MD5; undefined when CRAM-MD5 is off (no key), the login unknown, or nothing is kept for the user yet. */
  cramSecret(login: string): { user: string; secret: string } | undefined {
    const user = this.resolveLogin(login);
    if (!this.cramKey || !user?.cram_secret) return undefined;
    const secret = openSecret(this.cramKey, user.cram_secret, user.address);
    return secret === undefined ? undefined : { user: user.address, secret };
  }

  close(): void {
    this.db.close();
  }

  private async authenticateAt(login: string, password: string, clientIp: string | undefined): Promise<AuthOutcome> {
    const user = this.resolveLogin(login);
    if (!user || password.length === 0 || [...password].length > MAX_PASSWORD_LENGTH) {
      await verifyDummy(password.slice(0, MAX_PASSWORD_LENGTH));
      return BAD_CREDENTIALS;
    }
    const app = this.findAppPassword(user.address, password);
    if (app) {
      const record = toAppPasswordRecord(app);
      if (!clientAllowed(clientIp, record.networks)) return { ok: false, reason: 'network-not-allowed' };
      return { ok: true, principal: principalOf(toUserSettings(user), record) };
    }
    // Not an app password: the main password (a password shaped like an app password that matched none lands here too).
    if (!(await verifyPassword(password, user.password_hash))) return BAD_CREDENTIALS;
    await this.upgradeSecrets(user, password);
    return { ok: true, principal: principalOf(toUserSettings(user)) };
  }

  /** One indexed lookup, whatever the number of app passwords (see app-password.ts for why the hash is fast). */
  private findAppPassword(user: string, password: string): AppPasswordRow | undefined {
    const canonical = canonicalAppPassword(password);
    if (canonical === undefined) return undefined;
    return this.statements.appPasswordByHash.get(user, appPasswordLookupHash(this.appPasswordKey, user, canonical)) as AppPasswordRow | undefined;
  }

  /**
   * Users set before SCRAM (or before CRAM-MD5 was switched on) have no keys
   * for it; the password is known right now, so they are made and stored.
   * Best effort: a failure here must not fail the login, the next one tries again.
   */
  private async upgradeSecrets(user: UserRow, password: string): Promise<void> {
    const needScram = user.scram_keys === null;
    const needCram = this.cramKey !== undefined && user.cram_secret === null;
    if (!needScram && !needCram) return;
    try {
      const keys = needScram ? await deriveScramKeys(password) : undefined;
      const sealed = needCram && this.cramKey ? sealSecret(this.cramKey, password, user.address) : null;
      this.statements.upgradeSecrets.run(keys ? encodeScramKeys(keys) : null, sealed, user.address, user.password_hash);
    } catch {
      // e.g. SQLITE_BUSY for longer than the timeout: the login itself was fine.
    }
  }

  private async passwordSecrets(address: string, password: string): Promise<PasswordSecrets> {
    const [hash, keys] = await Promise.all([hashPassword(password), deriveScramKeys(password)]);
    return {
      hash,
      scramKeys: keys ? encodeScramKeys(keys) : null,
      // Without a key nothing recoverable is stored (and an old secret is dropped with the old password).
      cramSecret: this.cramKey ? sealSecret(this.cramKey, password, address) : null,
    };
  }

  /** Validates `change` now; the returned function writes it (inside the caller's transaction). */
  private settingsUpdate(address: string, change: UserSettingsChange): () => void {
    const assignments: string[] = [];
    const values: (string | number | null)[] = [];
    if (change.maySendAs !== undefined) {
      assignments.push('may_send_as = ?');
      values.push(JSON.stringify(checkPatterns(change.maySendAs)));
    }
    if (change.senderCheck !== undefined) {
      assignments.push('sender_check = ?');
      values.push(change.senderCheck ? 1 : 0);
    }
    const quota: QuotaChange = checkQuota(change.quota ?? {});
    for (const [field, column] of Object.entries(QUOTA_COLUMNS) as [keyof QuotaChange, string][]) {
      const value = quota[field];
      if (value === undefined) continue;
      assignments.push(`${column} = ?`);
      values.push(value);
    }
    if (assignments.length === 0) return () => undefined;
    const statement = this.db.prepare(`UPDATE users SET ${assignments.join(', ')}, updated_at_ms = ? WHERE address = ?`);
    return () => void statement.run(...values, Date.now(), address);
  }

  private setFlag(address: string, label: string | undefined, atMs: number | null, reason: string | null): boolean {
    const result = label === undefined ? this.statements.flagUser.run(atMs, reason, address) : this.statements.flagAppPassword.run(atMs, reason, address, label);
    return result.changes > 0;
  }

  private appPasswordsOf(address: string): AppPasswordRecord[] {
    return (this.statements.appPasswords.all(address) as AppPasswordRow[]).map(toAppPasswordRecord);
  }

  private existing(address: string): UserRow {
    const canonical = normalizeAddress(address);
    const row = this.find(canonical);
    if (!row) throw new UserStoreError('not-found', `no such user: ${canonical}`);
    return row;
  }

  private resolveLogin(login: string): UserRow | undefined {
    return login.includes('@') ? this.find(normalizeAddress(login)) : this.findByLocalPart(login);
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
