// The QueueStore contract: the same cases run against the embedded store
// (SQLite) and the PostgreSQL store, each on real storage (a temporary data
// directory; a database of its own on 127.0.0.1:5432, dropped afterwards).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino, type Logger } from 'pino';
import { newQueueId } from '../../src/core/queue-id.js';
import { openSqliteQueueStore } from '../../src/queue/sqlite-queue-store.js';
import { openPgQueueStore, SchemaVersionError, type PgQueueStore } from '../../src/queue/postgres/pg-queue-store.js';
import type { NewMessage, QueueStore, StoredMessage } from '../../src/queue/queue-store.js';
import { createTestDatabase } from '../helpers/pg-database.js';

interface Backend {
  open(): Promise<QueueStore & { readonly commitCount: number }>;
  /** Put garbage in a recipient row of this message, as a disk error or a foreign write could. */
  corrupt(id: string): Promise<void>;
}

type Cleanup = { after(fn: () => unknown): void };
const silent: Logger = pino({ level: 'silent' });

async function sqliteBackend(t: Cleanup): Promise<Backend> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hikyaku-contract-'));
  const stores: QueueStore[] = [];
  t.after(async () => {
    for (const s of stores) await s.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    async open() {
      const s = await openSqliteQueueStore({ dataDir, logger: silent });
      stores.push(s);
      return s;
    },
    async corrupt(id) {
      const db = new Database(join(dataDir, 'queue', 'queue.db'));
      db.pragma('busy_timeout = 5000');
      db.prepare("UPDATE recipients SET status = 'garbage' WHERE message_id = ?").run(id);
      db.close();
    },
  };
}

async function pgBackend(t: Cleanup): Promise<Backend> {
  const db = await createTestDatabase();
  const stores: QueueStore[] = [];
  t.after(async () => {
    for (const s of stores) await s.close();
    await db.drop();
  });
  return {
    async open() {
      const s = await openPgQueueStore({ url: db.url, logger: silent, claimLeaseMs: 30_000 });
      stores.push(s);
      return s;
    },
    async corrupt(id) {
      await db.query("UPDATE recipients SET status = 'garbage' WHERE message_id = $1", [id]);
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
    envelope: { mailFrom: 'alice@example.com', rcptTo: ['bob@example.net', 'carol@example.org'] },
    message: Buffer.from(`Subject: ${id}\r\n\r\nHello\r\n`),
    firstRetryAtMs: Date.now() + 60_000,
    ...overrides,
  };
}

const past = (): number => Date.now() - 1_000;

function contract(name: string, make: (t: Cleanup) => Promise<Backend>): void {
  describe(`QueueStore contract: ${name}`, () => {
    test('enqueue, close, reopen: the same envelope, recipients in order, and the same bytes', async (t) => {
      const b = await make(t);
      const store = await b.open();
      const body = Buffer.alloc(200_000);
      for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
      const envelope = {
        mailFrom: 'alice@example.com',
        rcptTo: ['zed@example.net', 'amy@example.org', 'bob@example.com'],
        params: { ret: 'HDRS' as const, envId: 'ENV-1', smtputf8: true, recipients: new Map([['amy@example.org', { notify: 'NEVER', orcpt: 'rfc822;amy@example.org' }]]) },
      };
      const msg = newMessage({ envelope, message: body, firstRetryAtMs: 1_700_000_000_000 });
      await store.enqueue(msg);
      await store.close();
      const reopened = await b.open();
      const loaded = await reopened.load(msg.id);
      assert.ok(loaded);
      assert.equal(loaded.mailFrom, 'alice@example.com');
      assert.equal(loaded.size, body.length);
      assert.equal(loaded.envId, 'ENV-1');
      assert.equal(loaded.ret, 'HDRS');
      assert.equal(loaded.smtputf8, true);
      assert.equal(loaded.eightBit, true);
      assert.equal(loaded.held, false);
      assert.deepEqual(
        loaded.recipients.map((r) => [r.rcptTo, r.status, r.attempts, r.nextAttemptAtMs, r.notify, r.orcpt]),
        [
          ['zed@example.net', 'queued', 1, 1_700_000_000_000, undefined, undefined],
          ['amy@example.org', 'queued', 1, 1_700_000_000_000, 'NEVER', 'rfc822;amy@example.org'],
          ['bob@example.com', 'queued', 1, 1_700_000_000_000, undefined, undefined],
        ],
      );
      assert.ok((await reopened.readMessage(msg.id))?.equals(body));
      assert.equal(await reopened.load('no-such-id'), undefined);
      assert.equal(await reopened.readMessage('no-such-id'), undefined);
    });

    test('the REQUIRETLS flag (RFC 8689) is kept with the message; without it, none', async (t) => {
      const b = await make(t);
      const store = await b.open();
      const strict = newMessage({ envelope: { mailFrom: 'alice@example.com', rcptTo: ['bob@example.net'], params: { requireTls: true } } });
      const plain = newMessage();
      await store.enqueue(strict);
      await store.enqueue(plain);
      assert.equal((await store.load(strict.id))?.requireTls, true);
      assert.equal((await store.load(plain.id))?.requireTls, undefined);
    });

    test('a second enqueue with the same id fails and leaves the first intact', async (t) => {
      const store = await (await make(t)).open();
      const msg = newMessage();
      await store.enqueue(msg);
      await assert.rejects(store.enqueue({ ...msg, message: Buffer.from('other\r\n') }));
      assert.ok((await store.readMessage(msg.id))?.equals(msg.message));
    });

    test('concurrent enqueues share commits (group commit) and are all stored', async (t) => {
      const store = await (await make(t)).open();
      const before = store.commitCount;
      const msgs = Array.from({ length: 60 }, () => newMessage());
      await Promise.all(msgs.map((m) => store.enqueue(m)));
      const commits = store.commitCount - before;
      assert.ok(commits >= 1 && commits < msgs.length / 4, `60 enqueues took ${commits} commits`);
      for (const m of msgs) assert.ok((await store.readMessage(m.id))?.equals(m.message));
    });

    test('due work: due and not held, oldest first; the next due time', async (t) => {
      const store = await (await make(t)).open();
      const first = newMessage({ firstRetryAtMs: past() });
      await store.enqueue(first);
      const future = newMessage({ firstRetryAtMs: Date.now() + 3_600_000 });
      await store.enqueue(future);
      const second = newMessage({ firstRetryAtMs: past() });
      await store.enqueue(second);
      const held = newMessage({ firstRetryAtMs: past(), holdReason: 'brake:user:x@example.com' });
      await store.enqueue(held);
      assert.deepEqual(await store.dueMessageIds(Date.now(), 100), [first.id, second.id]);
      assert.equal((await store.load(held.id))?.held, true);
      assert.equal((await store.load(held.id))?.holdReason, 'brake:user:x@example.com');
      assert.equal(await store.nextDueAtMs(), Math.min(first.firstRetryAtMs, second.firstRetryAtMs));
      assert.equal(await store.releaseHeld('brake:user:x@example.com'), 1);
      assert.deepEqual(await store.dueMessageIds(Date.now(), 100), [first.id, second.id, held.id]);
    });

    test('recipient results: partial keeps the message, the last final result removes it', async (t) => {
      const store = await (await make(t)).open();
      const msg = newMessage({ firstRetryAtMs: past() });
      await store.enqueue(msg);
      const later = Date.now() + 600_000;
      await store.updateRecipients(msg.id, [
        { rcptTo: 'bob@example.net', status: 'delivered', attempts: 1, nextAttemptAtMs: 0, lastError: undefined, lastStatus: undefined },
        { rcptTo: 'carol@example.org', status: 'queued', attempts: 2, nextAttemptAtMs: later, lastError: '451 try later', lastStatus: '4.3.0' },
      ], { delayNotified: true });
      const loaded = (await store.load(msg.id)) as StoredMessage;
      assert.equal(loaded.delayNotified, true);
      assert.deepEqual(
        loaded.recipients.map((r) => [r.rcptTo, r.status, r.attempts, r.lastError, r.lastStatus]),
        [
          ['bob@example.net', 'delivered', 1, undefined, undefined],
          ['carol@example.org', 'queued', 2, '451 try later', '4.3.0'],
        ],
      );
      assert.deepEqual(await store.dueMessageIds(Date.now(), 10), []);
      assert.equal(await store.nextDueAtMs(), later);
      await store.updateRecipients(msg.id, [{ rcptTo: 'carol@example.org', status: 'bounced', attempts: 3, nextAttemptAtMs: 0, lastError: '550 no', lastStatus: '5.1.1' }]);
      assert.equal(await store.load(msg.id), undefined);
      assert.equal(await store.readMessage(msg.id), undefined);
      assert.equal(await store.nextDueAtMs(), undefined);
    });

    test('hold, release, retry now, remove, list', async (t) => {
      const store = await (await make(t)).open();
      const a = newMessage();
      const b = newMessage();
      await store.enqueue(a);
      await store.enqueue(b);
      assert.deepEqual((await store.list()).map((m) => m.id), [a.id, b.id]);
      assert.equal(await store.hold(a.id), true);
      assert.equal(await store.hold('missing'), false);
      assert.equal(await store.retryNow(a.id), 1);
      assert.deepEqual(await store.dueMessageIds(Date.now() + 1, 10), [], 'a held message is not due');
      assert.equal(await store.release(a.id), true);
      assert.deepEqual(await store.dueMessageIds(Date.now() + 1, 10), [a.id]);
      assert.equal(await store.retryNow('all'), 2);
      assert.deepEqual(await store.dueMessageIds(Date.now() + 1, 10), [a.id, b.id]);
      assert.equal(await store.remove(a.id), true);
      assert.equal(await store.remove(a.id), false);
      assert.deepEqual((await store.list()).map((m) => m.id), [b.id]);
      assert.equal(await store.retryNow('missing'), 0);
    });

    test('a corrupt entry is skipped (quarantined) and the rest is still served', async (t) => {
      const b = await make(t);
      const store = await b.open();
      const bad = newMessage({ firstRetryAtMs: past() });
      const good = newMessage({ firstRetryAtMs: past() });
      await store.enqueue(bad);
      await store.enqueue(good);
      await b.corrupt(bad.id);
      assert.equal(await store.load(bad.id), undefined);
      assert.deepEqual((await store.list()).map((m) => m.id), [good.id]);
      assert.deepEqual(await store.dueMessageIds(Date.now(), 10), [good.id]);
      assert.ok(await store.load(good.id));
    });
    test('pages (store export): every message once, in id order, a page of corrupt entries does not end the walk', async (t) => {
      const b = await make(t);
      const store = await b.open();
      assert.ok(store.listPage, 'the store reads a page at a time');
      const ids = ['P001', 'P002', 'P003', 'P004', 'P005', 'P006', 'P007'];
      // Enqueued out of order: pages follow the ids, not the insertion.
      for (const id of [...ids].reverse()) await store.enqueue(newMessage({ id }));
      await b.corrupt('P003');
      await b.corrupt('P004');
      const seen: string[] = [];
      let pages = 0;
      for (let after: string | undefined, page; (page = await store.listPage(after, 2)).lastId !== undefined; after = page.lastId) {
        assert.ok(page.messages.length <= 2, 'at most the limit');
        assert.ok(after === undefined || page.lastId > after, 'the cursor moves on');
        seen.push(...page.messages.map((m) => m.id));
        pages++;
        assert.ok(pages < 10, 'the walk ends');
      }
      assert.deepEqual(seen, ['P001', 'P002', 'P005', 'P006', 'P007']);
      assert.deepEqual((await store.listPage('P007', 2)).messages, []);
    });
  });
}

contract('SQLite (embedded)', sqliteBackend);
contract('PostgreSQL', pgBackend);

describe('PostgreSQL store: schema and work sharing', () => {
  test('a database without the schema is refused with a message saying to run hikyaku migrate', async (t) => {
    const db = await createTestDatabase({ migrate: false });
    t.after(() => db.drop());
    await assert.rejects(openPgQueueStore({ url: db.url, logger: silent, claimLeaseMs: 1_000 }), (err: unknown) => {
      assert.ok(err instanceof SchemaVersionError);
      assert.match(err.message, /version 0.*run `hikyaku migrate`/);
      assert.match(err.ja, /hikyaku migrate/);
      return true;
    });
  });

  test('two nodes: a claimed message is not given to the other until released or its lease expired', async (t) => {
    const db = await createTestDatabase();
    const stores: PgQueueStore[] = [];
    t.after(async () => {
      for (const s of stores) await s.close();
      await db.drop();
    });
    const open = async (): Promise<PgQueueStore> => {
      const s = await openPgQueueStore({ url: db.url, logger: silent, claimLeaseMs: 60_000 });
      stores.push(s);
      return s;
    };
    const [a, b] = [await open(), await open()];
    const msgs = [newMessage({ firstRetryAtMs: past() }), newMessage({ firstRetryAtMs: past() }), newMessage({ firstRetryAtMs: past() })];
    // Enqueued by a third node, which released them (as its scheduler does after the first attempt).
    const c = await open();
    for (const m of msgs) await c.enqueue(m);
    await c.close();
    const byA = await a.dueMessageIds(Date.now(), 2);
    assert.equal(byA.length, 2);
    const byB = await b.dueMessageIds(Date.now(), 10);
    assert.deepEqual(byB, msgs.map((m) => m.id).filter((id) => !byA.includes(id)));
    assert.deepEqual(await b.dueMessageIds(Date.now(), 10), byB, 'a node sees its own claims again');
    a.releaseClaim(byA[0] as string);
    await waitFor(async () => (await b.dueMessageIds(Date.now(), 10)).includes(byA[0] as string));
    // A node that died: its lease is in the past. The other takes its message over and records it.
    await db.query("UPDATE messages SET lease_owner = 'dead-node', lease_until = $2 WHERE id = $1", [byA[1], Date.now() - 1]);
    assert.ok((await b.dueMessageIds(Date.now(), 10)).includes(byA[1] as string));
    assert.equal(b.takeovers, 1);
    const events = await db.query<{ kind: string; detail: string }>('SELECT kind, detail FROM events WHERE message_id = $1', [byA[1]]);
    assert.deepEqual(events.rows, [{ kind: 'lease-takeover', detail: 'dead-node' }]);
  });

  test('a corrupt row is marked quarantined for every node and listed', async (t) => {
    const db = await createTestDatabase();
    const s = await openPgQueueStore({ url: db.url, logger: silent, claimLeaseMs: 60_000 });
    t.after(async () => {
      await s.close();
      await db.drop();
    });
    const bad = newMessage({ firstRetryAtMs: past() });
    await s.enqueue(bad);
    await db.query("UPDATE messages SET size = -5 WHERE id = $1", [bad.id]);
    assert.equal(await s.load(bad.id), undefined);
    await waitFor(async () => (await s.listQuarantined()).length === 1);
    assert.deepEqual(await s.listQuarantined(), [{ id: bad.id, reason: 'bad size' }]);
    assert.deepEqual(await s.dueMessageIds(Date.now(), 10), []);
  });
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail('condition not reached');
}
