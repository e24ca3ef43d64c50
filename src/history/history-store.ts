// <dataDir>/history.db (SQLite through storage/private-database.ts: WAL,
// synchronous=NORMAL): every message whatever the way in (SMTP, API,
// sendmail, our own DSNs), every delivery attempt, and the current state, so
// that a console or `hikyaku history` can answer "what happened to my mail"
// after the queue has forgotten it.
//
// On the accept path a write is only a plain record pushed on a list. The
// list goes to the history's writer thread every FLUSH_DELAY_MS and is
// committed there in ONE transaction (history-writer.ts): every message
// passes here twice (accepted, attempted), and measured on 10,000 messages
// one commit per message cost ~250 µs of main thread, per 5 messages ~90 µs,
// per 50-200 ~40-70 µs, and the rows themselves (statements, Subject
// decoding) still ~30-40 µs per message on the main thread, which is why
// they are written on a thread of their own. Reads commit first (a
// synchronous flush), so this process always sees everything; another
// process (the CLI) sees it at most FLUSH_DELAY_MS late. synchronous=NORMAL:
// a power cut may lose the last commits of the history, never mail (the
// queue fsyncs its own).
//
// Reads (history-queries.ts) run on this thread's own connection. A CLI
// process opens the same file while the server runs (WAL lets it read while
// the server writes).
import type Database from 'better-sqlite3';
import { openPrivateDatabase } from '../storage/private-database.js';
import { keptHeader } from './header-summary.js';
import { HistoryQueries } from './history-queries.js';
import { HISTORY_SCHEMA } from './history-schema.js';
import { HistoryWriterClient } from './history-writer-client.js';
import type {
  FailingDestination,
  HistoryAttempt,
  HistoryMessage,
  HistoryPage,
  HistoryQuery,
  HistoryReader,
  HistorySeriesPoint,
  HistorySummary,
} from './history-types.js';

export { DEFERRED_RECIPIENTS, hourOf, PARK_MAX_MESSAGES, PARK_MAX_MS } from './history-writes.js';

/** How long writes are gathered before one commit (see the header). */
export const FLUSH_DELAY_MS = 100;
/** Rows per prune transaction: each holds the write lock for a few milliseconds only. */
export const PRUNE_BATCH = 500;

export interface AcceptedForHistory {
  readonly id: string;
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  /** The message as stored, or its header block only (only the header block is kept). */
  readonly message: Buffer;
  /** The whole message's size when `message` holds the header only (an event from another node). */
  readonly size?: number;
  /** smtp | api | sendmail | dsn */
  readonly source: string;
  readonly user: string | undefined;
  readonly held: boolean;
  readonly atMs: number;
}

export interface HistoryStoreOptions {
  /** A gathered write that could not be committed (logged by the caller; the mail is queued all the same). */
  readonly onError?: (err: unknown) => void;
  /**
   * Several nodes share one queue (src/cluster/shared-history.ts): a node may
   * hear of a message's attempts before its acceptance (another node accepted
   * it and has not published yet). Such writes wait, in memory, for the
   * acceptance instead of being dropped; see PARK_MAX_MS.
   */
  readonly waitForAcceptance?: boolean;
}

export class HistoryStore implements HistoryReader {
  readonly #db: Database.Database;
  readonly #syncPoint: Database.Statement;
  readonly #queries: HistoryQueries;
  readonly #writer: HistoryWriterClient;

  private constructor(db: Database.Database, writer: HistoryWriterClient) {
    this.#db = db;
    this.#writer = writer;
    this.#queries = new HistoryQueries(db, () => this.flush());
    this.#syncPoint = db.prepare('SELECT value FROM cluster_sync WHERE name = ?');
  }

  static open(dataDir: string, options: HistoryStoreOptions = {}): HistoryStore {
    const { db } = openPrivateDatabase(dataDir, 'history.db', (d) => d.exec(HISTORY_SCHEMA));
    const writer = new HistoryWriterClient({
      dataDir,
      waitForAcceptance: options.waitForAcceptance === true,
      delayMs: FLUSH_DELAY_MS,
      onError: options.onError ?? (() => {}),
    });
    return new HistoryStore(db, writer);
  }

  // ---- writes: gathered, committed by the writer thread

  /** A message just stored in the queue (every way in passes intake, which calls this). */
  recordAccepted(m: AcceptedForHistory): void {
    this.#writer.add({
      kind: 'accepted',
      id: m.id,
      mailFrom: m.mailFrom,
      rcptTo: m.rcptTo,
      // Only the header block crosses, as text (a copy the size of the header, not of the message).
      header: keptHeader(m.message).toString('latin1'),
      size: m.size ?? m.message.length,
      source: m.source,
      user: m.user,
      held: m.held,
      atMs: m.atMs,
    });
  }

  /**
   * Delivery attempts of one message (or verdicts: expired). `nextAttemptAtMs`
   * for deferred recipients when the caller knows it.
   */
  recordAttempts(id: string, attempts: readonly HistoryAttempt[], nextAttemptAtMs?: number): void {
    if (attempts.length === 0) return;
    this.#writer.add({ kind: 'attempts', id, attempts, nextAttemptAtMs });
  }

  /**
   * A final verdict the scheduler gives after the attempt (bounced, expired):
   * recorded only when it changes the recipient's state, so a bounce already
   * recorded as the attempt's outcome is not counted twice.
   */
  recordVerdicts(id: string, verdicts: readonly HistoryAttempt[]): void {
    if (verdicts.length === 0) return;
    this.#writer.add({ kind: 'verdicts', id, verdicts });
  }

  /** `hikyaku queue hold/release/delete` (or the server) changed a message's place in the queue. */
  recordQueueChange(id: string, change: 'held' | 'released' | 'deleted', atMs = Date.now()): void {
    this.#writer.add({ kind: 'change', id, change, atMs });
  }

  /**
   * Where this node's reading of the other nodes' history stands: committed in
   * the same transaction as the writes read up to it, so a crash never
   * applies an event twice nor skips one.
   */
  saveSyncPoint(name: string, value: string): void {
    this.#writer.add({ kind: 'syncPoint', name, value });
  }

  syncPoint(name: string): string | undefined {
    this.flush();
    return (this.#syncPoint.get(name) as { value: string } | undefined)?.value;
  }

  /** Messages whose writes wait for their acceptance (waitForAcceptance only). */
  get waitingForAcceptance(): number {
    return this.#writer.parked;
  }

  /** Commits the gathered writes now (reads and close() do it first; otherwise every FLUSH_DELAY_MS). */
  flush(): void {
    this.#writer.flush();
  }

  /**
   * Deletes up to `batch` messages accepted before `beforeMs` (and counters
   * older than that) in one short transaction; returns how many messages.
   * The server calls it again while it returns `batch`. Done by the writer
   * thread: the main thread does not wait for it.
   */
  pruneBatch(beforeMs: number, batch = PRUNE_BATCH): Promise<number> {
    return this.#writer.prune(beforeMs, batch);
  }

  close(): void {
    this.#writer.close();
    this.#db.close();
  }

  // ---- reads (HistoryReader)

  message(id: string): HistoryMessage | undefined {
    return this.#queries.message(id);
  }

  search(q: HistoryQuery): HistoryPage {
    return this.#queries.search(q);
  }

  series(sinceMs: number, bucketMs: number): HistorySeriesPoint[] {
    return this.#queries.series(sinceMs, bucketMs);
  }

  topFailingDestinations(sinceMs: number, limit: number): FailingDestination[] {
    return this.#queries.topFailingDestinations(sinceMs, limit);
  }

  recentForAddress(address: string, limit: number): HistorySummary[] {
    return this.#queries.recentForAddress(address, limit);
  }
}
