// The queue gauges on the embedded store: the message count kept by triggers
// (queue-schema.ts) follows enqueues, deliveries and removals, including on
// a queue written before the count existed, which is counted once on open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { openSqliteQueueStore } from '../queue/sqlite-queue-store.js';
import { openQueueGauges } from './queue-gauges.js';

const silent = pino({ level: 'silent' });

async function enqueue(dataDir: string, ids: readonly string[], createdAtMs: number): Promise<void> {
  const store = await openSqliteQueueStore({ dataDir, logger: silent });
  try {
    await Promise.all(
      ids.map((id, i) =>
        store.enqueue({ id, envelope: { mailFrom: 'a@origin.test', rcptTo: [`r${i}@dest.test`, `s${i}@dest.test`] }, message: Buffer.from('Subject: x\r\n\r\nbody\r\n'), firstRetryAtMs: createdAtMs + 86_400_000, createdAtMs: createdAtMs + i }),
      ),
    );
  } finally {
    await store.close();
  }
}

test('the gauges count enqueues, deliveries and removals, and see the oldest message', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hikyaku-gauges-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const t0 = Date.now() - 60_000;
  await enqueue(dataDir, ['Q0001', 'Q0002', 'Q0003', 'Q0004', 'Q0005'], t0);
  const store = await openSqliteQueueStore({ dataDir, logger: silent });
  const gauges = openQueueGauges(dataDir);
  t.after(async () => {
    gauges.close();
    await store.close();
  });
  assert.deepEqual(gauges.stats(), { messages: 5, oldestCreatedAtMs: t0 });
  assert.equal(await store.remove('Q0001'), true);
  assert.deepEqual(gauges.stats(), { messages: 4, oldestCreatedAtMs: t0 + 1 });
  // One recipient delivered: the message stays; both: it leaves the queue.
  const done = (rcptTo: string) => ({ rcptTo, status: 'delivered' as const, attempts: 1, nextAttemptAtMs: 0, lastError: undefined, lastStatus: '2.0.0' });
  await store.updateRecipients('Q0003', [done('r2@dest.test')]);
  assert.equal(gauges.stats().messages, 4);
  await store.updateRecipients('Q0003', [done('s2@dest.test')]);
  assert.equal(gauges.stats().messages, 3);
  // A duplicate id is refused and counts nothing.
  await assert.rejects(store.enqueue({ id: 'Q0002', envelope: { mailFrom: '', rcptTo: ['x@dest.test'] }, message: Buffer.from('x\r\n'), firstRetryAtMs: t0 }));
  assert.equal(gauges.stats().messages, 3);
});

test('a queue from before the count is counted once when its store opens, then kept', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hikyaku-gauges-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  await enqueue(dataDir, ['Q0001', 'Q0002', 'Q0003'], Date.now());
  // As an older version left it: no count table, no triggers.
  const db = new Database(join(dataDir, 'queue', 'queue.db'));
  db.exec('DROP TRIGGER queue_counts_insert; DROP TRIGGER queue_counts_delete; DROP TABLE queue_counts');
  db.close();
  await enqueue(dataDir, ['Q0004'], Date.now());
  const gauges = openQueueGauges(dataDir);
  t.after(() => gauges.close());
  assert.equal(gauges.stats().messages, 4);
});
