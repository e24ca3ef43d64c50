// GET /console/api/users/:address/setup over real HTTP against a whole
// server: behind the console session (401 without one), the same settings
// and bilingual table as `hikyaku user setup`, the autoconfiguration links
// for a sending domain, and a clear 404 for an unknown user.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAdminDatabase } from '../../src/admins/admin-database.js';
import { DomainStore } from '../../src/domains/domain-store.js';
import { hashPassword } from '../../src/users/password.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startHikyaku, tempDir, type TestServer } from '../helpers/hikyaku.js';

const PASSWORD = 'a long enough admin password';
let dns: TestDnsServer;
let server: TestServer;
let base: string;
let cookie: string;

before(async () => {
  dns = await startDnsServer({});
  const dataDir = tempDir();
  const domains = DomainStore.open(dataDir);
  domains.add('shop.test');
  domains.close();
  server = await startHikyaku({ dns: dns.address, mxPort: 25 }, { autoconfig: { imapHost: 'imap.shop.test' } }, { dataDir });
  await server.addUser('web@shop.test', 'a long enough password 1');
  base = `http://127.0.0.1:${server.ports.http}/console/api`;
  const db = openAdminDatabase(server.dataDir);
  db.admins.add('alice', await hashPassword(PASSWORD), undefined);
  db.close();
  const response = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'alice', password: PASSWORD }) });
  assert.equal(response.status, 200);
  cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
});

after(async () => {
  await server?.stop();
  await dns?.close();
});

test('without a session: 401', async () => {
  const response = await fetch(`${base}/users/web%40shop.test/setup`);
  assert.equal(response.status, 401);
});

test('with a session: the settings, the table in both languages and the autoconfiguration links', async () => {
  const response = await fetch(`${base}/users/web%40shop.test/setup`, { headers: { cookie } });
  assert.equal(response.status, 200);
  const body = (await response.json()) as {
    settings: { smtp: { host: string; port: number; socketType: string }[]; username: string; authentication: boolean; imap: { host: string } };
    table: { rows: { label: { en: string; ja: string }; value: { en: string; ja: string } }[] };
    autoconfig: { thunderbird: string; mobileconfig: string };
  };
  assert.deepEqual(body.settings.smtp, [
    { host: 'mail.hikyaku.test', port: server.ports.submissions, socketType: 'SSL' },
    { host: 'mail.hikyaku.test', port: server.ports.submission, socketType: 'STARTTLS' },
  ]);
  assert.equal(body.settings.username, 'web@shop.test');
  assert.equal(body.settings.authentication, true);
  assert.equal(body.settings.imap.host, 'imap.shop.test');
  const username = body.table.rows.find((r) => r.label.en === 'Username');
  assert.equal(username?.label.ja, 'ユーザー名');
  assert.equal(username?.value.en, 'web@shop.test');
  assert.equal(body.autoconfig.thunderbird, '/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=web%40shop.test');
  // The ports the listeners bound (the test configures port 0); the link works on the same listener.
  const xml = await fetch(`http://127.0.0.1:${server.ports.http}${body.autoconfig.mobileconfig}`);
  assert.equal(xml.status, 200);
});

test('an unknown user: 404 that says how to find the users', async () => {
  const response = await fetch(`${base}/users/nobody%40shop.test/setup`, { headers: { cookie } });
  assert.equal(response.status, 404);
  assert.match(((await response.json()) as { message: string }).message, /no such user: nobody@shop\.test/);
});
