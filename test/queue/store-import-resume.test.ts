// `store import` writes a message, then its recipients' state (which are
// delivered already). The message is held meanwhile (IMPORTING), so nothing
// delivers it in between, and an import cut short between the two writes is
// finished by the next run instead of leaving delivered recipients queued
// (they would have been delivered a second time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { tempDir } from '../helpers/hikyaku.js';
import { openSqliteQueueStore } from '../../src/queue/sqlite-queue-store.js';
import { importMessage, IMPORTING, type ExportedMessage } from '../../src/queue/queue-export.js';
import { newQueueId } from '../../src/core/queue-id.js';

function exported(overrides: Partial<ExportedMessage> = {}): ExportedMessage {
  const now = Date.now();
  return {
    id: newQueueId(),
    mailFrom: 'app@origin.test',
    createdAtMs: now - 60_000,
    held: false,
    delayNotified: false,
    eightBit: false,
    recipients: [
      { rcptTo: 'done@dest.test', status: 'delivered', attempts: 1, nextAttemptAtMs: now - 30_000 },
      { rcptTo: 'later@dest.test', status: 'queued', attempts: 1, nextAttemptAtMs: now - 1_000, lastError: '451 4.3.0 later', lastStatus: '4.3.0' },
    ],
    body: Buffer.from('Subject: x\r\n\r\nbody\r\n').toString('base64'),
    ...overrides,
  };
}

test('an import cut short after the message and before its recipients is finished by the next run; nothing delivers it meanwhile', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openSqliteQueueStore({ dataDir: dir, logger: pino({ level: 'silent' }) });
  t.after(() => store.close());
  const m = exported();
  // The first write of an import, and then the process died.
  await store.enqueue({
    id: m.id,
    envelope: { mailFrom: m.mailFrom, rcptTo: m.recipients.map((r) => r.rcptTo) },
    message: Buffer.from(m.body, 'base64'),
    firstRetryAtMs: Date.now() - 30_000,
    holdReason: IMPORTING,
    createdAtMs: m.createdAtMs,
  });
  assert.ok(!(await store.dueMessageIds(Date.now(), 100)).includes(m.id), 'held: not due while its recipients are not written');

  assert.equal(await importMessage(store, m), 'imported', 'the next run finishes it');
  const after = await store.load(m.id);
  assert.equal(after?.held, false);
  assert.deepEqual(after?.recipients.map((r) => [r.rcptTo, r.status]), [['done@dest.test', 'delivered'], ['later@dest.test', 'queued']]);
  assert.ok((await store.dueMessageIds(Date.now(), 100)).includes(m.id));
  assert.equal(await importMessage(store, m), 'present');
});

test('imported held: by an admin stays held without a reason; with its own reason keeps it; the rest is due', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openSqliteQueueStore({ dataDir: dir, logger: pino({ level: 'silent' }) });
  t.after(() => store.close());
  const admin = exported({ held: true });
  const brake = exported({ held: true, holdReason: 'brake: taro@shop.test' });
  const plain = exported();
  for (const m of [admin, brake, plain]) assert.equal(await importMessage(store, m), 'imported');
  const [a, b, p] = await Promise.all([admin, brake, plain].map((m) => store.load(m.id)));
  assert.deepEqual([a?.held, a?.holdReason], [true, undefined]);
  assert.deepEqual([b?.held, b?.holdReason], [true, 'brake: taro@shop.test']);
  assert.equal(b?.recipients.find((r) => r.rcptTo === 'done@dest.test')?.status, 'delivered');
  assert.deepEqual([p?.held, p?.holdReason], [false, undefined]);
  for (const m of [admin, brake, plain]) assert.equal(await importMessage(store, m), 'present');
});
