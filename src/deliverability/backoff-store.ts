// Where the back-off state survives a restart: <dataDir>/deliverability.db,
// one row per (source address, provider group) that is slowed or suspended.
// Written only when a throttling or block-list reply changes a row (rare),
// read at start and by `hikyaku queue providers`.
import type Database from 'better-sqlite3';
import { openPrivateDatabase } from '../storage/private-database.js';
import type { BackoffRecord } from './backoff.js';
import type { WarmupRecord } from './warmup.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS backoff (
  source TEXT NOT NULL,
  grp TEXT NOT NULL,
  factor REAL NOT NULL,
  slowed_at_ms INTEGER NOT NULL,
  cool_until_ms INTEGER NOT NULL,
  suspended_until_ms INTEGER NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (source, grp)
)`;

// IP warm-up (warmup.ts): per (source, group) the day the ramp started and today's count.
const WARMUP_SCHEMA = `CREATE TABLE IF NOT EXISTS warmup (
  source TEXT NOT NULL,
  grp TEXT NOT NULL,
  started_at_ms INTEGER NOT NULL,
  day INTEGER NOT NULL,
  sent INTEGER NOT NULL,
  PRIMARY KEY (source, grp)
)`;

interface Row {
  source: string;
  grp: string;
  factor: number;
  slowed_at_ms: number;
  cool_until_ms: number;
  suspended_until_ms: number;
  reason: string;
}

export class BackoffStore {
  private constructor(
    private readonly db: Database.Database,
    private readonly statements: {
      put: Database.Statement;
      remove: Database.Statement;
      all: Database.Statement;
      putWarmup: Database.Statement;
      allWarmup: Database.Statement;
    },
  ) {}

  static open(dataDir: string): BackoffStore {
    const { db, prepared } = openPrivateDatabase(dataDir, 'deliverability.db', (d) => {
      d.exec(SCHEMA);
      d.exec(WARMUP_SCHEMA);
      return {
        putWarmup: d.prepare(
          `INSERT INTO warmup (source, grp, started_at_ms, day, sent) VALUES (@source, @group, @startedAtMs, @day, @sent)
           ON CONFLICT (source, grp) DO UPDATE SET day = excluded.day, sent = excluded.sent`,
        ),
        allWarmup: d.prepare('SELECT source, grp, started_at_ms, day, sent FROM warmup ORDER BY grp, source'),
        put: d.prepare(
          `INSERT INTO backoff (source, grp, factor, slowed_at_ms, cool_until_ms, suspended_until_ms, reason)
           VALUES (@source, @group, @factor, @slowedAtMs, @coolUntilMs, @suspendedUntilMs, @reason)
           ON CONFLICT (source, grp) DO UPDATE SET factor = excluded.factor, slowed_at_ms = excluded.slowed_at_ms,
             cool_until_ms = excluded.cool_until_ms, suspended_until_ms = excluded.suspended_until_ms, reason = excluded.reason`,
        ),
        remove: d.prepare('DELETE FROM backoff WHERE source = ? AND grp = ?'),
        all: d.prepare('SELECT * FROM backoff ORDER BY grp, source'),
      };
    });
    return new BackoffStore(db, prepared);
  }

  all(): BackoffRecord[] {
    return (this.statements.all.all() as Row[]).map((r) => ({
      source: r.source,
      group: r.grp,
      factor: r.factor,
      slowedAtMs: r.slowed_at_ms,
      coolUntilMs: r.cool_until_ms,
      suspendedUntilMs: r.suspended_until_ms,
      reason: r.reason,
    }));
  }

  put(rec: BackoffRecord): void {
    this.statements.put.run(rec);
  }

  remove(source: string, group: string): void {
    this.statements.remove.run(source, group);
  }

  allWarmup(): WarmupRecord[] {
    return (this.statements.allWarmup.all() as { source: string; grp: string; started_at_ms: number; day: number; sent: number }[]).map((r) => ({
      source: r.source,
      group: r.grp,
      startedAtMs: r.started_at_ms,
      day: r.day,
      sent: r.sent,
    }));
  }

  /** Several records in one transaction (the engine saves its counts every few seconds). */
  putWarmup(records: readonly WarmupRecord[]): void {
    this.db.transaction(() => {
      for (const r of records) this.statements.putWarmup.run({ source: r.source, group: r.group, startedAtMs: r.startedAtMs, day: r.day, sent: r.sent });
    })();
  }

  close(): void {
    this.db.close();
  }
}
