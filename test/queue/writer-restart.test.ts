// The queue's writer thread dies (terminate(), an uncaught exception before or
// after COMMIT, at start-up): it is restarted, every enqueue that resolved is
// stored exactly once, every one that failed is not stored and failed with an
// error the SMTP side turns into 451, and a writer that cannot start does not
// spin. Faults come from terminate() and HIKYAKU_TEST_WRITER_FAULT, which the
// worker reads when it starts (each test sets it before it makes one start).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { newQueueId } from '../../src/core/queue-id.js';
import { openSqliteQueueStore, QueueWriteError, type SqliteQueueStore } from '../../src/queue/sqlite-queue-store.js';
import { terminateQueueWritersForTests } from '../../src/queue/writer-client.js';
import type { NewMessage } from '../../src/queue/queue-store.js';

type Log = Record<string, unknown>;

async function openStore(t: { after(fn: () => unknown): void }, fault?: string): Promise<{ store: SqliteQueueStore; logs: Log[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hikyaku-writer-'));
  const logs: Log[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Log) });
  if (fault === undefined) delete process.env['HIKYAKU_TEST_WRITER_FAULT'];
  else process.env['HIKYAKU_TEST_WRITER_FAULT'] = fault;
  const store = await openSqliteQueueStore({ dataDir, logger });
  t.after(async () => {
    delete process.env['HIKYAKU_TEST_WRITER_FAULT'];
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { store, logs };
}

function message(i: number): NewMessage {
  const id = newQueueId();
  return {
    id,
    envelope: { mailFrom: 'app@example.com', rcptTo: [`user${i}@example.net`] },
    message: Buffer.from(`Subject: ${id}\r\n\r\n${'x'.repeat(i * 97)}\r\n`),
    firstRetryAtMs: Date.now() + 60_000,
  };
}

/** Every resolved enqueue is stored once with its body; every failed one is not stored. */
async function checkStored(store: SqliteQueueStore, resolved: readonly NewMessage[], failed: readonly NewMessage[]): Promise<void> {
  const ids = (await store.list()).map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const m of resolved) {
    assert.ok(ids.includes(m.id), `${m.id} resolved but is not stored`);
    assert.deepEqual(await store.readMessage(m.id), m.message);
  }
  for (const m of failed) assert.ok(!ids.includes(m.id), `${m.id} failed but is stored`);
}

async function enqueueAll(store: SqliteQueueStore, messages: readonly NewMessage[]): Promise<{ resolved: NewMessage[]; failed: { m: NewMessage; err: unknown }[] }> {
  const settled = await Promise.allSettled(messages.map((m) => store.enqueue(m)));
  const resolved: NewMessage[] = [];
  const failed: { m: NewMessage; err: unknown }[] = [];
  settled.forEach((s, i) => (s.status === 'fulfilled' ? resolved.push(messages[i]!) : failed.push({ m: messages[i]!, err: s.reason })));
  return { resolved, failed };
}

test('terminate() during a burst of enqueues: restarted, nothing resolved is lost, nothing stored twice', async (t) => {
  const { store, logs } = await openStore(t);
  const all: NewMessage[] = [];
  const results: Promise<{ resolved: NewMessage[]; failed: { m: NewMessage; err: unknown }[] }>[] = [];
  for (let wave = 0; wave < 20; wave++) {
    const batch = Array.from({ length: 10 }, (_, i) => message(wave * 10 + i));
    all.push(...batch);
    results.push(enqueueAll(store, batch));
    if (wave === 5) assert.equal(await terminateQueueWritersForTests(), 1);
    if (wave === 12) {
      while (store.writerRestarts === 0) await new Promise((r) => setTimeout(r, 5));
      assert.equal(await terminateQueueWritersForTests(), 1);
    }
    await new Promise((r) => setImmediate(r));
  }
  const done = await Promise.all(results);
  const resolved = done.flatMap((d) => d.resolved);
  const failed = done.flatMap((d) => d.failed);
  for (const f of failed) {
    assert.ok(f.err instanceof QueueWriteError && f.err.reported && !f.err.storageFull, String(f.err));
  }
  assert.equal(resolved.length + failed.length, all.length);
  await checkStored(store, resolved, failed.map((f) => f.m));
  assert.equal(store.writerRestarts, 2);
  assert.equal(logs.filter((l) => l['event'] === 'queue-writer-died').length, 2);
  assert.equal(logs.filter((l) => l['event'] === 'queue-writer-restarted').length, 2);
  // And it goes on working.
  const after = message(999);
  await store.enqueue(after);
  assert.ok(await store.load(after.id));
});

test('the writer dies after COMMIT, before saying so: the enqueues it committed resolve, none is stored twice', async (t) => {
  // Every third batch of each worker commits, then the worker dies.
  const { store } = await openStore(t, 'after-commit:3');
  const resolved: NewMessage[] = [];
  for (let i = 0; i < 30; i++) {
    const m = message(i);
    await store.enqueue(m); // one batch each: every one must resolve
    resolved.push(m);
  }
  // Concurrent ones too (batches of several).
  const { resolved: more, failed } = await enqueueAll(store, Array.from({ length: 40 }, (_, i) => message(i)));
  assert.deepEqual(failed, []);
  await checkStored(store, [...resolved, ...more], []);
  assert.ok(store.writerRestarts >= 10, `restarts: ${store.writerRestarts}`);
  // Operations other than enqueue are sent again: doing them twice leaves the same rows.
  assert.equal(await store.hold(resolved[0]!.id), true);
  assert.equal(await store.hold(resolved[1]!.id), true);
  assert.equal(await store.hold(resolved[2]!.id), true);
  assert.equal((await store.load(resolved[2]!.id))?.held, true);
});

test('the writer dies before COMMIT: the batch is sent again and commits once', async (t) => {
  const { store } = await openStore(t, 'before-commit:2');
  const resolved: NewMessage[] = [];
  for (let i = 0; i < 20; i++) {
    const m = message(i);
    await store.enqueue(m);
    resolved.push(m);
  }
  await checkStored(store, resolved, []);
  assert.ok(store.writerRestarts >= 9, `restarts: ${store.writerRestarts}`);
});

test('an operation that kills the writer twice fails with a reported error and is not stored; the writer backs off', async (t) => {
  // Every worker dies at its first batch, before COMMIT.
  const { store, logs } = await openStore(t, 'before-commit:1');
  const m = message(1);
  const err = await store.enqueue(m).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof QueueWriteError, String(err));
  assert.equal(err.code, 'WRITER_DIED');
  assert.ok(err.reported);
  // The back-off: restarts with no commit in between wait 0, 100, 200, 400 … ms.
  delete process.env['HIKYAKU_TEST_WRITER_FAULT'];
  await checkStored(store, [], [m]);
  const later = message(2);
  await store.enqueue(later);
  await checkStored(store, [later], [m]);
  assert.equal(logs.filter((l) => l['event'] === 'queue-writer-died').length, 2, 'one line per death, not per message');
});

test('a writer that cannot start: writes fail at once, restarts back off, and it comes back by itself', async (t) => {
  const { store, logs } = await openStore(t);
  process.env['HIKYAKU_TEST_WRITER_FAULT'] = 'open';
  await terminateQueueWritersForTests();
  // The first restart is at once and fails; until one succeeds writes are refused without waiting.
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  const err = await store.enqueue(message(1)).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(Date.now() - started < 200, 'refused at once, not after the back-off');
  assert.ok(err instanceof QueueWriteError && err.reported, String(err));
  await new Promise((r) => setTimeout(r, 2_000));
  const attempts = logs.filter((l) => l['msg'] === 'queue writer could not be restarted; trying again').length;
  // 0, 100, 200, 400, 800 ms (then 1.6 s): a handful in 2.3 s, not a spin.
  assert.ok(attempts >= 3 && attempts <= 7, `attempts: ${attempts}`);
  delete process.env['HIKYAKU_TEST_WRITER_FAULT'];
  const m = message(2);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await store.enqueue(m);
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await checkStored(store, [m], []);
  assert.equal(logs.filter((l) => l['event'] === 'queue-writer-died').length, 1, 'one episode, one line');
  assert.equal(logs.filter((l) => l['event'] === 'queue-writer-restarted').length, 1);
});
