// The domains and users pages' JSON routes over real sockets against a whole
// server (real DNS test server; the doctor's checks run against it): every
// change refused without the session's CSRF token (403, nothing changed) and,
// with it, made through the same stores the CLI uses and audited with the
// admin's name; secrets shown once; usage against the quotas from a message
// really sent with the new API key; the suppression list; a message's 40
// identical retries shown as one timeline row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAdminDatabase } from '../../src/admins/admin-database.js';
import { HistoryStore } from '../../src/history/history-store.js';
import { SuppressionStore } from '../../src/policy/suppression-store.js';
import { ApiKeyStore } from '../../src/users/api-keys.js';
import { hashPassword } from '../../src/users/password.js';
import { UserStore } from '../../src/users/user-store.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startHikyaku, tempDir, type TestServer } from '../helpers/hikyaku.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const PASSWORD = 'a long enough admin password';
const ADMIN = 'kanrisha';

let dns: TestDnsServer;
let mx: SmtpSink;
let server: TestServer;
let origin: string;
let session: { cookie: string; csrf: string };

type Body = Record<string, unknown>;

async function call(method: string, path: string, options: { body?: unknown; csrf?: string | null } = {}): Promise<{ status: number; body: Body }> {
  const headers: Record<string, string> = { cookie: session.cookie };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const csrf = options.csrf === undefined ? session.csrf : options.csrf;
  if (csrf !== null && method !== 'GET') headers['x-csrf-token'] = csrf;
  const response = await fetch(`${origin}/console/api${path}`, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Body) };
}

function lastAudit(): { admin: string; action: string; details: Body } {
  const db = openAdminDatabase(server.dataDir);
  try {
    const [entry] = db.audit.recent(1);
    assert.ok(entry, 'an audit row');
    return entry as { admin: string; action: string; details: Body };
  } finally {
    db.close();
  }
}

async function until<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  mx = await startSmtpSink({ host: '127.0.0.2' });
  dns = await startDnsServer({
    'example.net': { MX: [{ preference: 10, exchange: 'mx.example.net' }] },
    'mx.example.net': { A: ['127.0.0.2'] },
    // shop.test publishes a correct SPF record and no DMARC, no DKIM.
    'shop.test': { TXT: ['v=spf1 ip4:127.0.0.1 -all'], MX: [{ preference: 10, exchange: 'mx.example.net' }] },
  });
  const dataDir = tempDir();
  // A message greylisted 40 times in a row, then delivered: for the timeline.
  const history = HistoryStore.open(dataDir);
  const t0 = Date.now() - 3 * 3_600_000;
  history.recordAccepted({ id: 'GREY0001', mailFrom: 'shop@shop.test', rcptTo: ['taro@example.net'], message: Buffer.from('Subject: grey\r\n\r\nbody\r\n'), source: 'api', user: undefined, held: false, atMs: t0 });
  for (let i = 0; i < 40; i++) {
    history.recordAttempts('GREY0001', [{ rcptTo: 'taro@example.net', atMs: t0 + i * 60_000, outcome: 'deferred', remoteMta: 'mx.example.net[127.0.0.2]:25', reply: '451 4.7.1 Greylisted, try again later', code: 451, enhanced: '4.7.1' }]);
  }
  history.recordAttempts('GREY0001', [{ rcptTo: 'taro@example.net', atMs: t0 + 40 * 60_000, outcome: 'delivered', remoteMta: 'mx.example.net[127.0.0.2]:25', reply: '250 2.0.0 ok', code: 250, enhanced: '2.0.0' }]);
  history.close();
  server = await startHikyaku({ dns: dns.address, mxPort: mx.port }, { quotas: { user: { messagesPerHour: 50, messagesPerDay: 500 } } }, { dataDir });
  origin = `http://127.0.0.1:${server.ports.http}`;
  const db = openAdminDatabase(server.dataDir);
  db.admins.add(ADMIN, await hashPassword(PASSWORD), undefined);
  db.close();
  const response = await fetch(`${origin}/console/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: ADMIN, password: PASSWORD }) });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { csrfToken: string };
  session = { cookie: (response.headers.get('set-cookie') ?? '').split(';')[0] as string, csrf: body.csrfToken };
});

after(async () => {
  await server?.stop();
  await mx?.close();
  await dns?.close();
});

test('domains: refused without CSRF; added with it (audited); records to publish; doctor results per check with the bilingual fix; rotation makes pending keys once', async () => {
  const refused = await call('POST', '/domains', { body: { name: 'shop.test' }, csrf: null });
  assert.equal(refused.status, 403);
  assert.deepEqual((await call('GET', '/domains')).body['domains'], []);

  const added = await call('POST', '/domains', { body: { name: 'Shop.Test' } });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const audit = lastAudit();
  assert.deepEqual([audit.admin, audit.action, audit.details['domain']], [ADMIN, 'domain.add', 'shop.test']);

  assert.equal((await call('POST', '/domains', { body: { name: 'shop.test' } })).status, 409);
  const invalid = await call('POST', '/domains', { body: { name: '<script>alert(1)</script>' } });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.body['error'], 'invalid-name');

  // The records are those `hikyaku domain show` prints: DKIM for the active key, SPF, DMARC.
  type Domain = { name: string; keys: { selector: string; state: string }[]; records: { purpose: string; name: string; value: string; zoneLine: string }[]; light: string | null; checks: { id: string; status: string; fix: { ja: string; en: string; record: string | null } | null; title: { ja: string; en: string } }[] | null };
  const list = async () => (await call('GET', '/domains')).body['domains'] as Domain[];
  const [shop] = await list();
  assert.ok(shop);
  const active = shop.keys.find((k) => k.state === 'active');
  assert.ok(active);
  const dkim = shop.records.find((r) => r.purpose === 'dkim');
  assert.equal(dkim?.name, `${active.selector}._domainkey.shop.test`);
  assert.match(dkim?.value ?? '', /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/);
  assert.ok(shop.records.some((r) => r.purpose === 'dmarc' && r.name === '_dmarc.shop.test'));
  assert.ok(shop.records.some((r) => r.purpose === 'spf' && r.name === 'shop.test'));

  // The doctor's run (started by the add; "check now" asks again) finds the DKIM record missing: red, with the record as the fix.
  assert.equal((await call('POST', '/domains/check', { csrf: null })).status, 403);
  assert.equal((await call('POST', '/domains/check')).status, 200);
  const checked = await until('the doctor result for shop.test', async () => {
    const [d] = await list();
    return d?.checks !== null && d?.checks !== undefined && d.checks.length > 0 ? d : undefined;
  });
  assert.equal(checked.light, 'red');
  const missingKey = checked.checks?.find((c) => c.id === 'dkim.record' && c.status === 'error');
  assert.ok(missingKey, JSON.stringify(checked.checks?.map((c) => [c.id, c.status])));
  assert.ok(missingKey.fix !== null && missingKey.fix.ja.length > 0 && missingKey.fix.en.length > 0 && missingKey.fix.ja !== missingKey.fix.en);
  assert.match(missingKey.fix?.record ?? '', new RegExp(`^${active.selector}\\._domainkey\\.shop\\.test\\.? .*TXT`));
  assert.ok(checked.checks?.some((c) => c.id.startsWith('spf') && c.status === 'ok'), 'the published SPF record passes');

  const rotated = await call('POST', '/domains/shop.test/rotate-key');
  assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
  const pending = (rotated.body['added'] as { selector: string; state: string }[]).map((k) => k.selector);
  assert.ok(pending.length > 0);
  assert.deepEqual((rotated.body['publish'] as { name: string }[]).map((r) => r.name), pending.map((s) => `${s}._domainkey.shop.test`));
  assert.deepEqual(lastAudit().details, { domain: 'shop.test', pending });
  // The active key goes on signing; a second rotation waits for the first.
  assert.deepEqual((await list())[0]?.keys.map((k) => k.state).sort(), ['active', ...pending.map(() => 'pending')].sort());
  const again = await call('POST', '/domains/shop.test/rotate-key');
  assert.equal(again.status, 409);
  assert.equal(again.body['error'], 'pending-exists');
  assert.equal((await call('POST', '/domains/nowhere.test/rotate-key')).status, 404);

  // Step 2, as `domain activate-key` without --force: refused while the records are not in DNS (nothing changes) …
  const notYet = await call('POST', '/domains/shop.test/activate-key', { body: {} });
  assert.equal(notYet.status, 409, JSON.stringify(notYet.body));
  assert.equal(notYet.body['error'], 'not-published');
  assert.ok((notYet.body['checks'] as unknown[]).length > 0, 'what the DKIM check found');
  assert.deepEqual((await list())[0]?.keys.filter((k) => k.state === 'active').map((k) => k.selector), [active.selector]);
  // … done once they are published (the test DNS server answers them from now on).
  for (const record of rotated.body['publish'] as { name: string; value: string }[]) dns.set(record.name, { TXT: [record.value] });
  assert.equal((await call('POST', '/domains/shop.test/activate-key', { body: {}, csrf: null })).status, 403);
  const activated = await call('POST', '/domains/shop.test/activate-key', { body: {} });
  assert.equal(activated.status, 200, JSON.stringify(activated.body));
  assert.deepEqual([lastAudit().action, lastAudit().details['activated']], ['domain.activate-key', pending]);
  const keys = (await list())[0]?.keys ?? [];
  assert.deepEqual(keys.filter((k) => k.state === 'active').map((k) => k.selector).sort(), [...pending].sort());
  assert.deepEqual(keys.filter((k) => k.state === 'retiring').map((k) => k.selector), [active.selector]);
  // The old key stays published for the overlap: removing it now is refused, as the CLI refuses it without --force.
  const early = await call('POST', '/domains/shop.test/retire-key', { body: { selector: active.selector } });
  assert.equal(early.status, 409);
  assert.equal(early.body['error'], 'key-in-overlap');
  assert.equal((await call('POST', '/domains/shop.test/retire-key', { body: { selector: pending[0] } })).body['error'], 'key-active');
});

test('users: add (CSRF, audited, no password in the audit), app password and API key shown once then listed and revoked, usage against the quota, disable and remove', async () => {
  assert.equal((await call('POST', '/users', { body: { address: 'shop@shop.test', password: 'long enough password' }, csrf: 'wrong' })).status, 403);
  assert.deepEqual((await call('GET', '/users')).body['users'], []);
  assert.equal((await call('POST', '/users', { body: { address: 'shop@shop.test', password: 'short' } })).body['error'], 'weak-password');
  assert.equal((await call('POST', '/users', { body: { address: 'not an address', password: 'long enough password' } })).body['error'], 'invalid-address');
  const added = await call('POST', '/users', { body: { address: 'shop@shop.test', password: 'long enough password' } });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  assert.deepEqual(lastAudit().details, { user: 'shop@shop.test' });
  assert.equal((await call('POST', '/users', { body: { address: 'shop@shop.test', password: 'long enough password' } })).status, 409);

  const app = await call('POST', '/users/shop@shop.test/app-passwords', { body: { label: 'wordpress' } });
  assert.equal(app.status, 201);
  const appPassword = app.body['password'] as string;
  assert.match(appPassword, /^[a-z0-9 -]{20,}$/i);
  assert.equal(lastAudit().action, 'user.app-password.add');
  assert.ok(!JSON.stringify(lastAudit()).includes(appPassword), 'no secret in the audit');
  assert.equal((await call('POST', '/users/shop@shop.test/app-passwords', { body: { label: 'bad label!' } })).body['error'], 'invalid-label');

  const created = await call('POST', '/users/shop@shop.test/api-keys', { body: { label: 'shop-backend' } });
  assert.equal(created.status, 201);
  const key = created.body['key'] as string;
  assert.match(key, /^hk_/);
  assert.ok(!JSON.stringify(lastAudit()).includes(key));
  assert.equal((await call('POST', '/users/nobody@shop.test/api-keys', { body: { label: 'x' } })).status, 404);

  // A message sent with the key through the HTTP API counts against the user's quota.
  const sent = await fetch(`${origin}/api/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ from: 'shop@shop.test', to: ['customer@example.net'], subject: 'order', text: 'thanks\n' }),
  });
  assert.equal(sent.status, 202, await sent.text());
  type User = { address: string; flag: { reason: string } | null; usage: { hour: number | null; day: number | null; limitPerHour: number | null; limitPerDay: number | null }; appPasswords: { label: string }[]; apiKeys: { id: string; label: string }[] };
  const users = async () => (await call('GET', '/users')).body['users'] as User[];
  const [shop] = await users();
  assert.ok(shop);
  assert.deepEqual([shop.usage.hour, shop.usage.day, shop.usage.limitPerHour, shop.usage.limitPerDay], [1, 1, 50, 500]);
  assert.deepEqual(shop.appPasswords.map((a) => a.label), ['wordpress']);
  assert.deepEqual(shop.apiKeys.map((k) => k.label), ['shop-backend']);
  assert.ok(!JSON.stringify(await users()).includes(key) && !JSON.stringify(await users()).includes(appPassword), 'a secret is shown once only');

  assert.equal((await call('DELETE', `/users/shop@shop.test/api-keys/${shop.apiKeys[0]?.id}`, { csrf: null })).status, 403);
  assert.equal((await call('DELETE', `/users/shop@shop.test/api-keys/${shop.apiKeys[0]?.id}`)).status, 200);
  assert.equal(lastAudit().action, 'apikey.revoke');
  const refusedKey = await fetch(`${origin}/api/v1/messages`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{}' });
  assert.equal(refusedKey.status, 401, 'the revoked key no longer works');
  assert.equal((await call('DELETE', '/users/shop@shop.test/app-passwords/wordpress')).status, 200);
  assert.equal((await call('DELETE', '/users/shop@shop.test/app-passwords/wordpress')).status, 404);
  const after = (await users())[0];
  assert.deepEqual([after?.appPasswords.length, after?.apiKeys.length], [0, 0]);

  // Disable (the CLI's flag), seen by the store the SMTP AUTH path uses; enable again.
  assert.equal((await call('POST', '/users/shop@shop.test/disabled', { body: { disabled: true, reason: 'password leaked' } })).status, 200);
  const store = UserStore.open(server.dataDir);
  try {
    assert.equal(store.show('shop@shop.test')?.flag?.reason, 'password leaked');
  } finally {
    store.close();
  }
  assert.deepEqual([lastAudit().admin, lastAudit().action], [ADMIN, 'user.disable']);
  assert.equal((await call('POST', '/users/shop@shop.test/disabled', { body: { disabled: false } })).status, 200);
  assert.equal((await users())[0]?.flag, null);

  // Removing the user takes its API keys with it.
  const second = (await call('POST', '/users/shop@shop.test/api-keys', { body: { label: 'second' } })).body['key'] as string;
  assert.equal((await call('DELETE', '/users/shop@shop.test', { csrf: null })).status, 403);
  assert.equal((await call('DELETE', '/users/shop@shop.test')).status, 200);
  assert.deepEqual(await users(), []);
  assert.deepEqual(lastAudit().details, { user: 'shop@shop.test', apiKeysRevoked: 1 });
  const keys = ApiKeyStore.open(server.dataDir);
  try {
    assert.deepEqual([keys.find(second), keys.list('shop@shop.test')], [undefined, []]);
  } finally {
    keys.close();
  }
  assert.equal((await call('DELETE', '/users/shop@shop.test')).status, 404);
});

test('suppression list: listed as the CLI stores it, an entry removed (CSRF, audited)', async () => {
  const store = SuppressionStore.open(server.dataDir);
  try {
    store.add({ sendingDomain: 'shop.test', recipient: 'gone@example.net', reason: '550 5.1.1 No such user', source: 'bounce', nowMs: Date.now(), ttlMs: undefined });
    store.add({ sendingDomain: '', recipient: 'optout@example.net', reason: 'asked to stop', source: 'manual', nowMs: Date.now(), ttlMs: 86_400_000 });
  } finally {
    store.close();
  }
  type Entry = { recipient: string; sendingDomain: string; reason: string; source: string; expiresAtMs: number | null };
  const entries = async () => (await call('GET', '/suppressions')).body['entries'] as Entry[];
  assert.deepEqual((await entries()).map((e) => [e.recipient, e.sendingDomain, e.source, e.expiresAtMs === null]), [
    ['gone@example.net', 'shop.test', 'bounce', true],
    ['optout@example.net', '', 'manual', false],
  ]);
  assert.equal((await call('POST', '/suppressions/remove', { body: { recipient: 'gone@example.net', sendingDomain: 'shop.test' }, csrf: null })).status, 403);
  assert.equal((await entries()).length, 2);
  assert.equal((await call('POST', '/suppressions/remove', { body: { recipient: 'gone@example.net', sendingDomain: 'shop.test' } })).status, 200);
  assert.deepEqual(lastAudit().details, { recipient: 'gone@example.net', sendingDomain: 'shop.test' });
  assert.deepEqual((await entries()).map((e) => e.recipient), ['optout@example.net']);
  assert.equal((await call('POST', '/suppressions/remove', { body: { recipient: 'gone@example.net', sendingDomain: 'shop.test' } })).status, 404);
});

test('the timeline: 40 identical greylisting replies are one row "×40" with first and last time, then the delivery', async () => {
  const answer = await call('GET', '/messages/GREY0001?lang=en&tz=UTC');
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const rows = answer.body['attempts'] as { outcome: string; count: number; firstAtMs: number; atMs: number; reply: string }[];
  assert.deepEqual(rows.map((r) => [r.outcome, r.count, r.atMs - r.firstAtMs]), [
    ['deferred', 40, 39 * 60_000],
    ['delivered', 1, 0],
  ]);
  // The recipient's own count stays the true number of attempts.
  assert.equal((answer.body['recipients'] as { attempts: number }[])[0]?.attempts, 41);
});
