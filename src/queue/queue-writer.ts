// The queue's writer: a worker thread that owns the only write connection of
// this process. Each batch from the main thread becomes one transaction, so
// one WAL fsync (synchronous=FULL) covers every operation in it: group commit
// without blocking the main thread's event loop on disk I/O.
import { parentPort, workerData } from 'node:worker_threads';
import { openSync, fsyncSync, closeSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { configureWriter } from './queue-schema.js';
import { isDeliveryRecord, type FromWriter, type OpResult, type OutboxEvent, type ToWriter, type WriteOp, type WriterData } from './writer-protocol.js';

const port = parentPort;
if (!port) throw new Error('queue-writer must run as a worker thread');
const data = workerData as WriterData;

function send(message: FromWriter): void {
  port!.postMessage(message);
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

// Below this much free space, an I/O error of SQLite counts as a full disk:
// SQLite itself says SQLITE_FULL only when write() fails with ENOSPC, while a
// file system that allocates late can report it at fsync (SQLITE_IOERR_FSYNC).
const NEARLY_FULL_BYTES = 1024 * 1024;

function diskNearlyFull(): boolean {
  try {
    const fs = statfsSync(dirname(data.dbPath));
    return fs.bavail * fs.bsize < NEARLY_FULL_BYTES;
  } catch {
    return false;
  }
}

function failure(err: unknown): OpResult {
  let code = errorCode(err);
  if (code?.startsWith('SQLITE_IOERR') && diskNearlyFull()) code = 'SQLITE_FULL';
  return { ok: false, message: err instanceof Error ? err.message : String(err), code };
}

// Fault injection for tests only (test/queue/writer-restart.test.ts): an
// uncaught exception in this thread after the Nth batch has committed (the
// main thread never hears that it did), before its COMMIT (rolled back), or
// at start-up ("open").
const FAULT_SETTING = process.env['HIKYAKU_TEST_WRITER_FAULT'] ?? '';
if (FAULT_SETTING === 'open') throw new Error('injected fault at open (HIKYAKU_TEST_WRITER_FAULT)');
const FAULT = /^(after|before)-commit:(\d+)$/.exec(FAULT_SETTING);
let batchesUntilFault = FAULT ? Number(FAULT[2]) : -1;
class InjectedFault extends Error {}
function injectFault(when: 'before' | 'after'): void {
  if (!FAULT || FAULT[1] !== when || batchesUntilFault <= 0) return;
  if (--batchesUntilFault === 0) throw new InjectedFault(`injected fault ${when} commit (HIKYAKU_TEST_WRITER_FAULT)`);
}

function fsyncDirectory(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

let db: Database.Database;
try {
  db = new Database(data.dbPath);
  configureWriter(db, data.busyTimeoutMs);
  // Checkpoint every 16 MiB of WAL instead of SQLite's 4 MiB. A checkpoint
  // copies each page once, at its last version; messages are mostly deleted
  // soon after they are stored, so their pages are reused and rewritten many
  // times over between two checkpoints, and fewer checkpoints copy fewer
  // pages (and fsync the database less often). Measured with
  // bench/queue-write-micro.ts (100 KiB, 20 at a time, each then removed):
  // 157 → 118 KiB written to the disk per message, ~1.5× the messages per
  // second; 4 KiB unchanged within the noise. The WAL is still cut back to
  // journal_size_limit (64 MiB) after a checkpoint. (64 MiB of WAL: 108 KiB
  // per message in that micro-benchmark, but no gain in the shared bench.)
  db.pragma('wal_autocheckpoint = 4000');
  // A batch run again operation by operation after a failure (applyBatch)
  // puts each in a savepoint, whose journal holds the old content of the
  // pages it changes, a 100 KiB body's included: above 64 KiB SQLite spills
  // it to a temporary file (/var/tmp/etilqs_*), measured ~24 writes and
  // 31 KiB per 100 KiB message in the writer thread when every batch ran
  // that way. In memory it is a copy; it only lives until the transaction ends.
  db.pragma('temp_store = MEMORY');
  // The database file may just have been created: make its directory entry
  // durable too (SQLite itself syncs the directory only for the WAL file).
  fsyncDirectory(dirname(data.dbPath));
} catch (err) {
  const failed = failure(err);
  send({ type: 'openFailed', message: failed.ok ? '' : failed.message, code: failed.ok ? undefined : failed.code });
  process.exit(1);
}

const sql = {
  insertMessage: db.prepare(
    'INSERT INTO messages (id, mail_from, size, created_at, held, delay_notified, env_id, hold_reason, dsn_ret, smtputf8, eight_bit, requiretls) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)',
  ),
  insertBody: db.prepare('INSERT INTO bodies (message_id, body) VALUES (?, ?)'),
  // The first attempt is made from memory right after the enqueue; it is
  // recorded here already (attempts = 1), so a crash never repeats it at once.
  insertRecipient: db.prepare(
    `INSERT OR IGNORE INTO recipients (message_id, rcpt_to, domain, status, attempts, next_attempt_at, last_attempt_at, notify, orcpt)
     VALUES (?, ?, ?, 'queued', 1, ?, ?, ?, ?)`,
  ),
  updateRecipient: db.prepare(
    `UPDATE recipients SET status = ?, next_attempt_at = ?, last_error = ?, last_status = ?,
       last_attempt_at = CASE WHEN ? > attempts THEN ? ELSE last_attempt_at END, attempts = ?
     WHERE message_id = ? AND rcpt_to = ?`,
  ),
  setDelayNotified: db.prepare('UPDATE messages SET delay_notified = 1 WHERE id = ?'),
  // `+status` keeps the planner on the primary key (message_id, …): with the
  // (status, next_attempt_at) index it would walk every queued recipient of
  // the whole queue for each message (measured: 5 ms per call at 30k rows).
  countQueued: db.prepare("SELECT count(*) FROM recipients WHERE message_id = ? AND +status = 'queued'").pluck(),
  deleteRecipients: db.prepare('DELETE FROM recipients WHERE message_id = ?'),
  deleteMessage: db.prepare('DELETE FROM messages WHERE id = ?'),
  deleteBody: db.prepare('DELETE FROM bodies WHERE message_id = ?'),
  setHeld: db.prepare('UPDATE messages SET held = ?, hold_reason = NULL WHERE id = ?'),
  releaseHeld: db.prepare('UPDATE messages SET held = 0, hold_reason = NULL WHERE held = 1 AND hold_reason = ?'),
  countRetryOne: db.prepare("SELECT count(DISTINCT message_id) FROM recipients WHERE message_id = ? AND +status = 'queued'").pluck(),
  countRetryAll: db.prepare("SELECT count(DISTINCT message_id) FROM recipients WHERE status = 'queued'").pluck(),
  retryOne: db.prepare("UPDATE recipients SET next_attempt_at = ? WHERE message_id = ? AND +status = 'queued'"),
  retryAll: db.prepare("UPDATE recipients SET next_attempt_at = ? WHERE status = 'queued'"),
  // An event behind others of its message and endpoint is due no earlier than
  // they are (the outbox's due query reads by time: webhook_events_due), so it
  // takes the latest time among them when that is later than its own.
  insertEvent: db.prepare(
    `INSERT OR IGNORE INTO webhook_events (event_id, endpoint, message_id, payload, next_attempt_at)
     VALUES (?, ?, ?, ?, max(?, coalesce((SELECT max(w.next_attempt_at) FROM webhook_events w WHERE w.message_id = ? AND w.endpoint = ?), 0)))`,
  ),
  deleteEvent: db.prepare('DELETE FROM webhook_events WHERE seq = ?'),
  retryEvent: db.prepare('UPDATE webhook_events SET attempts = ?, next_attempt_at = ? WHERE seq = ?'),
  // The rows behind a retried one move along to its new time (they cannot go before it anyway).
  retryBehind: db.prepare(
    `UPDATE webhook_events SET next_attempt_at = ?
     WHERE (message_id, endpoint) = (SELECT message_id, endpoint FROM webhook_events WHERE seq = ?) AND seq > ? AND next_attempt_at < ?`,
  ),
  keepEndpoints: db.prepare('DELETE FROM webhook_events WHERE endpoint NOT IN (SELECT value FROM json_each(?))'),
};

function insertEvents(messageId: string, events: readonly OutboxEvent[] | undefined): void {
  if (events === undefined) return;
  for (const e of events) sql.insertEvent.run(e.eventId, e.endpoint, messageId, e.payload, e.nextAttemptAtMs, messageId, e.endpoint);
}

function removeMessage(id: string): boolean {
  sql.deleteRecipients.run(id);
  sql.deleteBody.run(id);
  return sql.deleteMessage.run(id).changes > 0;
}

function apply(op: WriteOp): boolean | number | null {
  switch (op.kind) {
    case 'enqueue': {
      const body = Buffer.from(op.body.buffer, op.body.byteOffset, op.body.byteLength);
      sql.insertMessage.run(op.id, op.mailFrom, body.length, op.createdAtMs, op.holdReason === null ? 0 : 1, op.envId, op.holdReason, op.ret, op.smtputf8 ? 1 : 0, op.eightBit ? 1 : 0, op.requireTls === true ? 1 : 0);
      sql.insertBody.run(op.id, body);
      for (const r of op.recipients) sql.insertRecipient.run(op.id, r.rcptTo, r.domain, op.firstRetryAtMs, op.createdAtMs, r.notify, r.orcpt);
      insertEvents(op.id, op.events);
      return null;
    }
    case 'updateRecipients': {
      for (const u of op.updates) {
        sql.updateRecipient.run(u.status, u.nextAttemptAtMs, u.lastError, u.lastStatus, u.attempts, op.nowMs, u.attempts, op.id, u.rcptTo);
      }
      if (op.delayNotified) sql.setDelayNotified.run(op.id);
      insertEvents(op.id, op.events);
      if (sql.countQueued.get(op.id) === 0) removeMessage(op.id);
      return null;
    }
    case 'hold':
    case 'release':
      return sql.setHeld.run(op.kind === 'hold' ? 1 : 0, op.id).changes > 0;
    case 'releaseHeld':
      return sql.releaseHeld.run(op.reason).changes;
    case 'retryNow': {
      if (op.id === null) {
        const n = sql.countRetryAll.get() as number;
        sql.retryAll.run(op.nowMs);
        return n;
      }
      const n = sql.countRetryOne.get(op.id) as number;
      sql.retryOne.run(op.nowMs, op.id);
      return n;
    }
    case 'remove':
      return removeMessage(op.id);
    case 'webhookDone':
      for (const seq of op.seqs) sql.deleteEvent.run(seq);
      return null;
    case 'webhookRetry':
      sql.retryEvent.run(op.attempts, op.nextAttemptAtMs, op.seq);
      sql.retryBehind.run(op.nextAttemptAtMs, op.seq, op.seq, op.nextAttemptAtMs);
      return null;
    case 'webhookKeepOnly':
      return sql.keepEndpoints.run(JSON.stringify(op.endpoints)).changes;
  }
}

// One bad operation (say, a duplicate id) must fail alone instead of taking
// the whole group down with it, so a failed operation's own writes must be
// undone and the others' kept. A savepoint around each operation does that,
// but makes SQLite keep a copy of every page the operation changes (a 100 KiB
// body's pages too) and costs four more statements per operation. So a batch
// first runs without them; only when one of its operations throws is the
// transaction rolled back and the batch run again, each operation in its own
// savepoint. The operations are plain SQL on the same database state, so the
// second run gives the others the same results as the first. (The side
// databases do the same with a transaction per write: commitGathered in
// storage/commit-gathered.ts. Here the batch must stay one commit, one fsync.)
function applyBatch(ops: readonly WriteOp[]): OpResult[] {
  const results: OpResult[] = [];
  try {
    for (const op of ops) results.push({ ok: true, value: apply(op) });
    return results;
  } catch {
    // (Some errors, a full disk among them, have already rolled it back.)
    if (db.inTransaction) db.exec('ROLLBACK');
    db.exec('BEGIN IMMEDIATE');
    return applyEachInSavepoint(ops);
  }
}

function applyEachInSavepoint(ops: readonly WriteOp[]): OpResult[] {
  return ops.map((op): OpResult => {
    db.exec('SAVEPOINT op');
    try {
      const value = apply(op);
      db.exec('RELEASE op');
      return { ok: true, value };
    } catch (err) {
      db.exec('ROLLBACK TO op');
      db.exec('RELEASE op');
      return failure(err);
    }
  });
}

// A batch that only records deliveries (the recipients' rows then go, and
// with the last one the message) is committed without its own fsync
// (synchronous=NORMAL): the next FULL commit fsyncs the WAL, and with it every
// frame before, and a crash of this process alone loses nothing once it is
// committed (the WAL is in the page cache; the main thread may hold such a
// record up to 5 ms before sending it, writer-client.ts, and a crash then
// loses it too). Only a power loss or kernel crash in between can undo
// such a commit, and then the message is delivered a second time: the window
// Postfix also has, whose queue manager unlinks a delivered file without an
// fsync. It halves the fsyncs per message, and an enqueue no longer waits
// behind the removal of the message before it: one serial session sends
// measurably faster (bench/RESULTS.md).
// A webhook row marked done is the same: lost only by a power loss, and then
// the event is sent again (receivers drop repeats by event id).
function onlyDeliveries(ops: readonly WriteOp[]): boolean {
  return ops.every(isDeliveryRecord);
}

let lazySync = false;
function setLazySync(lazy: boolean): void {
  if (lazy === lazySync) return;
  db.pragma(lazy ? 'synchronous = NORMAL' : 'synchronous = FULL');
  lazySync = lazy;
}

function runBatch(batchId: number, ops: readonly WriteOp[]): void {
  let results: OpResult[];
  try {
    setLazySync(onlyDeliveries(ops));
    // IMMEDIATE takes the write lock up front (waiting up to busy_timeout for
    // another process) instead of failing half-way on a lock upgrade.
    db.exec('BEGIN IMMEDIATE');
  } catch (err) {
    const failed = failure(err);
    send({ type: 'done', batchId, committed: false, results: ops.map(() => failed) });
    return;
  }
  try {
    results = applyBatch(ops);
    injectFault('before');
    db.exec('COMMIT'); // synchronous=FULL (unless lazySync): returns once the WAL is fsync'd
  } catch (err) {
    if (err instanceof InjectedFault) throw err; // dies with its transaction open
    // (A ROLLBACK that throws kills this thread too: the main thread restarts it.)
    if (db.inTransaction) db.exec('ROLLBACK');
    const failed = failure(err);
    send({ type: 'done', batchId, committed: false, results: ops.map(() => failed) });
    return;
  }
  injectFault('after');
  send({ type: 'done', batchId, committed: true, results });
}

port.on('message', (message: ToWriter) => {
  if (message.type === 'batch') {
    runBatch(message.batchId, message.ops);
  } else {
    db.close();
    send({ type: 'closed' });
    port.close();
  }
});

send({ type: 'ready' });
