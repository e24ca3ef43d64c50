// The HTTP API end to end (issue 9, first part; issue 15's API part): the
// whole server with its HTTP listener on loopback, API keys made with the
// real `hikyaku apikey` command, real HTTP requests (fetch), a real DNS
// server and a receiving MX. A JSON message with an attachment arrives as
// MIME with a DKIM signature that python3-dkim verifies; a legacy carrier
// address goes out quoted in RCPT while the To header stays as written;
// every error has its status code and names the field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { makeTestCertificate } from '../helpers/certs.js';
import { createHttpServer } from '../../src/api/http-server.js';
import { silentLogger } from '../../src/log/logger.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { runCli, startHikyaku, tempDir, writeConfigFile, type TestServer } from '../helpers/hikyaku.js';
import { pythonVerify, skipPython } from '../helpers/python-dkim.js';
import { startRawPeer } from '../outbound/raw-smtp-peer.js';
import { ApiKeyStore } from '../../src/users/api-keys.js';
import { DomainStore } from '../../src/domains/domain-store.js';
import { recordsToPublish } from '../../src/domains/records.js';

const USER = 'shop@shop.test';
const LIMITED = 'limited@shop.test';
const MAX_MESSAGE = 256 * 1024;

let dns: TestDnsServer;
let mx: SmtpSink;
let server: TestServer;
let key: string;
let limitedKey: string;
const dir = tempDir('hikyaku-http-api-');
const dataDir = join(dir, 'data');

async function createKey(user: string, label: string): Promise<string> {
  const configFile = writeConfigFile(dir, { hostname: 'mail.hikyaku.test', dataDir });
  const run = await runCli(['apikey', 'create', user, '--label', label, '--config', configFile]);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const found = /^\s+(hk_[a-z2-7]+)$/m.exec(run.stdout)?.[1];
  assert.ok(found, run.stdout);
  return found;
}

before(async () => {
  // One mailbox that is always "full for now": its message stays deferred.
  mx = await startSmtpSink({ host: '127.0.0.2', onRcptTo: (address) => (address.startsWith('later') ? { code: 452, message: '4.2.2 Mailbox full, try later' } : undefined) });
  dns = await startDnsServer({
    'example.net': { MX: [{ preference: 10, exchange: 'mx.example.net' }] },
    'mx.example.net': { A: ['127.0.0.2'] },
    'docomo.ne.jp': { MX: [{ preference: 10, exchange: 'mfsmax.docomo.ne.jp' }] },
    'mfsmax.docomo.ne.jp': { A: ['127.0.0.2'] },
  });
  const domains = DomainStore.open(dataDir);
  domains.add('shop.test');
  const domain = domains.get('shop.test');
  assert.ok(domain);
  const records = recordsToPublish(domain, { hostname: 'mail.hikyaku.test', outboundAddresses: ['127.0.0.1'], smarthost: undefined, nowMs: Date.now() });
  dns.loadZoneText(records.filter((r) => r.purpose === 'dkim').map((r) => r.zoneLine).join('\n'));
  server = await startHikyaku({ dns: dns.address, mxPort: mx.port }, { limits: { maxMessageSize: `${MAX_MESSAGE / 1024}KiB` } }, { dataDir });
  assert.ok(server.ports.http > 0, 'the HTTP listener is up');
  await server.addUser(USER, 'api test password');
  await server.addUser(LIMITED, 'api test password', { quota: { messagesPerHour: 1 } });
  key = await createKey(USER, 'wordpress-shop');
  limitedKey = await createKey(LIMITED, 'cron');
});

after(async () => {
  await server?.stop();
  await mx?.close();
  await dns?.close();
});

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

async function api(method: string, path: string, options: { body?: unknown; raw?: Buffer | string; contentType?: string; key?: string | null; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  const bearer = options.key === undefined ? key : options.key;
  if (bearer !== null) headers['authorization'] = `Bearer ${bearer}`;
  let body: string | Buffer | undefined;
  if (options.raw !== undefined) {
    body = options.raw;
    headers['content-type'] = options.contentType ?? 'application/json';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`http://127.0.0.1:${server.ports.http}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    assert.fail(`not JSON (${response.status}): ${text}`);
  }
  assert.doesNotMatch(text, /\bat [\w.<>]+ \(.*:\d+:\d+\)/, 'no stack trace');
  return { status: response.status, headers: response.headers, body: parsed };
}

function fields(answer: Answer): string[] {
  return ((answer.body['fields'] as { path: string }[] | undefined) ?? []).map((f) => f.path);
}

async function statusUntil(id: string, wanted: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answer = await api('GET', `/api/v1/messages/${id}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    if (answer.body['status'] === wanted) return answer.body;
    if (Date.now() > deadline) assert.fail(`status of ${id} is ${JSON.stringify(answer.body)}, not ${wanted}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a JSON message with an attachment is delivered as MIME with a DKIM signature python3-dkim verifies; GET shows it delivered', { skip: skipPython }, async () => {
  const before = mx.messages.length;
  const answer = await api('POST', '/api/v1/messages', {
    body: {
      from: 'Shop ショップ <shop@shop.test>',
      to: ['Customer <customer@example.net>'],
      subject: 'ご注文ありがとうございます',
      text: 'Thank you for your order.\n',
      html: '<p>Thank you for your order.</p>',
      attachments: [{ filename: 'invoice.txt', content: Buffer.from('invoice 42\n').toString('base64'), contentType: 'text/plain' }],
      headers: { 'X-Order': '42' },
      tag: 'order-confirmation',
      metadata: { order: '42' },
    },
  });
  assert.equal(answer.status, 202, JSON.stringify(answer.body));
  const id = answer.body['id'] as string;
  assert.match(id, /^[0-9A-Z]+$/);
  const [mail] = (await mx.waitForMessages(before + 1)).slice(before);
  assert.ok(mail);
  assert.equal(mail.mailFrom, USER);
  assert.deepEqual(mail.rcptTo, ['customer@example.net']);
  const raw = mail.raw.toString();
  assert.match(raw, /^DKIM-Signature:/m);
  assert.match(raw, /^Content-Type: multipart\/mixed/m);
  assert.match(raw, /filename=invoice\.txt/);
  assert.match(raw, /^X-Order: 42\r$/m);
  assert.match(raw, /^Message-ID: </m);
  assert.match(raw, /^To: Customer <customer@example\.net>\r$/m);
  assert.ok(raw.includes(Buffer.from('invoice 42\n').toString('base64')), 'attachment content');
  const [results] = await pythonVerify([mail.raw], Number(dns.address.split(':')[1]));
  assert.deepEqual(results?.map((r) => r.ok), [true], JSON.stringify(results));
  const accepted = await server.waitForLog((r) => r.event === 'accepted' && r['queueId'] === id);
  assert.equal(accepted['via'], 'api');
  assert.equal(accepted['user'], USER);
  assert.equal(accepted['credential'], 'api-key:wordpress-shop');

  const status = await statusUntil(id, 'delivered');
  const recipients = status['recipients'] as { address: string; status: string; lastReply?: string; history: { status: string; reply?: string }[] }[];
  assert.equal(recipients[0]?.address, 'customer@example.net');
  assert.equal(recipients[0]?.status, 'delivered');
  assert.match(recipients[0]?.lastReply ?? '', /^250 /, 'the remote reply');
  assert.deepEqual(recipients[0]?.history.map((a) => a.status), ['delivered'], 'every attempt');
  assert.match(recipients[0]?.history[0]?.reply ?? '', /^250 /);
  assert.equal(status['tag'], 'order-confirmation');
  assert.deepEqual(status['metadata'], { order: '42' });

  const list = await api('GET', '/api/v1/messages?status=delivered&limit=50');
  assert.equal(list.status, 200, JSON.stringify(list.body));
  assert.ok((list.body['messages'] as { id: string }[]).some((m) => m.id === id));
  const other = await api('GET', `/api/v1/messages/${id}`, { key: limitedKey });
  assert.equal(other.status, 404, "another user's key does not see it");
});

test('a carrier address in `to` is sent quoted in RCPT and left as written in the To header; x@@ is refused naming the field', async (t) => {
  // smtp-server (the sink) refuses quoted local parts, so a raw MX that logs every command line, behind a server of its own.
  const peer = await startRawPeer(t, { host: '127.0.0.2', pipelining: true });
  const carrierDns = await startDnsServer({
    'docomo.ne.jp': { MX: [{ preference: 10, exchange: 'mfsmax.docomo.ne.jp' }] },
    'mfsmax.docomo.ne.jp': { A: ['127.0.0.2'] },
  });
  t.after(() => carrierDns.close());
  const carrier = await startHikyaku({ dns: carrierDns.address, mxPort: peer.port });
  t.after(() => carrier.stop());
  await carrier.addUser(USER, 'api test password');
  const keys = ApiKeyStore.open(carrier.dataDir);
  const { key: carrierKey } = keys.create(USER, 'carrier');
  keys.close();
  const post = (body: unknown): Promise<Response> =>
    fetch(`http://127.0.0.1:${carrier.ports.http}/api/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${carrierKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const answer = await post({ from: USER, to: 'taro..yamada@docomo.ne.jp', cc: ['"hanako."@docomo.ne.jp', 'taro.yamada@docomo.ne.jp'], subject: 'carrier', text: 'hello' });
  assert.equal(answer.status, 202, await answer.text());
  const commands = (): string[] => peer.connections.flatMap((c) => c.commands);
  const deadline = Date.now() + 10_000;
  while (!commands().includes('RCPT TO:<taro.yamada@docomo.ne.jp>') || peer.connections.every((c) => c.payloads.length === 0)) {
    if (Date.now() > deadline) assert.fail(`no delivery; commands: ${commands().join(' | ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const rcpts = commands().filter((c) => c.startsWith('RCPT'));
  assert.deepEqual(rcpts.sort(), ['RCPT TO:<"hanako."@docomo.ne.jp>', 'RCPT TO:<"taro..yamada"@docomo.ne.jp>', 'RCPT TO:<taro.yamada@docomo.ne.jp>']);
  const payload = peer.connections.flatMap((c) => c.payloads)[0]?.toString() ?? '';
  assert.match(payload, /^To: taro\.\.yamada@docomo\.ne\.jp\r$/m, 'the To header as written');
  assert.match(payload, /^Cc: "hanako\."@docomo\.ne\.jp, taro\.yamada@docomo\.ne\.jp\r$/m);

  const bad = await api('POST', '/api/v1/messages', { body: { from: USER, to: ['ok@example.net', 'x@@docomo.ne.jp'], text: 'hello' } });
  assert.equal(bad.status, 400, JSON.stringify(bad.body));
  assert.deepEqual(fields(bad), ['to[1]']);
  assert.match(JSON.stringify(bad.body), /two \\"@\\" signs/);
});

test('schema errors: 400 with the field path and what is allowed', async () => {
  const missing = await api('POST', '/api/v1/messages', { body: { to: 'a@example.net', text: 'x' } });
  assert.equal(missing.status, 400);
  assert.deepEqual(fields(missing), ['from']);
  const wrongType = await api('POST', '/api/v1/messages', { body: { from: USER, to: 'a@example.net', text: 'x', attachments: [{ filename: 'a' }] } });
  assert.equal(wrongType.status, 400);
  assert.ok(fields(wrongType).includes('attachments[0].content'), JSON.stringify(wrongType.body));
  const unknown = await api('POST', '/api/v1/messages', { body: { from: USER, to: 'a@example.net', text: 'x', colour: 'red' } });
  assert.equal(unknown.status, 400);
  assert.deepEqual(fields(unknown), ['colour']);
  const badJson = await api('POST', '/api/v1/messages', { raw: '{"from": ' });
  assert.equal(badJson.status, 400);
  assert.equal(badJson.body['error'], 'invalid-json');
  const reserved = await api('POST', '/api/v1/messages', { body: { from: USER, to: 'a@example.net', text: 'x', headers: { Bcc: 'spy@example.net' } } });
  assert.equal(reserved.status, 400);
  assert.deepEqual(fields(reserved), ['headers.Bcc']);
});

test('no key or a wrong key: 401', async () => {
  const none = await api('POST', '/api/v1/messages', { key: null, body: { from: USER, to: 'a@example.net', text: 'x' } });
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer');
  const wrong = await api('GET', '/api/v1/messages', { key: 'hk_' + 'a'.repeat(40) });
  assert.equal(wrong.status, 401);
  await server.waitForLog((r) => r.event === 'auth-failed' && r['listener'] === 'http');
});

test('too large: 413, for JSON and for a raw message', async () => {
  const big = await api('POST', '/api/v1/messages', { body: { from: USER, to: 'a@example.net', text: 'x'.repeat(MAX_MESSAGE * 2) } });
  assert.equal(big.status, 413, JSON.stringify(big.body));
  const justOver = await api('POST', '/api/v1/messages', { body: { from: USER, to: 'a@example.net', text: 'word '.repeat(MAX_MESSAGE / 5 + 100) } });
  assert.equal(justOver.status, 413, JSON.stringify(justOver.body));
  const raw = await api('POST', '/api/v1/messages?from=shop@shop.test&to=a@example.net', {
    raw: `From: ${USER}\r\nSubject: big\r\n\r\n${'x'.repeat(MAX_MESSAGE + 10)}\r\n`,
    contentType: 'message/rfc822',
  });
  assert.equal(raw.status, 413);
});

test('a raw RFC 5322 message with the envelope in the query', async () => {
  const answer = await api('POST', '/api/v1/messages?from=shop@shop.test&to=one@example.net&to=two@example.net', {
    raw: `From: Shop <${USER}>\r\nTo: one@example.net\r\nSubject: raw\r\n\r\nraw body\r\n`,
    contentType: 'message/rfc822',
  });
  assert.equal(answer.status, 202, JSON.stringify(answer.body));
  const mail = await mx.waitForMessage((m) => m.rcptTo.includes('one@example.net'));
  assert.deepEqual(mail?.rcptTo.sort(), ['one@example.net', 'two@example.net']);
  const badQuery = await api('POST', '/api/v1/messages?from=shop@shop.test&to=x@@example.net', { raw: `From: ${USER}\r\n\r\nx\r\n`, contentType: 'message/rfc822' });
  assert.equal(badQuery.status, 400);
  assert.deepEqual(fields(badQuery), ['query.to[0]']);
});

test('over quota: 429 with Retry-After', async () => {
  const message = { from: LIMITED, to: 'a@example.net', subject: 'quota', text: 'x' };
  const first = await api('POST', '/api/v1/messages', { key: limitedKey, body: message });
  assert.equal(first.status, 202, JSON.stringify(first.body));
  const second = await api('POST', '/api/v1/messages', { key: limitedKey, body: message });
  assert.equal(second.status, 429, JSON.stringify(second.body));
  const retryAfter = Number(second.headers.get('retry-after'));
  assert.ok(retryAfter > 0 && retryAfter <= 3600, `Retry-After ${retryAfter}`);
});

test('a From the key\'s user may not use: 403 with the policy\'s text', async () => {
  const answer = await api('POST', '/api/v1/messages', { body: { from: 'ceo@bank.example', to: 'a@example.net', text: 'x' } });
  assert.equal(answer.status, 403, JSON.stringify(answer.body));
  assert.match(answer.body['message'] as string, /not allowed for shop@shop\.test/);
});

test('Idempotency-Key: the same request twice queues one message', async () => {
  const before = mx.messages.length;
  const request = { body: { from: USER, to: 'idem@example.net', subject: 'once', text: 'once' }, headers: { 'idempotency-key': 'order-42-confirmation' } };
  const [a, b] = await Promise.all([api('POST', '/api/v1/messages', request), api('POST', '/api/v1/messages', request)]);
  const c = await api('POST', '/api/v1/messages', request);
  assert.equal(a.status, 202);
  assert.equal(b.status, 202);
  assert.equal(c.status, 202);
  assert.equal(a.body['id'], b.body['id']);
  assert.equal(a.body['id'], c.body['id']);
  assert.equal(c.headers.get('idempotent-replayed'), 'true');
  await mx.waitForMessages(before + 1);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(mx.messages.slice(before).filter((m) => m.rcptTo.includes('idem@example.net')).length, 1);
  const reused = await api('POST', '/api/v1/messages', { ...request, body: { ...request.body, text: 'another' } });
  assert.equal(reused.status, 422);
  assert.equal(reused.body['error'], 'idempotency-key-reused');
});

test('batch: answers per message, one bad item does not stop the others', async () => {
  const answer = await api('POST', '/api/v1/messages/batch', {
    body: {
      messages: [
        { from: USER, to: 'b1@example.net', text: 'one' },
        { from: USER, to: 'b2@@example.net', text: 'two' },
        { from: USER, text: 'three', to: 'b3@example.net', colour: 'red' },
        { from: USER, to: 'b4@example.net', text: 'four' },
      ],
    },
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const results = answer.body['results'] as { index: number; status: number; id?: string; fields?: { path: string }[] }[];
  assert.deepEqual(results.map((r) => r.status), [202, 400, 400, 202]);
  assert.deepEqual(results[1]?.fields?.map((f) => f.path), ['messages[1].to']);
  assert.deepEqual(results[2]?.fields?.map((f) => f.path), ['messages[2].colour']);
  assert.ok(results[0]?.id && results[3]?.id);
  const tooMany = await api('POST', '/api/v1/messages/batch', { body: { messages: Array.from({ length: 501 }, () => ({ from: USER })) } });
  assert.equal(tooMany.status, 400);
  assert.deepEqual(fields(tooMany), ['messages']);
});

test('deferred messages: the status says so with the remote reply, and the listing pages through them', async () => {
  const ids: string[] = [];
  for (const n of [1, 2, 3]) {
    const answer = await api('POST', '/api/v1/messages', { body: { from: USER, to: `later${n}@example.net`, subject: `later ${n}`, text: 'x' } });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    ids.push(answer.body['id'] as string);
  }
  for (const id of ids) {
    const status = await statusUntil(id, 'deferred');
    const [r] = status['recipients'] as { lastReply?: string; lastStatus?: string; nextAttemptAt?: string }[];
    assert.match(r?.lastReply ?? '', /452 4\.2\.2 Mailbox full/);
    assert.equal(r?.lastStatus, '4.2.2');
  }
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const answer = await api('GET', `/api/v1/messages?status=deferred&limit=2&since=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const messages = answer.body['messages'] as { id: string; status: string }[];
    assert.ok(messages.length <= 2);
    for (const m of messages) {
      assert.equal(m.status, 'deferred');
      seen.push(m.id);
    }
    cursor = answer.body['nextCursor'] as string | undefined;
    if (cursor === undefined) break;
  }
  assert.deepEqual(seen.filter((id) => ids.includes(id)), ids, 'every deferred message once, oldest first');
  const badStatus = await api('GET', '/api/v1/messages?status=lost');
  assert.equal(badStatus.status, 400);
  assert.deepEqual(fields(badStatus), ['query.status']);
  assert.match(JSON.stringify(badStatus.body), /must be one of: queued, held, deferred/);
});

test('the OpenAPI document is served', async () => {
  const answer = await api('GET', '/api/v1/openapi.json', { key: null });
  assert.equal(answer.status, 200);
  assert.match(String(answer.body['openapi']), /^3\./);
  const paths = answer.body['paths'] as Record<string, Record<string, unknown>>;
  assert.ok(paths['/api/v1/messages']?.['post'], Object.keys(paths).join(', '));
  assert.ok(paths['/api/v1/messages/batch']?.['post']);
  assert.ok(paths['/api/v1/messages/{id}']?.['get']);
  const unknownPath = await api('GET', '/api/v2/nothing', { key: null });
  assert.equal(unknownPath.status, 404);
});

test('apikey list and revoke: a revoked key gets 401', async () => {
  const configFile = writeConfigFile(dir, { hostname: 'mail.hikyaku.test', dataDir });
  const extra = await createKey(USER, 'temporary');
  assert.equal((await api('GET', '/api/v1/messages', { key: extra })).status, 200);
  const list = await runCli(['apikey', 'list', USER, '--config', configFile]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /\tshop@shop\.test\ttemporary\t/);
  assert.doesNotMatch(list.stdout, /hk_/, 'keys are never shown again');
  const revoke = await runCli(['apikey', 'revoke', USER, 'temporary', '--config', configFile]);
  assert.equal(revoke.code, 0, revoke.stderr + revoke.stdout);
  assert.equal((await api('GET', '/api/v1/messages', { key: extra })).status, 401);
});

test('bound to a non-loopback address, the HTTP server speaks only TLS, with the server certificate', async (t) => {
  const material = await makeTestCertificate(['mail.hikyaku.test']);
  const http = await createHttpServer({
    host: '0.0.0.0',
    port: 0,
    tlsConfig: server.config.tls,
    certificates: { current: () => ({ key: material.key, cert: material.cert }), onChange: () => undefined },
    logger: silentLogger(),
    bodyLimit: 1024,
  });
  t.after(() => http.close());
  assert.equal(http.secure, true);
  const port = await http.listen();
  const answer = await new Promise<{ status: number; body: string; cert: string }>((resolve, reject) => {
    const request = httpsRequest({ host: '127.0.0.1', port, path: '/api/v1/openapi.json', rejectUnauthorized: false }, (response) => {
      let body = '';
      const cert = String((response.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '');
      response.on('data', (d: Buffer) => (body += d.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, cert }));
    });
    request.on('error', reject);
    request.end();
  });
  assert.equal(answer.status, 200);
  assert.equal(answer.cert, 'mail.hikyaku.test');
  assert.match(answer.body, /"openapi":"3\./);
  const plain = await fetch(`http://127.0.0.1:${port}/api/v1/openapi.json`).then(
    (r) => r.status,
    () => 'refused',
  );
  assert.notEqual(plain, 200, 'no plain HTTP');
});
