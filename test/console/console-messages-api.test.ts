// The queue and message pages' JSON routes over real sockets against a whole
// server: keyset paging through 1,200 messages written into history.db
// through the history store's own interface; a bulk change without the
// session's CSRF token is refused (403) and changes nothing; with it, the
// change is made and audited with the admin's name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAdminDatabase } from '../../src/admins/admin-database.js';
import { HistoryStore } from '../../src/history/history-store.js';
import { hashPassword } from '../../src/users/password.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startHikyaku, tempDir, type TestServer } from '../helpers/hikyaku.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { SmtpDialog } from '../helpers/smtp-dialog.js';

const PASSWORD = 'a long enough admin password';
const ROWS = 1200;

let dns: TestDnsServer;
let mx: SmtpSink;
let server: TestServer;
let base: string;
let session: { cookie: string; csrf: string };

async function call(method: string, path: string, options: { body?: unknown; csrf?: string } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { cookie: session.cookie };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.csrf !== undefined) headers['x-csrf-token'] = options.csrf;
  const response = await fetch(`${base}${path}`, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

before(async () => {
  // Recipients starting with "later" are deferred: those messages stay queued.
  mx = await startSmtpSink({ host: '127.0.0.2', onRcptTo: (a) => (a.startsWith('later') ? { code: 452, message: '4.2.2 Mailbox full, try again later' } : undefined) });
  dns = await startDnsServer({ 'example.net': { MX: [{ preference: 10, exchange: 'mx.example.net' }] }, 'mx.example.net': { A: ['127.0.0.2'] } });
  const dataDir = tempDir();
  const history = HistoryStore.open(dataDir);
  const t0 = Date.now() - 3_600_000;
  for (let i = 0; i < ROWS; i++) {
    const id = `H${String(i).padStart(6, '0')}`;
    const subject = i % 2 === 0 ? `Invoice ${i}` : `Newsletter ${i}`;
    history.recordAccepted({
      id,
      mailFrom: `shop${i % 3}@shop.test`,
      rcptTo: [`customer${i}@example.net`],
      message: Buffer.from(`From: <shop@shop.test>\r\nSubject: ${subject}\r\n\r\nbody\r\n`),
      source: 'api',
      user: undefined,
      held: false,
      atMs: t0 + i * 1000,
    });
  }
  history.flush();
  history.close();
  server = await startHikyaku({ dns: dns.address, mxPort: mx.port }, {}, { dataDir });
  base = `http://127.0.0.1:${server.ports.http}/console/api`;
  const db = openAdminDatabase(server.dataDir);
  db.admins.add('alice', await hashPassword(PASSWORD), undefined);
  db.close();
  const response = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'alice', password: PASSWORD }) });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { csrfToken: string };
  session = { cookie: (response.headers.get('set-cookie') ?? '').split(';')[0] as string, csrf: body.csrfToken };
});

after(async () => {
  await server?.stop();
  await mx?.close();
  await dns?.close();
});

type Item = { id: string; subject: string | null; state: string };

test('search pages through 1,200 messages 50 at a time, newest first, each exactly once', async () => {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const answer = await call('GET', `/messages${cursor === null ? '' : `?cursor=${encodeURIComponent(cursor)}`}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const items = answer.body['items'] as Item[];
    if (pages === 0) assert.equal(answer.body['total'], ROWS);
    assert.ok(items.length <= 50);
    seen.push(...items.map((m) => m.id));
    cursor = answer.body['next'] as string | null;
    pages++;
  } while (cursor !== null);
  assert.equal(pages, ROWS / 50);
  assert.equal(new Set(seen).size, ROWS);
  assert.equal(seen[0], `H${String(ROWS - 1).padStart(6, '0')}`);
  assert.equal(seen.at(-1), 'H000000');
});

test('search filters by subject, sender and recipient, and pages within the filter', async () => {
  const first = await call('GET', `/messages?subject=invoice&sender=${encodeURIComponent('shop0@shop.test')}`);
  const items = first.body['items'] as Item[];
  // Even i and i % 3 == 0: every sixth message.
  assert.equal(first.body['total'], ROWS / 6);
  assert.ok(items.every((m) => m.subject?.startsWith('Invoice')));
  const second = await call('GET', `/messages?subject=invoice&sender=${encodeURIComponent('shop0@shop.test')}&cursor=${encodeURIComponent(String(first.body['next']))}`);
  const ids = new Set(items.map((m) => m.id));
  assert.ok((second.body['items'] as Item[]).every((m) => !ids.has(m.id)));
  const one = await call('GET', `/messages?recipient=${encodeURIComponent('customer42@example.net')}`);
  assert.deepEqual((one.body['items'] as Item[]).map((m) => m.id), ['H000042']);
});

test('bad search input is a 400 naming the field, not a crash', async () => {
  const badState = await call('GET', '/messages?state=lost');
  assert.equal(badState.status, 400);
  assert.match(JSON.stringify(badState.body), /state/);
  // A cursor the store did not give starts again from the newest (the history's documented choice).
  const badCursor = await call('GET', '/messages?cursor=not-a-cursor');
  assert.equal((badCursor.body['items'] as Item[])[0]?.id, `H${String(ROWS - 1).padStart(6, '0')}`);
  assert.equal((await call('GET', '/messages/NOSUCHID')).status, 404);
});

async function sendDeferred(): Promise<string> {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.relay, localAddress: '127.0.0.2' });
  try {
    await d.read();
    await d.command('EHLO app.shop.test');
    await d.command('MAIL FROM:<shop@shop.test>');
    await d.command('RCPT TO:<later@example.net>');
    await d.command('DATA');
    const reply = await d.command('From: <shop@shop.test>\r\nSubject: Held back\r\n\r\nHello\r\n.');
    await d.command('QUIT');
    const id = /queued as ([0-9A-Z]+)/.exec(reply.text)?.[1];
    assert.ok(id, reply.text);
    return id;
  } finally {
    await d.close();
  }
}

test('a bulk hold without the CSRF token is 403 and holds nothing; with it the message is held, audited, then released', async () => {
  const id = await sendDeferred();
  const refused = await call('POST', '/messages/actions', { body: { action: 'hold', ids: [id] } });
  assert.equal(refused.status, 403);
  const wrong = await call('POST', '/messages/actions', { body: { action: 'hold', ids: [id] }, csrf: 'not-the-token' });
  assert.equal(wrong.status, 403);
  assert.equal((await call('GET', `/messages/${id}`)).body['held'], false);

  const held = await call('POST', '/messages/actions', { body: { action: 'hold', ids: [id, 'NOSUCHID'] }, csrf: session.csrf });
  assert.equal(held.status, 200, JSON.stringify(held.body));
  assert.equal(held.body['done'], 1);
  assert.equal(held.body['failed'], 1);
  const message = await call('GET', `/messages/${id}?lang=ja&tz=Asia%2FTokyo`);
  assert.equal(message.body['held'], true);
  assert.equal(message.body['state'], 'held');

  const db = openAdminDatabase(server.dataDir);
  try {
    const entry = db.audit.recent(10).find((e) => e.action === 'queue.hold');
    assert.ok(entry, 'audited');
    assert.equal(entry.admin, 'alice');
    assert.deepEqual(entry.details['ids'], [id]);
  } finally {
    db.close();
  }
  const released = await call('POST', '/messages/actions', { body: { action: 'release', ids: [id] }, csrf: session.csrf });
  assert.equal(released.body['done'], 1);
  assert.equal((await call('GET', `/messages/${id}`)).body['held'], false);
  const badAction = await call('POST', '/messages/actions', { body: { action: 'explode', ids: [id] }, csrf: session.csrf });
  assert.equal(badAction.status, 400);
});

test('a deferred message names its next attempt, from the queue, in the recipient and the last attempt\'s explanation', async () => {
  const id = await sendDeferred();
  type Message = { recipients: { nextAttemptAtMs: number | null }[]; attempts: { outcome: string; explanation: { action: string } }[] };
  let message: Message | undefined;
  for (let i = 0; i < 100; i++) {
    const got = (await call('GET', `/messages/${id}?lang=en&tz=UTC`)).body as unknown as Message;
    if (got.attempts?.some((a) => a.outcome === 'deferred')) {
      message = got;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(message, 'the deferred attempt reached the history');
  const next = message.recipients[0]?.nextAttemptAtMs;
  assert.equal(typeof next, 'number');
  assert.ok((next as number) > Date.now() - 60_000, 'a time in the future of the attempt');
  const time = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: 'UTC' }).format(next as number);
  const last = message.attempts.filter((a) => a.outcome === 'deferred').at(-1);
  assert.match(last?.explanation.action ?? '', new RegExp(time.replace(':', ':')));
});
