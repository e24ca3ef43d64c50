// The suppression list: recipients that hard-bounced (or that an admin
// added), per sending domain, refused at RCPT so that a dead address is not
// mailed again and again (which costs the sender's reputation with the big
// mailbox providers). <dataDir>/suppression.db (SQLite, WAL).
//
// The lookup is made for every RCPT, and nearly every answer is "no": the
// store keeps the set of recipient keys on the list in memory and reads the
// database only for a recipient in that set. Measured, a read per RCPT cost
// about 20 µs of the main thread under load (a sixth of the policy's whole
// cost). The set is reloaded when `PRAGMA data_version` says another process
// (`hikyaku suppression add/remove`) changed the file, checked at most once
// a second: such a change reaches the running server within a second, with
// no reload signal.
import type Database from 'better-sqlite3';
import { openPrivateDatabase } from '../storage/private-database.js';
import { domainToASCII } from 'node:url';
import { isRoutableAddress } from '../core/address.js';
import { mailboxKey } from '../core/mailbox.js';

export type SuppressionSource = 'bounce' | 'manual';

export interface SuppressionEntry {
  /** The envelope sender's / From domain, lower-case A-labels; '' = every sending domain. */
  readonly sendingDomain: string;
  /** The recipient as first seen. */
  readonly recipient: string;
  /** `mailboxKey(recipient)`: what lookups compare. */
  readonly recipientKey: string;
  /** The remote reply (who said what, with the enhanced code), or the admin's text / 'manual'. */
  readonly reason: string;
  readonly source: SuppressionSource;
  readonly createdAtMs: number;
  /** undefined = never expires. */
  readonly expiresAtMs: number | undefined;
}

export interface AddSuppression {
  /** '' = every sending domain. */
  readonly sendingDomain: string;
  readonly recipient: string;
  readonly reason: string;
  readonly source: SuppressionSource;
  readonly nowMs: number;
  /** undefined = never expires. */
  readonly ttlMs: number | undefined;
}

export interface ListSuppressions {
  /** Only the entries that apply to mail from this domain: its own and the all-domains ('') ones. */
  readonly sendingDomain?: string;
  readonly limit?: number;
  /** Also entries whose time is up (they no longer refuse anything). */
  readonly includeExpired?: boolean;
  /** The clock for "expired"; defaults to now. */
  readonly nowMs?: number;
}

/** A refused change; `code` lets the CLI word the message for the user. */
export class SuppressionStoreError extends Error {
  readonly code: 'invalid-address';
  constructor(code: 'invalid-address', message: string) {
    super(message);
    this.name = 'SuppressionStoreError';
    this.code = code;
  }
}

// WITHOUT ROWID with the key first: the RCPT lookup reads at most two
// neighbouring rows of one B-tree (the domain's and the all-domains one).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS suppression (
  recipient_key  TEXT NOT NULL,
  sending_domain TEXT NOT NULL,     -- '' = every sending domain
  recipient      TEXT NOT NULL,     -- as first seen
  reason         TEXT NOT NULL,
  source         TEXT NOT NULL CHECK (source IN ('bounce', 'manual')),
  created_at_ms  INTEGER NOT NULL,
  expires_at_ms  INTEGER,           -- NULL = never
  PRIMARY KEY (recipient_key, sending_domain)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS suppression_by_expiry ON suppression (expires_at_ms) WHERE expires_at_ms IS NOT NULL;
`;

interface SuppressionRow {
  readonly recipient_key: string;
  readonly sending_domain: string;
  readonly recipient: string;
  readonly reason: string;
  readonly source: SuppressionSource;
  readonly created_at_ms: number;
  readonly expires_at_ms: number | null;
}

const COLUMNS = 'recipient_key, sending_domain, recipient, reason, source, created_at_ms, expires_at_ms';
const LIVE = '(expires_at_ms IS NULL OR expires_at_ms > @nowMs)';

// The row keeps the recipient as first seen and its creation time. A manual
// add sets the expiry the admin chose; a bounce only ever lengthens it (a
// 30-day bounce must not shorten an admin's "forever").
const UPSERT = `
INSERT INTO suppression (${COLUMNS})
VALUES (@recipientKey, @sendingDomain, @recipient, @reason, @source, @nowMs, @expiresAtMs)
ON CONFLICT (recipient_key, sending_domain) DO UPDATE SET
  reason = excluded.reason,
  source = excluded.source,
  expires_at_ms = CASE
    WHEN excluded.source = 'manual' THEN excluded.expires_at_ms
    WHEN expires_at_ms IS NULL OR excluded.expires_at_ms IS NULL THEN NULL
    ELSE max(expires_at_ms, excluded.expires_at_ms)
  END`;

/**
 * Sending domains are compared lower-case in A-label form, as the domain
 * store keeps them, whether the caller has `bücher.example` or
 * `xn--bcher-kva.example`. ASCII (nearly every call) costs one toLowerCase.
 */
function sendingDomainKey(domain: string): string {
  return /^[\x00-\x7f]*$/.test(domain) ? domain.toLowerCase() : domainToASCII(domain) || domain.toLowerCase();
}

function toEntry(row: SuppressionRow): SuppressionEntry {
  return {
    sendingDomain: row.sending_domain,
    recipient: row.recipient,
    recipientKey: row.recipient_key,
    reason: row.reason,
    source: row.source,
    createdAtMs: row.created_at_ms,
    expiresAtMs: row.expires_at_ms ?? undefined,
  };
}

/**
 * A change to the list as it now stands, for the nodes that share a queue
 * (cluster/shared-suppression.ts): the entry as stored after an add (the
 * expiry merged), or the removal of a key's entry for one sending domain
 * (undefined = all of them).
 */
export type SuppressionChange =
  | { readonly op: 'set'; readonly entry: SuppressionEntry }
  | { readonly op: 'remove'; readonly recipientKey: string; readonly sendingDomain: string | undefined };

/** How often the in-memory key set asks whether another process changed the list. */
const RECHECK_MS = 1000;

export class SuppressionStore {
  private readonly db: Database.Database;
  private readonly statements;
  /** Recipient keys with any entry (live or not); undefined = to be (re)loaded. */
  private keys: Set<string> | undefined;
  private dataVersion = -1;
  private checkedAtMs = -Infinity;
  /** Told of each change made through this store (not of those applied with applyChanges). */
  private onChange: ((change: SuppressionChange) => void) | undefined;

  private constructor(db: Database.Database) {
    this.db = db;
    this.statements = {
      // '' sorts first, so DESC prefers the domain's own row over the all-domains one.
      lookup: db.prepare(
        `SELECT ${COLUMNS} FROM suppression WHERE recipient_key = ? AND sending_domain IN (?, '') AND (expires_at_ms IS NULL OR expires_at_ms > ?) ORDER BY sending_domain DESC LIMIT 1`,
      ),
      upsert: db.prepare(UPSERT),
      removeOne: db.prepare('DELETE FROM suppression WHERE recipient_key = ? AND sending_domain = ?'),
      removeAll: db.prepare('DELETE FROM suppression WHERE recipient_key = ?'),
      one: db.prepare(`SELECT ${COLUMNS} FROM suppression WHERE recipient_key = ? AND sending_domain = ?`),
      replace: db.prepare(`INSERT OR REPLACE INTO suppression (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      purge: db.prepare('DELETE FROM suppression WHERE expires_at_ms IS NOT NULL AND expires_at_ms <= ?'),
      allKeys: db.prepare('SELECT DISTINCT recipient_key FROM suppression').pluck(),
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
    };
  }

  /** The keys on the list, reloaded when another connection committed a change since the last look. */
  private knownKeys(nowMs: number): Set<string> {
    if (this.keys !== undefined && nowMs - this.checkedAtMs < RECHECK_MS && nowMs >= this.checkedAtMs) return this.keys;
    this.checkedAtMs = nowMs;
    const version = this.statements.dataVersion.get() as number;
    if (this.keys === undefined || version !== this.dataVersion) {
      this.dataVersion = version;
      this.keys = new Set(this.statements.allKeys.all() as string[]);
    }
    return this.keys;
  }

  /** Open (creating if needed) <dataDir>/suppression.db. The file is created readable by its owner only. */
  static open(dataDir: string): SuppressionStore {
    // A list entry lost to a power cut is re-learnt from the next bounce.
    const { db } = openPrivateDatabase(dataDir, 'suppression.db', (opened) => opened.exec(SCHEMA));
    return new SuppressionStore(db);
  }

  /**
   * The live entry that refuses mail from `sendingDomain` to `recipient`
   * (the domain's own, else an all-domains one), or undefined. Called for
   * every RCPT: a lookup in the in-memory key set, and for a recipient on
   * the list one indexed read of at most two rows.
   */
  isSuppressed(sendingDomain: string, recipient: string, nowMs: number): SuppressionEntry | undefined {
    const key = mailboxKey(recipient);
    if (!this.knownKeys(nowMs).has(key)) return undefined;
    const row = this.statements.lookup.get(key, sendingDomainKey(sendingDomain), nowMs) as SuppressionRow | undefined;
    return row === undefined ? undefined : toEntry(row);
  }

  /** Add, or refresh: the reason and source become the new ones (see UPSERT for the expiry). */
  add(entry: AddSuppression): void {
    if (!isRoutableAddress(entry.recipient)) {
      throw new SuppressionStoreError('invalid-address', `invalid recipient address: ${JSON.stringify(entry.recipient)}`);
    }
    this.statements.upsert.run({
      recipientKey: mailboxKey(entry.recipient),
      sendingDomain: sendingDomainKey(entry.sendingDomain),
      recipient: entry.recipient,
      reason: entry.reason,
      source: entry.source,
      nowMs: entry.nowMs,
      expiresAtMs: entry.ttlMs === undefined ? null : entry.nowMs + entry.ttlMs,
    });
    // Our own commits do not change data_version: the key set learns them here.
    this.keys?.add(mailboxKey(entry.recipient));
    if (this.onChange !== undefined) {
      const row = this.statements.one.get(mailboxKey(entry.recipient), sendingDomainKey(entry.sendingDomain)) as SuppressionRow | undefined;
      if (row !== undefined) this.onChange({ op: 'set', entry: toEntry(row) });
    }
  }

  /** Remove the recipient's entry for one sending domain ('' = the all-domains entry), or all its entries; returns how many. */
  remove(recipient: string, sendingDomain: string | undefined): number {
    const key = mailboxKey(recipient);
    const result =
      sendingDomain === undefined ? this.statements.removeAll.run(key) : this.statements.removeOne.run(key, sendingDomainKey(sendingDomain));
    this.keys = undefined; // another domain's entry may remain: reload
    this.onChange?.({ op: 'remove', recipientKey: key, sendingDomain: sendingDomain === undefined ? undefined : sendingDomainKey(sendingDomain) });
    return result.changes;
  }

  /** Nodes sharing a queue: `listener` hears each add and remove made through this store. */
  watch(listener: ((change: SuppressionChange) => void) | undefined): void {
    this.onChange = listener;
  }

  /** Changes another node made, applied as they stand there (in one transaction; not told to the watcher). */
  applyChanges(changes: readonly SuppressionChange[]): void {
    if (changes.length === 0) return;
    this.db.transaction(() => {
      for (const c of changes) {
        if (c.op === 'remove') {
          if (c.sendingDomain === undefined) this.statements.removeAll.run(c.recipientKey);
          else this.statements.removeOne.run(c.recipientKey, c.sendingDomain);
          continue;
        }
        const e = c.entry;
        this.statements.replace.run(e.recipientKey, e.sendingDomain, e.recipient, e.reason, e.source, e.createdAtMs, e.expiresAtMs ?? null);
      }
    })();
    this.keys = undefined;
  }

  /** Entries by recipient, then sending domain. */
  list(options: ListSuppressions = {}): SuppressionEntry[] {
    const where: string[] = [];
    if (options.sendingDomain !== undefined) where.push(`sending_domain IN (@sendingDomain, '')`);
    if (options.includeExpired !== true) where.push(LIVE);
    const sql =
      `SELECT ${COLUMNS} FROM suppression` +
      (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
      ' ORDER BY recipient_key, sending_domain' +
      (options.limit !== undefined ? ' LIMIT @limit' : '');
    // Only the parameters the statement names: better-sqlite3 refuses extra ones.
    const params: Record<string, string | number> = {};
    if (options.sendingDomain !== undefined) params['sendingDomain'] = sendingDomainKey(options.sendingDomain);
    if (options.includeExpired !== true) params['nowMs'] = options.nowMs ?? Date.now();
    if (options.limit !== undefined) params['limit'] = options.limit;
    const rows = this.db.prepare(sql).all(params) as SuppressionRow[];
    return rows.map(toEntry);
  }

  /** Delete the entries whose time is up; returns how many. */
  purgeExpired(nowMs: number): number {
    const removed = this.statements.purge.run(nowMs).changes;
    if (removed > 0) this.keys = undefined;
    return removed;
  }

  close(): void {
    this.db.close();
  }
}
