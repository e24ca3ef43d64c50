// The webhook outbox in the queue database: rows go in with the queue change
// that causes them (and only then), first in line per message and endpoint,
// done / retry through the writer; the signature helper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { OUTBOX_DUE_SQL, openSqliteQueueStore } from '../../src/queue/sqlite-queue-store.js';
import { silentLogger } from '../../src/log/logger.js';
import { WebhookEvents, withWebhookEvents } from '../../src/webhooks/events.js';
import { signatureHeader, verifySignature } from '../../src/webhooks/signature.js';

const hook = { url: 'http://127.0.0.1:9/h', events: ['accepted', 'delivered', 'bounced'] as const, secret: '0123456789abcdef' };

test('events are written with the enqueue and the recipient update; one per message and endpoint is due at a time', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-outbox-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openSqliteQueueStore({ dataDir: dir, logger: silentLogger() });
  t.after(() => store.close());
  let wakes = 0;
  const events = new WebhookEvents([hook]);
  const queue = withWebhookEvents(store, events, () => wakes++);
  const message = Buffer.from('Subject: x\r\n\r\nx\r\n');
  await queue.enqueue({ id: 'M1', envelope: { mailFrom: 'a@shop.test', rcptTo: ['b@dest.test', 'c@dest.test'] }, message, firstRetryAtMs: Date.now() + 60_000 });
  await queue.enqueue({ id: 'N1', envelope: { mailFrom: '', rcptTo: ['a@shop.test'] }, message, firstRetryAtMs: Date.now() + 60_000 });
  assert.equal(store.webhookOutbox.count(), 2, 'two accepted events, none for the null sender');
  assert.equal(wakes, 1);

  // The update that records the attempt made before it: no events.
  const queued = { status: 'queued', attempts: 2, nextAttemptAtMs: Date.now() + 60_000, lastError: undefined, lastStatus: undefined } as const;
  await queue.updateRecipients('M1', [{ rcptTo: 'b@dest.test', ...queued }]);
  assert.equal(store.webhookOutbox.count(), 2);
  // The outcomes handed over by the deliver wrapper become events with the update that records them.
  const relay = { host: 'mx.dest.test', ip: '127.0.0.1', port: 25, tls: undefined };
  events.noteOutcomes('M1', 'a@shop.test', [
    { kind: 'delivered', rcptTo: 'b@dest.test', relay, remoteReply: { code: 250, enhanced: '2.0.0', text: 'ok' } },
    { kind: 'bounced', rcptTo: 'c@dest.test', relay, failure: { status: '5.1.1', stage: 'rcpt', remoteMta: 'mx.dest.test', remoteReply: { code: 550, enhanced: '5.1.1', text: 'no' }, detail: 'no' } },
  ]);
  await queue.updateRecipients('M1', [
    { rcptTo: 'b@dest.test', status: 'delivered', attempts: 2, nextAttemptAtMs: 0, lastError: undefined, lastStatus: undefined },
    { rcptTo: 'c@dest.test', status: 'bounced', attempts: 2, nextAttemptAtMs: 0, lastError: '550 no', lastStatus: '5.1.1' },
  ]);
  assert.equal(store.webhookOutbox.count(), 4);
  assert.equal(await store.load('M1'), undefined, 'the message is gone, its events are not');

  const outbox = store.webhookOutbox;
  const due = outbox.due(Date.now(), 10);
  assert.equal(due.length, 1, 'only the first event of the message is due');
  const first = JSON.parse(due[0]!.payload) as { type: string; recipient: string; id: string };
  assert.equal(first.type, 'accepted');
  assert.equal(first.id, due[0]!.eventId);
  const retryAtMs = Date.now() + 60_000;
  await outbox.retry(due[0]!.seq, 1, retryAtMs);
  assert.equal(outbox.due(Date.now(), 10).length, 0, 'a later event waits behind one waiting for its retry');
  assert.equal(outbox.nextDueAtMs(), retryAtMs, 'the next time to look');
  // A minute on: the first is due again, and once it is done the ones behind it follow (they moved to its time).
  const later = retryAtMs + 1;
  const [again] = outbox.due(later, 10);
  assert.equal(again?.seq, due[0]!.seq);
  await outbox.done([due[0]!.seq]);
  assert.equal(outbox.due(Date.now(), 10).length, 0, 'the rows behind went along to the retry time');
  const types: string[] = [];
  for (;;) {
    const [next] = outbox.due(later, 10);
    if (next === undefined) break;
    const p = JSON.parse(next.payload) as { type: string; reply: { code: number } | null };
    types.push(p.type);
    if (p.type === 'bounced') assert.equal(p.reply?.code, 550);
    await outbox.done([next.seq]);
  }
  assert.deepEqual(types, ['accepted', 'delivered', 'bounced']);
  assert.equal(outbox.count(), 0);
  assert.equal(await outbox.keepOnly([hook.url]), 0);
});

test('the signature verifies, and fails for another body, secret or an old timestamp', () => {
  const now = Date.now() / 1000;
  const header = signatureHeader(hook.secret, '{"a":1}', now);
  assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
  assert.ok(verifySignature(hook.secret, '{"a":1}', header, now));
  assert.equal(verifySignature(hook.secret, '{"a":2}', header, now), false);
  assert.equal(verifySignature('another-secret-123', '{"a":1}', header, now), false);
  assert.equal(verifySignature(hook.secret, '{"a":1}', header, now + 3600), false);
});

test('a backlog waiting for its retry is not read by the due query: a row behind takes the time of the one ahead, and the plan reads by time', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-outbox-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openSqliteQueueStore({ dataDir: dir, logger: silentLogger() });
  t.after(() => store.close());
  const endpoint = 'http://127.0.0.1:9/h';
  const event = (eventId: string, nextAttemptAtMs: number) => ({ eventId, endpoint, payload: JSON.stringify({ id: eventId }), nextAttemptAtMs });
  const now = Date.now();
  await store.enqueue({ id: 'M1', envelope: { mailFrom: 'a@shop.test', rcptTo: ['b@dest.test'] }, message: Buffer.from('Subject: x\r\n\r\nx\r\n'), firstRetryAtMs: now + 60_000 }, [event('E1', now)]);
  const outbox = store.webhookOutbox;
  const [head] = outbox.due(now, 10);
  assert.equal(head?.eventId, 'E1');
  const retryAtMs = now + 3_600_000; // the endpoint is down: an hour
  await outbox.retry(head!.seq, 1, retryAtMs);
  // Written while the one ahead waits: due no earlier than it.
  await store.updateRecipients('M1', [{ rcptTo: 'b@dest.test', status: 'delivered', attempts: 1, nextAttemptAtMs: 0, lastError: undefined, lastStatus: undefined }], { events: [event('E2', now)] });
  assert.deepEqual(outbox.due(now + 1_000, 10), [], 'nothing due before the retry');
  assert.equal(outbox.nextDueAtMs(), retryAtMs);
  assert.deepEqual(outbox.due(retryAtMs, 10).map((r) => r.eventId), ['E1'], 'at the retry time, the first one only');
  await outbox.done([head!.seq]);
  assert.deepEqual(outbox.due(retryAtMs, 10).map((r) => r.eventId), ['E2']);

  const db = new Database(join(dir, 'queue', 'queue.db'), { readonly: true });
  t.after(() => db.close());

  assert.equal(db.prepare("SELECT next_attempt_at FROM webhook_events WHERE event_id = 'E2'").pluck().get(), retryAtMs, 'E2 took the time of E1, which was ahead of it');
  const plan = (db.prepare(`EXPLAIN QUERY PLAN ${OUTBOX_DUE_SQL}`).all(now, 10) as { detail: string }[]).map((r) => r.detail);
  assert.match(plan[0] ?? '', /^SEARCH e USING INDEX webhook_events_due \(next_attempt_at<\?\)/, plan.join('; '));
});
