// TLS-RPT counts (RFC 8460 §4): per UTC day and policy domain, how many
// sessions succeeded and how many failed, and why. Deliveries report into
// memory (a Map increment per new session); the counts are added to
// tlsrpt.db every few seconds and at close, so delivery never waits for a
// write. The daily report (report-build.ts) reads a day back.
import type Database from 'better-sqlite3';
import { openPrivateDatabase } from '../storage/private-database.js';
import type { TlsResultType, TlsSessionRecorder, TlsSessionResult } from './session-result.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS policies (
  day            TEXT NOT NULL,
  policy_domain  TEXT NOT NULL,
  policy_type    TEXT NOT NULL,
  policy_strings TEXT NOT NULL,
  mx_patterns    TEXT NOT NULL,
  successes      INTEGER NOT NULL DEFAULT 0,
  failures       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, policy_domain, policy_type, policy_strings)
);
CREATE TABLE IF NOT EXISTS failures (
  day            TEXT NOT NULL,
  policy_domain  TEXT NOT NULL,
  policy_type    TEXT NOT NULL,
  policy_strings TEXT NOT NULL,
  result_type    TEXT NOT NULL,
  sending_ip     TEXT NOT NULL,
  receiving_mx   TEXT NOT NULL,
  receiving_ip   TEXT NOT NULL,
  detail         TEXT NOT NULL,
  count          INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, policy_domain, policy_type, policy_strings, result_type, sending_ip, receiving_mx, receiving_ip)
);
CREATE TABLE IF NOT EXISTS sent (
  day           TEXT NOT NULL,
  policy_domain TEXT NOT NULL,
  sent_at       INTEGER NOT NULL,
  PRIMARY KEY (day, policy_domain)
);
`;

export const TLSRPT_DB = 'tlsrpt.db';

/** One policy's counts for a day, as the report needs them. */
export interface PolicyDay {
  readonly policyDomain: string;
  readonly policyType: 'tlsa' | 'sts' | 'no-policy-found';
  readonly policyStrings: readonly string[];
  readonly mxPatterns: readonly string[];
  readonly successes: number;
  readonly failures: number;
  readonly failureDetails: readonly {
    readonly resultType: TlsResultType;
    readonly sendingIp: string | undefined;
    readonly receivingMx: string | undefined;
    readonly receivingIp: string | undefined;
    readonly detail: string;
    readonly count: number;
  }[];
}

interface Pending {
  policy: { day: string; r: TlsSessionResult; successes: number; failures: number };
  failures: Map<string, { r: TlsSessionResult; count: number }>;
}

const FLUSH_INTERVAL_MS = 5_000;

export class TlsReportStore implements TlsSessionRecorder {
  private readonly db: Database.Database;
  private readonly pending = new Map<string, Pending>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;

  private constructor(db: Database.Database, now: () => number) {
    this.db = db;
    this.now = now;
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  static open(dataDir: string, now: () => number = Date.now): TlsReportStore {
    const { db } = openPrivateDatabase(dataDir, TLSRPT_DB, (d) => d.exec(SCHEMA));
    return new TlsReportStore(db, now);
  }

  record(r: TlsSessionResult): void {
    const day = new Date(this.now()).toISOString().slice(0, 10);
    const strings = JSON.stringify(r.policyStrings);
    const key = `${day}\n${r.policyDomain}\n${r.policyType}\n${strings}`;
    let p = this.pending.get(key);
    if (p === undefined) {
      p = { policy: { day, r, successes: 0, failures: 0 }, failures: new Map() };
      this.pending.set(key, p);
    }
    if (r.failure === undefined) {
      p.policy.successes++;
      return;
    }
    p.policy.failures++;
    const fkey = `${r.failure.resultType}\n${r.sendingIp ?? ''}\n${r.receivingMxHostname ?? ''}\n${r.receivingIp ?? ''}`;
    const f = p.failures.get(fkey);
    if (f === undefined) p.failures.set(fkey, { r, count: 1 });
    else f.count++;
  }

  /** Add what is in memory to the database. */
  flush(): void {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending.clear();
    const upsertPolicy = this.db.prepare(
      `INSERT INTO policies (day, policy_domain, policy_type, policy_strings, mx_patterns, successes, failures) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET successes = successes + excluded.successes, failures = failures + excluded.failures, mx_patterns = excluded.mx_patterns`,
    );
    const upsertFailure = this.db.prepare(
      `INSERT INTO failures (day, policy_domain, policy_type, policy_strings, result_type, sending_ip, receiving_mx, receiving_ip, detail, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET count = count + excluded.count, detail = excluded.detail`,
    );
    this.db.transaction(() => {
      for (const { policy, failures } of batch) {
        const { day, r } = policy;
        const strings = JSON.stringify(r.policyStrings);
        upsertPolicy.run(day, r.policyDomain, r.policyType, strings, JSON.stringify(r.mxPatterns), policy.successes, policy.failures);
        for (const { r: fr, count } of failures.values()) {
          const failure = fr.failure as NonNullable<TlsSessionResult['failure']>;
          upsertFailure.run(day, r.policyDomain, r.policyType, strings, failure.resultType, fr.sendingIp ?? '', fr.receivingMxHostname ?? '', fr.receivingIp ?? '', failure.detail.slice(0, 500), count);
        }
      }
    })();
  }

  /** Every policy's counts for one UTC day ("YYYY-MM-DD"). */
  day(day: string): PolicyDay[] {
    this.flush();
    const policies = this.db
      .prepare('SELECT policy_domain, policy_type, policy_strings, mx_patterns, successes, failures FROM policies WHERE day = ? ORDER BY policy_domain, policy_type')
      .all(day) as { policy_domain: string; policy_type: string; policy_strings: string; mx_patterns: string; successes: number; failures: number }[];
    const failureRows = this.db
      .prepare('SELECT policy_domain, policy_type, policy_strings, result_type, sending_ip, receiving_mx, receiving_ip, detail, count FROM failures WHERE day = ? ORDER BY result_type, receiving_mx')
      .all(day) as { policy_domain: string; policy_type: string; policy_strings: string; result_type: string; sending_ip: string; receiving_mx: string; receiving_ip: string; detail: string; count: number }[];
    return policies.map((p) => ({
      policyDomain: p.policy_domain,
      policyType: p.policy_type === 'sts' || p.policy_type === 'tlsa' ? p.policy_type : 'no-policy-found',
      policyStrings: JSON.parse(p.policy_strings) as string[],
      mxPatterns: JSON.parse(p.mx_patterns) as string[],
      successes: p.successes,
      failures: p.failures,
      failureDetails: failureRows
        .filter((f) => f.policy_domain === p.policy_domain && f.policy_type === p.policy_type && f.policy_strings === p.policy_strings)
        .map((f) => ({
          resultType: f.result_type as TlsResultType,
          sendingIp: f.sending_ip === '' ? undefined : f.sending_ip,
          receivingMx: f.receiving_mx === '' ? undefined : f.receiving_mx,
          receivingIp: f.receiving_ip === '' ? undefined : f.receiving_ip,
          detail: f.detail,
          count: f.count,
        })),
    }));
  }

  /** Forget days before `day` (reports are built for the day before). */
  prune(beforeDay: string): void {
    this.db.prepare('DELETE FROM policies WHERE day < ?').run(beforeDay);
    this.db.prepare('DELETE FROM failures WHERE day < ?').run(beforeDay);
    this.db.prepare('DELETE FROM sent WHERE day < ?').run(beforeDay);
  }

  /** The day's report for `domain` went out (so a restart does not send it twice). */
  markSent(day: string, domain: string): void {
    this.db.prepare('INSERT OR REPLACE INTO sent (day, policy_domain, sent_at) VALUES (?, ?, ?)').run(day, domain, this.now());
  }

  wasSent(day: string, domain: string): boolean {
    return this.db.prepare('SELECT 1 FROM sent WHERE day = ? AND policy_domain = ?').get(day, domain) !== undefined;
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
    this.db.close();
  }
}
