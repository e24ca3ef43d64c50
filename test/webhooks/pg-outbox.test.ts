// The webhook outbox on PostgreSQL (real server on 127.0.0.1:5432): rows go
// in with the queue change that causes them, in its transaction (a failing
// event write undoes the change too); two nodes (two stores on one
// database) never take the same row, a message's next event waits for the
// one before it, a retry waits its time, and a clean stop frees what the
// node held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from '../helpers/pg-database.js';
import { openPgQueueStore } from '../../src/queue/postgres/pg-queue-store.js';
import { silentLogger } from '../../src/log/logger.js';
import { WebhookEvents, withWebhookEvents } from '../../src/webhooks/events.js';
import type { RecipientOutcome } from '../../src/core/outcome.js';

const hook = { url: 'http://127.0.0.1:9/h', events: ['accepted', 'delivered', 'bounced'] as const, secret: '0123456789abcdef' };
const message = Buffer.from('Subject: x\r\n\r\nx\r\n');
const relay = { host: 'mx.dest.test', ip: '127.0.0.1', port: 25, tls: undefined };
const delivered = (rcptTo: string): RecipientOutcome => ({ kind: 'delivered', rcptTo, relay, remoteReply: { code: 250, enhanced: '2.0.0', text: 'ok' } });
const bounced = (rcptTo: string): RecipientOutcome => ({
  kind: 'bounced',
  rcptTo,
  relay,
  failure: { status: '5.1.1', stage: 'rcpt', remoteMta: 'mx.dest.test', remoteReply: { code: 550, enhanced: '5.1.1', text: 'no' }, detail: 'no' },
});

async function outboxTypes(query: (sql: string) => Promise<{ rows: { payload: string }[] }>): Promise<string[]> {
  const r = await query('SELECT payload FROM webhook_events ORDER BY seq');
  return r.rows.map((row) => {
    const p = JSON.parse(row.payload) as { type: string; recipient: string };
    return `${p.type}:${p.recipient}`;
  });
}

test('PostgreSQL: events are written in the transaction of the enqueue and of the recipient update that cause them', async (t) => {
  const db = await createTestDatabase();
  t.after(() => db.drop());
  const store = await openPgQueueStore({ url: db.url, logger: silentLogger(), claimLeaseMs: 30_000 });
  t.after(() => store.close());
  let wakes = 0;
  const events = new WebhookEvents([hook]);
  const queue = withWebhookEvents(store, events, () => wakes++);
  const later = Date.now() + 60_000;
  await queue.enqueue({ id: 'M1', envelope: { mailFrom: 'a@shop.test', rcptTo: ['b@dest.test', 'c@dest.test'] }, message, firstRetryAtMs: later });
  await queue.enqueue({ id: 'N1', envelope: { mailFrom: '', rcptTo: ['a@shop.test'] }, message, firstRetryAtMs: later });
  assert.deepEqual(await outboxTypes((sql) => db.query(sql)), ['accepted:b@dest.test', 'accepted:c@dest.test'], 'none for the null sender');
  assert.equal(wakes, 1);
  // A refused enqueue (the id exists) writes no event either.
  await assert.rejects(queue.enqueue({ id: 'M1', envelope: { mailFrom: 'a@shop.test', rcptTo: ['d@dest.test'] }, message: Buffer.from('other'), firstRetryAtMs: later }));
  assert.equal((await outboxTypes((sql) => db.query(sql))).length, 2);

  // The update that records the attempt made before it: no events.
  await queue.updateRecipients('M1', [{ rcptTo: 'b@dest.test', status: 'queued', attempts: 2, nextAttemptAtMs: later, lastError: undefined, lastStatus: undefined }]);
  assert.equal((await outboxTypes((sql) => db.query(sql))).length, 2);

  // An event that cannot be written undoes the recipient update that caused it: one transaction.
  await db.query(`ALTER TABLE webhook_events ADD CONSTRAINT test_no_bounced CHECK (payload NOT LIKE '%"type":"bounced"%')`);
  events.noteOutcomes('M1', 'a@shop.test', [delivered('b@dest.test'), bounced('c@dest.test')]);
  const outcome = [
    { rcptTo: 'b@dest.test', status: 'delivered', attempts: 2, nextAttemptAtMs: 0, lastError: undefined, lastStatus: undefined },
    { rcptTo: 'c@dest.test', status: 'bounced', attempts: 2, nextAttemptAtMs: 0, lastError: '550 no', lastStatus: '5.1.1' },
  ] as const;
  await assert.rejects(queue.updateRecipients('M1', outcome), /test_no_bounced/);
  assert.deepEqual(
    (await store.load('M1'))?.recipients.map((r) => r.status),
    ['queued', 'queued'],
    'the recipients were not updated without their events',
  );
  assert.equal((await outboxTypes((sql) => db.query(sql))).length, 2, 'nor the delivered event written without the bounced one');

  await db.query('ALTER TABLE webhook_events DROP CONSTRAINT test_no_bounced');
  events.noteOutcomes('M1', 'a@shop.test', [delivered('b@dest.test'), bounced('c@dest.test')]);
  await queue.updateRecipients('M1', outcome);
  assert.equal(await store.load('M1'), undefined, 'the message is gone, its events are not');
  assert.deepEqual(await outboxTypes((sql) => db.query(sql)), ['accepted:b@dest.test', 'accepted:c@dest.test', 'delivered:b@dest.test', 'bounced:c@dest.test']);
  assert.equal(await store.webhookOutbox([hook.url]).count(), 4);
});

test('PostgreSQL: two nodes never take the same row; the next event of a message waits for the one before; a clean stop frees the rows', async (t) => {
  const db = await createTestDatabase();
  t.after(() => db.drop());
  const a = await openPgQueueStore({ url: db.url, logger: silentLogger(), claimLeaseMs: 30_000 });
  const b = await openPgQueueStore({ url: db.url, logger: silentLogger(), claimLeaseMs: 30_000 });
  t.after(() => b.close());
  const events = new WebhookEvents([hook, { ...hook, url: 'http://127.0.0.1:9/other' }]);
  const queue = withWebhookEvents(a, events, () => undefined);
  const later = Date.now() + 60_000;
  await queue.enqueue({ id: 'M', envelope: { mailFrom: 'a@shop.test', rcptTo: ['b@dest.test'] }, message, firstRetryAtMs: later });
  await queue.enqueue({ id: 'P', envelope: { mailFrom: 'a@shop.test', rcptTo: ['c@dest.test'] }, message, firstRetryAtMs: later });
  events.noteOutcomes('M', 'a@shop.test', [delivered('b@dest.test')]);
  await queue.updateRecipients('M', [{ rcptTo: 'b@dest.test', status: 'delivered', attempts: 1, nextAttemptAtMs: 0, lastError: undefined, lastStatus: undefined }]);
  // Node A sends to both endpoints, node B only to the first: it leaves the other's rows alone.
  const outA = a.webhookOutbox([hook.url, 'http://127.0.0.1:9/other']);
  const outB = b.webhookOutbox([hook.url]);
  const kinds = (rows: readonly { payload: string; endpoint: string }[]): string[] =>
    rows.map((r) => `${(JSON.parse(r.payload) as { messageId: string; type: string }).messageId}:${(JSON.parse(r.payload) as { type: string }).type}:${r.endpoint.endsWith('other') ? 'other' : 'h'}`);

  const takenByA = await outA.take(Date.now(), 2);
  assert.deepEqual(kinds(takenByA), ['M:accepted:h', 'M:accepted:other'], 'the oldest first, as many as asked');
  const takenByB = await outB.take(Date.now(), 10);
  assert.deepEqual(kinds(takenByB), ['P:accepted:h'], "not A's rows, nor M's delivered event behind them");
  const mAccepted = takenByA[0]!;
  const retryAtMs = Date.now() + 500;
  await outA.retry(mAccepted.seq, 1, retryAtMs);
  assert.deepEqual(await outB.take(Date.now(), 10), [], 'a row waiting for its retry holds back the events behind it');
  assert.equal(await outB.nextDueAtMs(), retryAtMs, 'the next poll when the retry is due');
  const behind = await db.query<{ n: string }>("SELECT next_attempt_at AS n FROM webhook_events WHERE message_id = 'M' AND endpoint = $1 ORDER BY seq", [hook.url]);
  assert.deepEqual(behind.rows.map((r) => Number(r.n)), [retryAtMs, retryAtMs], 'the delivered event behind it is due no earlier (polls read only due rows)');
  await new Promise((r) => setTimeout(r, retryAtMs - Date.now() + 10));
  const retried = await outB.take(Date.now(), 10);
  assert.deepEqual(kinds(retried), ['M:accepted:h'], 'due again: any node takes it');
  assert.equal(retried[0]!.attempts, 1);
  await outB.done([mAccepted.seq]);
  assert.deepEqual(kinds(await outB.take(Date.now(), 10)), ['M:delivered:h'], 'the next in line once the one before was taken');
  assert.equal(await outB.nextDueAtMs(), undefined, 'nothing of B waits for a later time');

  // A clean stop hands A's rows over at once (no lease to wait for, no takeover).
  const leasedByA = async (): Promise<number> => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM webhook_events WHERE lease_owner = $1', [a.nodeId])).rows[0]?.n);
  assert.equal(await leasedByA(), 1, "A still holds M's accepted event for the other endpoint");
  await a.close();
  assert.equal(await leasedByA(), 0);
  assert.deepEqual(await outB.take(Date.now(), 10), [], "the other endpoint's rows stay for the nodes that send to it");
  assert.equal(await outB.keepOnly([hook.url]), 3, "a node's start drops the rows of endpoints no longer configured");
  assert.equal(outB.takeovers, 0);
  assert.equal(await outB.count(), 2, 'P:accepted and M:delivered, held by B');
});
