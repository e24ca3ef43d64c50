// Micro-benchmark of the queue's write path alone (src/queue: WriterClient,
// the writer worker, SQLite): S concurrent enqueues of SIZE bytes at a time,
// each message then removed as delivery does once it is delivered, N in all.
// Prints messages per second and the bytes this process wrote to the disk
// per message (/proc/self/io write_bytes: WAL, checkpoints, database), which
// does not depend on how loaded the shared machine is.
//
//   node dist/bench/queue-write-micro.js [messages=2000] [size=102400] [concurrency=20]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { newQueueId } from '../src/core/queue-id.js';
import { openSqliteQueueStore } from '../src/queue/sqlite-queue-store.js';

const messages = Number(process.argv[2] ?? 2000);
const size = Number(process.argv[3] ?? 102_400);
const concurrency = Number(process.argv[4] ?? 20);

function writeBytes(): number {
  const m = /^write_bytes: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  return Number(m?.[1] ?? 0);
}

const dataDir = mkdtempSync(join(tmpdir(), 'hikyaku-qbench-'));
const store = await openSqliteQueueStore({ dataDir, logger: pino({ level: 'silent' }) });
const body = Buffer.alloc(size, 'Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n');
const bytesBefore = writeBytes();
const started = process.hrtime.bigint();
let done = 0;
async function lane(): Promise<void> {
  while (done < messages) {
    done++;
    const id = newQueueId();
    await store.enqueue({ id, envelope: { mailFrom: 'a@example.com', rcptTo: ['b@example.net'] }, message: body, firstRetryAtMs: Date.now() + 60_000 });
    await store.updateRecipients(id, [{ rcptTo: 'b@example.net', status: 'delivered', attempts: 1, nextAttemptAtMs: Date.now(), lastError: undefined, lastStatus: undefined }]);
  }
}
await Promise.all(Array.from({ length: concurrency }, lane));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const written = writeBytes() - bytesBefore;
await store.close();
rmSync(dataDir, { recursive: true, force: true });
console.log(
  `${messages} × ${size} B, ${concurrency} at a time: ${(messages / seconds).toFixed(0)} msg/s, ` +
    `${(written / messages / 1024).toFixed(1)} KiB written per message (${(written / messages / size).toFixed(2)}× the body), ${store.commitCount} commits`,
);
