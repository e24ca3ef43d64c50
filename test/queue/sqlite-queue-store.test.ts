import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { newQueueId } from '../../src/core/queue-id.js';
import { openSqliteQueueStore, type SqliteQueueStore } from '../../src/queue/sqlite-queue-store.js';
import type { NewMessage } from '../../src/queue/queue-store.js';
import { fixtureScript } from './fixtures/fixture-path.js';

interface Harness {
  dataDir: string;
  open(): Promise<SqliteQueueStore>;
  logs: Record<string, unknown>[];
}

function harness(t: { after(fn: () => unknown): void }): Harness {
  const dataDir = mkdtempSync(join(tmpdir(), 'hikyaku-queue-'));
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const stores: SqliteQueueStore[] = [];
  t.after(async () => {
    for (const s of stores) await s.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    dataDir,
    logs,
    async open() {
      const store = await openSqliteQueueStore({ dataDir, logger });
      stores.push(store);
      return store;
    },
  };
}

// Messages made one after the other are created in that order: due work is
// read oldest first (created_at, then id), and two messages made in the same
// millisecond would otherwise sort by the random part of their ids.
let lastCreatedAtMs = 0;

function newMessage(overrides: Partial<NewMessage> = {}): NewMessage {
  const createdAtMs = (lastCreatedAtMs = Math.max(Date.now(), lastCreatedAtMs + 1));
  const id = overrides.id ?? newQueueId(createdAtMs);
  return {
    id,
    createdAtMs,
    envelope: { mailFrom: 'alice@example.com', rcptTo: ['bob@Example.NET', 'carol@example.org'] },
    message: Buffer.from(`Subject: ${id}\r\n\r\nHello\r\n`),
    firstRetryAtMs: Date.now() + 60_000,
    ...overrides,
  };
}

test('enqueue survives close and reopen with the same bytes and envelope', async (t) => {
  const h = harness(t);
  const store = await h.open();
  const body = Buffer.alloc(300_000);
  for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
  const msg = newMessage({ message: body, envId: 'ENV-42', firstRetryAtMs: 1_700_000_000_000 });
  await store.enqueue(msg);
  await store.close();

  const reopened = await h.open();
  const loaded = await reopened.load(msg.id);
  assert.ok(loaded);
  assert.equal(loaded.mailFrom, 'alice@example.com');
  assert.equal(loaded.envId, 'ENV-42');
  assert.equal(loaded.size, body.length);
  assert.equal(loaded.held, false);
  assert.equal(loaded.delayNotified, false);
  assert.deepEqual(
    loaded.recipients.map((r) => [r.rcptTo, r.status, r.attempts, r.nextAttemptAtMs]),
    [
      ['bob@Example.NET', 'queued', 1, 1_700_000_000_000],
      ['carol@example.org', 'queued', 1, 1_700_000_000_000],
    ],
  );
  assert.deepEqual(await reopened.readMessage(msg.id), body);
});

test('the queue directory is private', async (t) => {
  const h = harness(t);
  await h.open();
  assert.equal(statSync(join(h.dataDir, 'queue')).mode & 0o777, 0o700);
});

test('a small Buffer from the shared pool is stored exactly', async (t) => {
  const h = harness(t);
  const store = await h.open();
  const pooled = Buffer.from('Subject: pooled\r\n\r\nx\r\n'); // a view into Node's 8 KiB pool
  assert.ok(pooled.buffer.byteLength > pooled.length, 'the test needs a pool view');
  const msg = newMessage({ message: pooled });
  await store.enqueue(msg);
  assert.deepEqual(await store.readMessage(msg.id), Buffer.from('Subject: pooled\r\n\r\nx\r\n'));
  assert.equal(pooled.toString(), 'Subject: pooled\r\n\r\nx\r\n', 'the caller keeps its buffer');
});

test('concurrent enqueues share commits (group commit)', async (t) => {
  const h = harness(t);
  const store = await h.open();
  const before = store.commitCount;
  const messages = Array.from({ length: 100 }, () => newMessage());
  await Promise.all(messages.map((m) => store.enqueue(m)));
  const commits = store.commitCount - before;
  assert.ok(commits >= 1 && commits <= 10, `100 enqueues took ${commits} commits`);
  assert.equal((await store.list()).length, 100);

  // One at a time, each enqueue is its own commit: the counter counts commits, not calls.
  const serialBefore = store.commitCount;
  for (const m of Array.from({ length: 3 }, () => newMessage())) await store.enqueue(m);
  assert.equal(store.commitCount - serialBefore, 3);
});

const delivered = (rcptTo: string) => ({ rcptTo, status: 'delivered' as const, attempts: 1, nextAttemptAtMs: 0, lastError: undefined, lastStatus: undefined });
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

test('a delivery record waits for the next enqueue and commits in its batch', async (t) => {
  const h = harness(t);
  const store = await h.open();
  const first = newMessage();
  await store.enqueue(first);
  const before = store.commitCount;
  const recorded = store.updateRecipients(first.id, first.envelope.rcptTo.map(delivered));
  await nextTurn(); // its batch would have been sent by now
  const second = newMessage();
  await Promise.all([recorded, store.enqueue(second)]);
  assert.equal(store.commitCount - before, 1, 'one transaction for the record and the enqueue');
  assert.equal(await store.load(first.id), undefined, 'the delivered message is gone');
  assert.ok(await store.load(second.id));
});

test('a delivery record alone still commits, and close does not lose a held one', async (t) => {
  const h = harness(t);
  const store = await h.open();
  const [a, b] = [newMessage(), newMessage()];
  await store.enqueue(a);
  await store.enqueue(b);
  await store.updateRecipients(a.id, a.envelope.rcptTo.map(delivered)); // nothing else comes: sent after the hold
  assert.equal(await store.load(a.id), undefined);
  const held = store.updateRecipients(b.id, b.envelope.rcptTo.map(delivered));
  await nextTurn();
  await store.close();
  await held;
  const reopened = await h.open();
  assert.equal(await reopened.load(b.id), undefined, 'the record held at close was committed');
});

test('a failing operation fails alone; the rest of its batch commits', async (t) => {
  const h = harness(t);
  const store = await h.open();
  const first = newMessage();
  await store.enqueue(first);
  const others = [newMessage(), newMessage()];
  const commitsBefore = store.commitCount;
  const results = await Promise.allSettled([store.enqueue(others[0]!), store.enqueue({ ...first, message: Buffer.from('not this body') }), store.enqueue(others[1]!)]);
  // One batch: the writer runs it, rolls back at the failure, and runs it again with each operation alone.
  assert.equal(store.commitCount - commitsBefore, 1);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.equal((await store.list()).length, 3);
  for (const m of [first, ...others]) assert.deepEqual(await store.readMessage(m.id), m.message);
  await assert.rejects(store.enqueue(newMessage({ envelope: { mailFrom: 'a@example.com', rcptTo: [] } })), /no recipients/);
});

test('due messages: oldest first, held ones left out, next due time', async (t) => {
  const h = harness(t);
  const store = await h.open();
  const now = Date.now();
  const a = newMessage({ firstRetryAtMs: now - 10 });
  const b = newMessage({ firstRetryAtMs: now - 1000 });
  const c = newMessage({ firstRetryAtMs: now + 5000 });
  for (const m of [a, b, c]) await store.enqueue(m); // created in order a, b, c
  assert.deepEqual(await store.dueMessageIds(now, 10), [a.id, b.id]);
  assert.deepEqual(await store.dueMessageIds(now, 1), [a.id]);
  assert.equal(await store.nextDueAtMs(), now - 1000);

  assert.equal(await store.hold(b.id), true);
  assert.deepEqual(await store.dueMessageIds(now, 10), [a.id]);
  assert.equal(await store.nextDueAtMs(), now - 10);
  assert.equal((await store.load(b.id))?.held, true);
  assert.equal(await store.release(b.id), true);
  assert.deepEqual(await store.dueMessageIds(now, 10), [a.id, b.id]);
  assert.equal(await store.hold('NOSUCHID'), false);
  assert.equal(await store.release('NOSUCHID'), false);
});

test('a message stored held (the brake) is not due until its reason is released; other reasons stay held', async (t) => {
  const h = harness(t);
  const store = await h.open();
  const now = Date.now();
  const braked = newMessage({ firstRetryAtMs: now - 10, holdReason: 'brake:user:a@example.com' });
  const other = newMessage({ firstRetryAtMs: now - 10, holdReason: 'brake:user:b@example.com' });
  const free = newMessage({ firstRetryAtMs: now - 10 });
  for (const m of [braked, other, free]) await store.enqueue(m);
  assert.deepEqual(await store.dueMessageIds(now, 10), [free.id]);
  assert.deepEqual(
    { held: (await store.load(braked.id))?.held, reason: (await store.load(braked.id))?.holdReason },
    { held: true, reason: 'brake:user:a@example.com' },
  );
  assert.equal(await store.releaseHeld('brake:user:a@example.com'), 1);
  assert.equal(await store.releaseHeld('brake:user:a@example.com'), 0);
  assert.deepEqual(await store.dueMessageIds(now, 10), [braked.id, free.id]);
  assert.equal((await store.load(braked.id))?.holdReason, undefined);
  assert.equal((await store.load(other.id))?.held, true);
});

test('retryNow makes queued recipients due; remove deletes', async (t) => {
  const h = harness(t);
  const store = await h.open();
  const now = Date.now();
  const a = newMessage({ firstRetryAtMs: now + 3_600_000 });
  const b = newMessage({ firstRetryAtMs: now + 3_600_000 });
  await store.enqueue(a);
  await store.enqueue(b);
  assert.deepEqual(await store.dueMessageIds(Date.now(), 10), []);
  assert.equal(await store.retryNow(a.id), 1);
  assert.deepEqual(await store.dueMessageIds(Date.now(), 10), [a.id]);
  assert.equal(await store.retryNow('all'), 2);
  assert.deepEqual(await store.dueMessageIds(Date.now(), 10), [a.id, b.id]);
  assert.equal(await store.retryNow('NOSUCHID'), 0);

  assert.equal(await store.remove(a.id), true);
  assert.equal(await store.remove(a.id), false);
  assert.equal(await store.load(a.id), undefined);
  assert.equal(await store.readMessage(a.id), undefined);
  assert.deepEqual((await store.list()).map((m) => m.id), [b.id]);
});

test('updateRecipients records results and removes the message once nothing is queued', async (t) => {
  const h = harness(t);
  const store = await h.open();
  const msg = newMessage();
  await store.enqueue(msg);
  await store.updateRecipients(
    msg.id,
    [
      { rcptTo: 'bob@Example.NET', status: 'delivered', attempts: 1, nextAttemptAtMs: 0, lastError: undefined, lastStatus: '2.0.0' },
      { rcptTo: 'carol@example.org', status: 'queued', attempts: 2, nextAttemptAtMs: 12345, lastError: 'host mx said: 451 4.7.1 later', lastStatus: '4.7.1' },
    ],
    { delayNotified: true },
  );
  const loaded = await store.load(msg.id);
  assert.ok(loaded);
  assert.equal(loaded.delayNotified, true);
  assert.deepEqual(loaded.recipients, [
    { rcptTo: 'bob@Example.NET', status: 'delivered', attempts: 1, nextAttemptAtMs: 0, lastError: undefined, lastStatus: '2.0.0' },
    { rcptTo: 'carol@example.org', status: 'queued', attempts: 2, nextAttemptAtMs: 12345, lastError: 'host mx said: 451 4.7.1 later', lastStatus: '4.7.1' },
  ]);
  assert.deepEqual(await store.dueMessageIds(20_000, 10), [msg.id]);

  await store.updateRecipients(msg.id, [
    { rcptTo: 'carol@example.org', status: 'bounced', attempts: 2, nextAttemptAtMs: 12345, lastError: '550 5.1.1 no such user', lastStatus: '5.1.1' },
  ]);
  assert.equal(await store.load(msg.id), undefined);
  assert.equal(await store.readMessage(msg.id), undefined);
  assert.deepEqual(await store.list(), []);
  assert.equal(await store.nextDueAtMs(), undefined);

  // The body is gone from the file as well, not only from view.
  const db = new Database(join(h.dataDir, 'queue', 'queue.db'), { readonly: true });
  t.after(() => db.close());
  assert.equal(db.prepare('SELECT count(*) FROM bodies').pluck().get(), 0);
  assert.equal(db.prepare('SELECT count(*) FROM recipients').pluck().get(), 0);
});

test('rows that fail validation are logged and skipped, never thrown', async (t) => {
  const h = harness(t);
  const store = await h.open();
  const good = newMessage({ firstRetryAtMs: 1000 });
  const bad = newMessage({ firstRetryAtMs: 500 });
  const badBody = newMessage({ firstRetryAtMs: 2000 });
  for (const m of [bad, good, badBody]) await store.enqueue(m);

  const db = new Database(join(h.dataDir, 'queue', 'queue.db'));
  db.pragma('busy_timeout = 5000');
  t.after(() => db.close());
  db.prepare("UPDATE recipients SET status = 'lost in space' WHERE message_id = ?").run(bad.id);
  db.prepare("UPDATE bodies SET body = 'not a blob' WHERE message_id = ?").run(badBody.id);

  // Sorted: two messages stored in the same millisecond list in id order, which is random.
  assert.deepEqual((await store.list()).map((m) => m.id).sort(), [good.id, badBody.id].sort());
  assert.equal(await store.load(bad.id), undefined);
  assert.equal(await store.readMessage(badBody.id), undefined);
  // Once found bad, the message no longer comes up as due (it would be skipped forever).
  assert.deepEqual(await store.dueMessageIds(Date.now(), 10), [good.id]);
  assert.equal(await store.nextDueAtMs(), 1000);
  const warned = h.logs.filter((l) => l['level'] === 40).map((l) => l['queueId']);
  assert.deepEqual(warned.sort(), [bad.id, badBody.id].sort());
  assert.equal(await store.remove(bad.id), true);
});

test('the writes of a closed store are refused', async (t) => {
  const h = harness(t);
  const store = await h.open();
  await store.close();
  await assert.rejects(store.enqueue(newMessage()), /closed/);
});

test('a second process (the CLI) reads and changes the queue while it is open', async (t) => {
  const h = harness(t);
  const store = await h.open();
  const toHold = newMessage({ firstRetryAtMs: 0 });
  const toRemove = newMessage({ firstRetryAtMs: 0 });
  await store.enqueue(toHold);
  await store.enqueue(toRemove);
  assert.deepEqual(await store.dueMessageIds(Date.now(), 10), [toHold.id, toRemove.id]);
  const newId = newQueueId();

  const script = fixtureScript('queue-admin');
  const child = spawn(process.execPath, [...script.execArgv, script.path, h.dataDir, toHold.id, toRemove.id, newId], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0);
  const result = JSON.parse(out) as { listed: string[]; bodyLength: number; held: boolean; removed: boolean };
  assert.deepEqual(result, { listed: [toHold.id, toRemove.id], bodyLength: toHold.message.length, held: true, removed: true });

  // The running store sees the other process's changes at once.
  assert.equal((await store.load(toHold.id))?.held, true);
  assert.equal(await store.load(toRemove.id), undefined);
  assert.deepEqual(await store.dueMessageIds(Date.now(), 10), [newId]);
  assert.deepEqual(await store.readMessage(newId), Buffer.from('Subject: from the other process\r\n\r\nhello\r\n'));
  // And can still write after it.
  assert.equal(await store.release(toHold.id), true);
});

test('RFC 3461/6531 parameters are stored per message and recipient, also in a queue made before their columns', async (t) => {
  const h = harness(t);
  // The schema of the release before DSN support: no dsn_ret/smtputf8, no notify/orcpt.
  mkdirSync(join(h.dataDir, 'queue'), { recursive: true });
  const old = new Database(join(h.dataDir, 'queue', 'queue.db'));
  old.exec(`CREATE TABLE messages (id TEXT PRIMARY KEY NOT NULL, mail_from TEXT NOT NULL, size INTEGER NOT NULL, created_at INTEGER NOT NULL,
      held INTEGER NOT NULL DEFAULT 0, delay_notified INTEGER NOT NULL DEFAULT 0, env_id TEXT, hold_reason TEXT);
    CREATE TABLE recipients (message_id TEXT NOT NULL, rcpt_to TEXT NOT NULL, domain TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
      next_attempt_at INTEGER NOT NULL, last_error TEXT, last_status TEXT, last_attempt_at INTEGER, PRIMARY KEY (message_id, rcpt_to));`);
  old.close();
  const store = await h.open();
  const msg = newMessage({
    envelope: {
      mailFrom: 'alice@example.com',
      rcptTo: ['bob@example.net', 'carol@example.org'],
      params: {
        ret: 'FULL',
        envId: 'E1',
        smtputf8: true,
        requireTls: true,
        recipients: new Map([['bob@example.net', { notify: 'SUCCESS,FAILURE', orcpt: 'rfc822;Bob@old.test' }]]),
      },
    },
  });
  await store.enqueue(msg);
  const loaded = await store.load(msg.id);
  assert.ok(loaded);
  assert.equal(loaded.ret, 'FULL');
  assert.equal(loaded.smtputf8, true);
  // RFC 8689: REQUIRETLS kept with the message, so every retry honours it.
  assert.equal(loaded.requireTls, true);
  assert.equal(loaded.envId, 'E1');
  assert.deepEqual(
    loaded.recipients.map((r) => [r.rcptTo, r.notify, r.orcpt]),
    [
      ['bob@example.net', 'SUCCESS,FAILURE', 'rfc822;Bob@old.test'],
      ['carol@example.org', undefined, undefined],
    ],
  );
});
