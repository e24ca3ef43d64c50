// The console's API walls, over real sockets against a whole server: no
// session → 401; a change without the session's CSRF token → 403; the
// cookie's flags (Secure when the listener is TLS); logins throttled per
// name with 429 + Retry-After; TOTP with a code computed here (RFC 6238).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { openAdminDatabase } from '../../src/admins/admin-database.js';
import { newTotpSecret } from '../../src/admins/totp.js';
import { hashPassword } from '../../src/users/password.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startHikyaku, type TestServer } from '../helpers/hikyaku.js';
import { totpCode } from './totp-code.js';

const PASSWORD = 'a long enough admin password';

let dns: TestDnsServer;
let server: TestServer;
let base: string;

async function addAdmin(target: TestServer, name: string, totp = false): Promise<string | undefined> {
  const db = openAdminDatabase(target.dataDir);
  try {
    const secret = totp ? newTotpSecret() : undefined;
    db.admins.add(name, await hashPassword(PASSWORD), secret);
    return secret;
  } finally {
    db.close();
  }
}

before(async () => {
  dns = await startDnsServer({});
  server = await startHikyaku({ dns: dns.address, mxPort: 9 });
  base = `http://127.0.0.1:${server.ports.http}/console/api`;
  await addAdmin(server, 'alice');
  await addAdmin(server, 'throttled');
});

after(async () => {
  await server?.stop();
  await dns?.close();
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(method: string, path: string, options: { body?: unknown; cookie?: string; csrf?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.cookie !== undefined) headers['cookie'] = options.cookie;
  if (options.csrf !== undefined) headers['x-csrf-token'] = options.csrf;
  const response = await fetch(`${base}${path}`, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), headers: response.headers };
}

async function login(name: string, extra: Record<string, string> = {}): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const answer = await call('POST', '/login', { body: { name, password: PASSWORD, ...extra } });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const setCookie = answer.headers.get('set-cookie') ?? '';
  return { cookie: setCookie.split(';')[0] as string, csrf: String(answer.body['csrfToken']), setCookie };
}

test('without a session every console API route answers 401 JSON, unknown ones too', async () => {
  for (const path of ['/dashboard', '/session', '/no-such-thing']) {
    const answer = await call('GET', path);
    assert.equal(answer.status, 401, path);
    assert.equal(answer.body['error'], 'unauthenticated');
  }
  assert.equal((await call('POST', '/logout', { csrf: 'x' })).status, 401);
  assert.equal((await call('GET', '/dashboard', { cookie: 'hikyaku_console=forged' })).status, 401);
});

test('the session cookie is HttpOnly, SameSite=Strict, limited to /console, and not Secure on a loopback listener', async () => {
  const { setCookie, cookie, csrf } = await login('alice');
  assert.match(setCookie, /^hikyaku_console=[A-Za-z0-9_-]{43};/);
  assert.match(setCookie, /; HttpOnly/i);
  assert.match(setCookie, /; SameSite=Strict/i);
  assert.match(setCookie, /; Path=\/console/);
  assert.doesNotMatch(setCookie, /Secure/i);
  assert.equal((await call('GET', '/session', { cookie })).body['name'], 'alice');
  await call('POST', '/logout', { cookie, csrf });
});

test('a change without the CSRF token, or with another session\'s, is refused with 403; with it, it is done', async () => {
  const first = await login('alice');
  const second = await login('alice');
  for (const csrf of [undefined, '', 'guess', second.csrf]) {
    const answer = await call('POST', '/logout', { cookie: first.cookie, ...(csrf !== undefined ? { csrf } : {}) });
    assert.equal(answer.status, 403, `token ${csrf}`);
    assert.equal(answer.body['error'], 'csrf');
    assert.match(String(answer.body['message']), /x-csrf-token/);
  }
  assert.equal((await call('GET', '/session', { cookie: first.cookie })).status, 200, 'still logged in');
  assert.equal((await call('POST', '/logout', { cookie: first.cookie, csrf: first.csrf })).status, 200);
  assert.equal((await call('GET', '/session', { cookie: first.cookie })).status, 401, 'logged out');
  assert.equal((await call('GET', '/session', { cookie: second.cookie })).status, 200, 'the other session lives on');
});

test('wrong passwords are refused, then the name is throttled with 429 and Retry-After, even with the right password', async () => {
  let last: Answer | undefined;
  for (let i = 0; i < 5; i++) {
    last = await call('POST', '/login', { body: { name: 'throttled', password: 'wrong password' } });
    if (i < 4) {
      assert.equal(last.status, 401);
      assert.equal(last.body['error'], 'bad-credentials');
    }
  }
  assert.equal(last?.status, 429);
  const right = await call('POST', '/login', { body: { name: 'throttled', password: PASSWORD } });
  assert.equal(right.status, 429);
  assert.ok(Number(right.headers.get('retry-after')) > 0);
  assert.equal(right.body['error'], 'throttled');
  assert.equal(right.headers.get('set-cookie'), null);
  // Another admin from the same address is not locked out by one name's block.
  await login('alice');
});

test('console pages carry a strict Content-Security-Policy; a missing asset is a 404, a client route the app', async () => {
  const page = await fetch(`http://127.0.0.1:${server.ports.http}/console/queue?x=1`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(await page.text(), /<div id="app">/);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(await (await fetch(`http://127.0.0.1:${server.ports.http}/console/`)).text())?.[1];
  assert.ok(asset);
  const script = await fetch(`http://127.0.0.1:${server.ports.http}${asset}`);
  assert.equal(script.status, 200);
  assert.match(script.headers.get('content-type') ?? '', /javascript/);
  assert.match(script.headers.get('cache-control') ?? '', /immutable/);
  assert.equal((await fetch(`http://127.0.0.1:${server.ports.http}/console/assets/missing-123.js`)).status, 404);
});

test('a login body that breaks the schema gets 400 naming the field', async () => {
  const answer = await call('POST', '/login', { body: { name: 'alice' } });
  assert.equal(answer.status, 400);
  assert.match(String(answer.body['message']), /password: required/);
});

test('an admin with TOTP is asked for the code, refused with a wrong one, let in with the right one', async () => {
  const secret = await addAdmin(server, 'totp-admin', true);
  assert.ok(secret);
  const noCode = await call('POST', '/login', { body: { name: 'totp-admin', password: PASSWORD } });
  assert.equal(noCode.status, 401);
  assert.equal(noCode.body['error'], 'totp-required');
  assert.equal(noCode.headers.get('set-cookie'), null);
  const right = totpCode(secret, Date.now());
  const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');
  const refused = await call('POST', '/login', { body: { name: 'totp-admin', password: PASSWORD, totp: wrong } });
  assert.equal(refused.status, 401);
  assert.equal(refused.body['error'], 'bad-credentials');
  const code = totpCode(secret, Date.now());
  const { cookie } = await login('totp-admin', { totp: code });
  assert.equal((await call('GET', '/session', { cookie })).body['name'], 'totp-admin');
  // The same code a second time (seen over a shoulder) is refused.
  const replay = await call('POST', '/login', { body: { name: 'totp-admin', password: PASSWORD, totp: code } });
  assert.equal(replay.status, 401);
  assert.equal(replay.body['error'], 'bad-credentials');
});

test('logins and logouts are in the audit table and the log, with the admin\'s name', async () => {
  const { cookie, csrf } = await login('alice');
  assert.equal((await call('POST', '/logout', { cookie, csrf })).status, 200);
  const db = openAdminDatabase(server.dataDir);
  try {
    const [logout, loginRow] = db.audit.recent(2);
    assert.equal(logout?.admin, 'alice');
    assert.equal(logout?.action, 'logout');
    assert.equal(loginRow?.admin, 'alice');
    assert.equal(loginRow?.action, 'login');
    assert.equal(loginRow?.details['ip'], '127.0.0.1');
  } finally {
    db.close();
  }
  const line = await server.waitForLog((r) => r['audit'] === true && r['action'] === 'logout' && r['admin'] === 'alice');
  assert.match(String(line.msg), /console: logout by alice/);
});

test('on a TLS listener (bound to a non-loopback address) the session cookie is also Secure', async (t) => {
  const tlsServer = await startHikyaku({ dns: dns.address, mxPort: 9 }, { listeners: { http: { host: '0.0.0.0', port: 0 } } });
  t.after(() => tlsServer.stop());
  await addAdmin(tlsServer, 'alice');
  const setCookie = await new Promise<string>((resolve, reject) => {
    const body = JSON.stringify({ name: 'alice', password: PASSWORD });
    const request = httpsRequest(
      { host: '127.0.0.1', port: tlsServer.ports.http, path: '/console/api/login', method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } },
      (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve(String(response.headers['set-cookie'] ?? '')) : reject(new Error(`login answered ${response.statusCode}`))));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
  assert.match(setCookie, /; Secure/i);
  assert.match(setCookie, /; HttpOnly/i);
  assert.match(setCookie, /; SameSite=Strict/i);
});
