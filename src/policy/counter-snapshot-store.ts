// Saves the in-memory policy counters (quotas, the brake's history) to
// <dataDir>/counters.db so that a restart does not hand every account a
// fresh quota. Nothing is written per message: the counters flag the keys
// they change, and every `flushIntervalMs` (default 5 s) this store writes
// those keys, if any, in one SQLite transaction, and once more on close().
//
// What a crash costs: the counts made since the last flush, at most one
// interval (5 s of mail by default; a power loss may also take the last
// committed flush, as synchronous=NORMAL does not fsync each commit).
// Counting a little low after a crash is the accepted price of keeping the
// disk out of the message path.
//
// The write is synchronous on the main thread, changed keys only. Measured
// (bench/policy-counters-bench.ts): about 90 µs per changed sender (quota
// rows for user, app and domain plus the brake's row), so ~9 ms for 100
// senders active in an interval but ~90 ms for 1,000. Moving the write to
// a worker thread (as queue/queue-writer.ts does) and a smaller row format
// are the next step if many senders are active at once.
import type Database from 'better-sqlite3';
import { openPrivateDatabase } from '../storage/private-database.js';
import type { SnapshotSource } from './snapshot-source.js';

export interface CounterSnapshotOptions {
  /** How often changed counters are written. Default 5000 ms. */
  readonly flushIntervalMs?: number;
  /** How long a write waits for another process holding the file's lock before it fails. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /** The clock; tests may pass their own. Default Date.now. */
  readonly now?: () => number;
  /** A failed background write (disk full…). The next flush rewrites everything. Default: a process warning. */
  readonly onError?: (err: unknown) => void;
  /**
   * Load only, never write (the CLI's `user show` beside a running server,
   * whose next flush would overwrite anything written here).
   */
  readonly readOnly?: boolean;
}

/** What was loaded for one counter at open. */
export interface SnapshotLoadResult {
  readonly name: string;
  readonly restored: number;
  /** Rows that were not valid state; removed. */
  readonly invalid: number;
  /** The counter's settings (windows, buckets) differ from those saved: its saved state was dropped. */
  readonly settingsChanged: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS counter_settings (
  source   TEXT PRIMARY KEY,  -- SnapshotSource.snapshotName
  settings TEXT NOT NULL      -- SnapshotSource.snapshotSettings when the rows were written
) STRICT;
CREATE TABLE IF NOT EXISTS counter_state (
  source TEXT NOT NULL,
  key    TEXT NOT NULL,
  state  BLOB NOT NULL,       -- the counter's own saved form of one key
  PRIMARY KEY (source, key)
) STRICT, WITHOUT ROWID;
`;

export class CounterSnapshotStore {
  readonly loaded: readonly SnapshotLoadResult[];
  private readonly db: Database.Database;
  private readonly sources: readonly SnapshotSource[];
  private readonly now: () => number;
  private readonly onError: (err: unknown) => void;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly readOnly: boolean;
  private readonly statements;
  /** After a failed write the changes taken are lost from memory's "dirty" list: write everything next time. */
  private rewriteAll = false;
  private closed = false;

  private constructor(db: Database.Database, sources: readonly SnapshotSource[], options: CounterSnapshotOptions) {
    this.db = db;
    this.sources = sources;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? ((err) => process.emitWarning(`counters.db: background write failed: ${String(err)}`));
    this.statements = {
      settings: db.prepare<[string], { settings: string }>('SELECT settings FROM counter_settings WHERE source = ?'),
      saveSettings: db.prepare('INSERT OR REPLACE INTO counter_settings (source, settings) VALUES (?, ?)'),
      rows: db.prepare<[string], { key: string; state: Uint8Array }>('SELECT key, state FROM counter_state WHERE source = ?'),
      upsert: db.prepare('INSERT OR REPLACE INTO counter_state (source, key, state) VALUES (?, ?, ?)'),
      remove: db.prepare('DELETE FROM counter_state WHERE source = ? AND key = ?'),
      removeAll: db.prepare('DELETE FROM counter_state WHERE source = ?'),
    };
    this.readOnly = options.readOnly === true;
    this.loaded = this.readOnly ? sources.map((source) => this.load(source)) : db.transaction(() => sources.map((source) => this.load(source)))();
    const flushIntervalMs = options.flushIntervalMs ?? 5000;
    if (!(flushIntervalMs > 0)) throw new RangeError(`flushIntervalMs must be positive, not ${flushIntervalMs}`);
    if (!this.readOnly) {
      this.timer = setInterval(() => this.backgroundFlush(), flushIntervalMs);
      this.timer.unref(); // the counters never keep the process alive
    }
  }

  /** Open (creating if needed) <dataDir>/counters.db, readable by its owner only, and load each source's saved state. */
  static open(dataDir: string, sources: readonly SnapshotSource[], options: CounterSnapshotOptions = {}): CounterSnapshotStore {
    const names = new Set(sources.map((s) => s.snapshotName));
    if (names.size !== sources.length) throw new Error('CounterSnapshotStore: two sources share a snapshotName');
    const { db } = openPrivateDatabase(dataDir, 'counters.db', (opened) => opened.exec(SCHEMA), {
      ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
    });
    try {
      return new CounterSnapshotStore(db, sources, options);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Writes what changed since the last flush; returns the number of rows written or removed. */
  flush(): number {
    if (this.closed || this.readOnly) return 0;
    const nowMs = this.now();
    const all = this.rewriteAll;
    const changes = this.sources.map((source) => ({ source, changes: source.takeChanges(nowMs, all) }));
    this.rewriteAll = true; // until the transaction below has committed
    let rows = 0;
    this.db.transaction(() => {
      for (const { source, changes: list } of changes) {
        const name = source.snapshotName;
        if (all) this.statements.removeAll.run(name);
        for (const { key, state } of list) {
          if (state === null) this.statements.remove.run(name, key);
          else this.statements.upsert.run(name, key, state);
        }
        rows += list.length;
      }
    })();
    this.rewriteAll = false;
    return rows;
  }

  /** A last flush, then the file is closed. */
  close(): void {
    if (this.closed) return;
    clearInterval(this.timer);
    try {
      this.flush();
    } finally {
      this.closed = true;
      this.db.close();
    }
  }

  private backgroundFlush(): void {
    try {
      this.flush();
    } catch (err) {
      this.onError(err);
    }
  }

  private load(source: SnapshotSource): SnapshotLoadResult {
    const name = source.snapshotName;
    const saved = this.statements.settings.get(name);
    const settingsChanged = saved !== undefined && saved.settings !== source.snapshotSettings;
    let restored = 0;
    let invalid = 0;
    if (settingsChanged) {
      if (!this.readOnly) this.statements.removeAll.run(name);
    } else {
      const nowMs = this.now();
      for (const row of this.statements.rows.all(name)) {
        // Never trust the file: a row that is not the counter's shape is skipped, not fatal.
        if (row.state instanceof Uint8Array && source.restoreEntry(row.key, row.state, nowMs)) restored++;
        else {
          invalid++;
          if (!this.readOnly) this.statements.remove.run(name, row.key);
        }
      }
    }
    if (!this.readOnly) this.statements.saveSettings.run(name, source.snapshotSettings);
    return { name, restored, invalid, settingsChanged };
  }
}
