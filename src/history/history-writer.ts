// The history's writer thread: owns the only write connection to history.db
// in this process and commits the records the main thread gathered (one
// transaction per batch, storage/commit-gathered.ts). On the main thread the
// same writes cost ~30-40 µs per message (statements, header parsing,
// commit; measured with the shared bench's 4 KiB scenario, main-thread CPU
// per message 10,000 messages at a time), on the thread that also answers
// every SMTP command; here the main thread only hands over plain records.
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { openPrivateDatabase } from '../storage/private-database.js';
import { commitGathered } from '../storage/commit-gathered.js';
import { HISTORY_SCHEMA } from './history-schema.js';
import { HistoryWrites } from './history-writes.js';
import { SLOT_DEAD, SLOT_DONE, SLOT_PARKED, type FromHistoryWriter, type HistoryWriterData, type ToHistoryWriter } from './history-writer-protocol.js';

const port = parentPort;
if (!port) throw new Error('history-writer must run as a worker thread');
const data = workerData as HistoryWriterData;
const slots = new Int32Array(data.shared);

function report(err: unknown): void {
  const code = (err as { code?: unknown } | null)?.code;
  const message: FromHistoryWriter = { type: 'error', message: err instanceof Error ? err.message : String(err), code: typeof code === 'string' ? code : undefined };
  port!.postMessage(message);
}

function done(seq: number): void {
  Atomics.store(slots, SLOT_DONE, seq);
  Atomics.notify(slots, SLOT_DONE);
}

let db: Database.Database;
let writes: HistoryWrites;
try {
  db = openPrivateDatabase(data.dataDir, 'history.db', (d) => d.exec(HISTORY_SCHEMA)).db;
  writes = new HistoryWrites(db, data.waitForAcceptance);
} catch (err) {
  report(err);
  Atomics.store(slots, SLOT_DEAD, 1);
  Atomics.notify(slots, SLOT_DONE);
  process.exit(1);
}

port.on('message', (message: ToHistoryWriter) => {
  switch (message.type) {
    case 'batch':
      commitGathered(db, message.records.map((r) => () => writes.apply(r)), report);
      Atomics.store(slots, SLOT_PARKED, writes.parkedCount);
      break;
    case 'prune': {
      let count: number | undefined;
      try {
        count = writes.prune(message.beforeMs, message.batch);
      } catch (err) {
        report(err);
      }
      const answer: FromHistoryWriter = { type: 'pruned', seq: message.seq, count };
      port.postMessage(answer);
      break;
    }
    case 'close':
      db.close();
      done(message.seq);
      port.close();
      return;
  }
  done(message.seq);
});
