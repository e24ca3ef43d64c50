// GET /metrics end to end (issue 9, point 8): the whole server with its HTTP
// listener on loopback, real SMTP sessions (plain, STARTTLS, implicit TLS,
// a wrong password), a real HTTP API submission, delivery to a receiving
// MX found through a real DNS server; the counters are read back from the
// Prometheus text the endpoint serves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { SmtpDialog } from '../helpers/smtp-dialog.js';
import { startHikyaku, type TestServer } from '../helpers/hikyaku.js';
import { ApiKeyStore } from '../../src/users/api-keys.js';

const USER = 'metrics@shop.test';
const PASSWORD = 'metrics test password';
const TOKEN = 'scrape-me-7f3a';

let dns: TestDnsServer;
let mx: SmtpSink;
let server: TestServer;
let secured: TestServer;
let key: string;

before(async () => {
  // One mailbox that is always "full for now": its message stays queued.
  mx = await startSmtpSink({ host: '127.0.0.2', onRcptTo: (address) => (address.startsWith('later') ? { code: 452, message: '4.2.2 Mailbox full, try later' } : undefined) });
  dns = await startDnsServer({
    'example.net': { MX: [{ preference: 10, exchange: 'mx.example.net' }] },
    'mx.example.net': { A: ['127.0.0.2'] },
  });
  const env = { dns: dns.address, mxPort: mx.port };
  server = await startHikyaku(env);
  secured = await startHikyaku(env, { metrics: { token: TOKEN } });
  await server.addUser(USER, PASSWORD);
  const keys = ApiKeyStore.open(server.dataDir);
  try {
    key = keys.create(USER, 'metrics-test').key;
  } finally {
    keys.close();
  }
});

after(async () => {
  await server?.stop();
  await secured?.stop();
  await mx?.close();
  await dns?.close();
});

/** The exposition text parsed to `name{labels}` → value (labels as written, sorted by prom-client). */
async function scrape(target: TestServer, headers: Record<string, string> = {}): Promise<Map<string, number>> {
  const response = await fetch(`http://127.0.0.1:${target.ports.http}/metrics`, { headers });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

const value = (samples: Map<string, number>, series: string): number => samples.get(series) ?? 0;
const moved = (a: Map<string, number>, b: Map<string, number>, series: string): number => value(b, series) - value(a, series);

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const plain = (login: string, password: string): string => Buffer.from(`\0${login}\0${password}`).toString('base64');

async function sendOverSmtp(d: SmtpDialog, to: string): Promise<void> {
  assert.equal((await d.command(`MAIL FROM:<${USER}>`)).code, 250);
  assert.equal((await d.command(`RCPT TO:<${to}>`)).code, 250);
  assert.equal((await d.command('DATA')).code, 354);
  const reply = await d.command(`From: <${USER}>\r\nTo: <${to}>\r\nSubject: metrics\r\n\r\nHello.\r\n.`);
  assert.equal(reply.code, 250, reply.lines.join(' '));
}

test('counters move by the right amounts as mail is accepted over SMTP and the API and delivered', async () => {
  const first = await scrape(server);
  // The families exist from the start, at zero.
  assert.equal(value(first, 'hikyaku_messages_accepted_total{via="api"}'), 0);
  assert.ok(first.has('hikyaku_recipient_outcomes_total{outcome="delivered"}'));
  assert.ok(first.has('hikyaku_queue_messages'));
  assert.ok(first.has('hikyaku_queue_oldest_message_age_seconds'));
  assert.ok(first.has('hikyaku_process_cpu_seconds_total'), 'process metrics');
  assert.ok(![...first.keys()].some((k) => k.startsWith('hikyaku_webhook_backlog')), 'no webhook gauge without a webhook source');
  const delivered = mx.messages.length;

  // Port 587: a plain session that only says QUIT, then STARTTLS with one wrong password, the right one, and two messages.
  const bare = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission });
  assert.equal((await bare.read()).code, 220);
  assert.equal((await bare.command('QUIT')).code, 221);
  await bare.close();
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission });
  assert.equal((await d.read()).code, 220);
  assert.equal((await d.command('EHLO client.test')).code, 250);
  assert.equal((await d.startTls()).code, 220);
  assert.equal((await d.command('EHLO client.test')).code, 250);
  assert.equal((await d.command(`AUTH PLAIN ${plain(USER, 'wrong password')}`)).code, 535);
  assert.equal((await d.command(`AUTH PLAIN ${plain(USER, PASSWORD)}`)).code, 235);
  // While this session is open, the current-sessions gauge counts it.
  const during = await scrape(server);
  assert.equal(value(during, 'hikyaku_smtp_sessions{listener="submission"}'), 1);
  await sendOverSmtp(d, 'one@example.net');
  await sendOverSmtp(d, 'two@example.net');
  assert.equal((await d.command('QUIT')).code, 221);
  await d.close();
  // Port 465: implicit TLS, a failed LOGIN.
  const s = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submissions, implicitTls: true });
  assert.equal((await s.read()).code, 220);
  assert.equal((await s.command('EHLO client.test')).code, 250);
  assert.equal((await s.command('AUTH LOGIN')).code, 334);
  assert.equal((await s.command(Buffer.from(USER).toString('base64'))).code, 334);
  assert.equal((await s.command(Buffer.from('not it').toString('base64'))).code, 535);
  assert.equal((await s.command('QUIT')).code, 221);
  await s.close();

  // The API: one message accepted, and one refused key.
  const post = (bearer: string): Promise<Response> =>
    fetch(`http://127.0.0.1:${server.ports.http}/api/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: USER, to: ['three@example.net'], subject: 'metrics', text: 'Hello.\n' }),
    });
  assert.equal((await post(key)).status, 202);
  assert.equal((await post('hk_not_a_real_key')).status, 401);

  await mx.waitForMessages(delivered + 3);
  let last = first;
  await waitFor(async () => {
    last = await scrape(server);
    return moved(first, last, 'hikyaku_recipient_outcomes_total{outcome="delivered"}') >= 3 && value(last, 'hikyaku_smtp_sessions{listener="submissions"}') === 0;
  }, 'three deliveries counted and the sessions closed');

  assert.equal(moved(first, last, 'hikyaku_messages_accepted_total{via="submission"}'), 2);
  assert.equal(moved(first, last, 'hikyaku_messages_accepted_total{via="api"}'), 1);
  assert.equal(moved(first, last, 'hikyaku_recipient_outcomes_total{outcome="delivered"}'), 3);
  assert.equal(moved(first, last, 'hikyaku_recipient_outcomes_total{outcome="bounced"}'), 0);
  assert.equal(moved(first, last, 'hikyaku_delivery_latency_seconds_count'), 3);
  assert.ok(value(last, 'hikyaku_delivery_latency_seconds_sum') > 0);
  assert.equal(value(last, 'hikyaku_delivery_latency_seconds_bucket{le="+Inf"}'), value(last, 'hikyaku_delivery_latency_seconds_count'));

  assert.equal(moved(first, last, 'hikyaku_smtp_sessions_total{listener="submission"}'), 2);
  assert.equal(moved(first, last, 'hikyaku_smtp_sessions_total{listener="submissions"}'), 1);
  assert.equal(value(last, 'hikyaku_smtp_sessions{listener="submission"}'), 0);
  assert.equal(moved(first, last, 'hikyaku_smtp_sessions_tls_total{listener="submission",tls="none"}'), 1);
  const tlsSessions = [...last.entries()].filter(([k]) => k.startsWith('hikyaku_smtp_sessions_tls_total{') && !k.includes('tls="none"'));
  assert.equal(
    tlsSessions.reduce((sum, [k, v]) => sum + v - value(first, k), 0),
    2,
    `two TLS sessions: ${JSON.stringify(tlsSessions)}`,
  );
  assert.ok(tlsSessions.every(([k]) => /tls="TLSv1\.[23]"/.test(k)), JSON.stringify(tlsSessions));

  assert.equal(moved(first, last, 'hikyaku_auth_failures_total{mechanism="PLAIN"}'), 1);
  assert.equal(moved(first, last, 'hikyaku_auth_failures_total{mechanism="LOGIN"}'), 1);
  assert.equal(moved(first, last, 'hikyaku_auth_failures_total{mechanism="api-key"}'), 1);

  // Everything went out: the queue is empty again.
  await waitFor(async () => value(await scrape(server), 'hikyaku_queue_messages') === 0, 'an empty queue');
  assert.equal(value(await scrape(server), 'hikyaku_queue_oldest_message_age_seconds'), 0);
});

test('the queue gauges see a message that waits', async () => {
  const post = await fetch(`http://127.0.0.1:${server.ports.http}/api/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ from: USER, to: ['later@example.net'], subject: 'stays', text: 'Waits.\n' }),
  });
  assert.equal(post.status, 202);
  // The MX answers 452: deferred, so it stays queued.
  await waitFor(async () => value(await scrape(server), 'hikyaku_recipient_outcomes_total{outcome="deferred"}') >= 1, 'a deferral');
  await new Promise((r) => setTimeout(r, 1100));
  const samples = await scrape(server);
  assert.equal(value(samples, 'hikyaku_queue_messages'), 1);
  const age = value(samples, 'hikyaku_queue_oldest_message_age_seconds');
  assert.ok(age >= 1 && age < 60, `age ${age}`);
});

test('metrics.token: 401 without the token or with a wrong one, 200 with it', async () => {
  const anonymous = await fetch(`http://127.0.0.1:${secured.ports.http}/metrics`);
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
  assert.doesNotMatch(await anonymous.text(), /hikyaku_/);
  const wrong = await fetch(`http://127.0.0.1:${secured.ports.http}/metrics`, { headers: { authorization: 'Bearer nope' } });
  assert.equal(wrong.status, 401);
  const samples = await scrape(secured, { authorization: `Bearer ${TOKEN}` });
  assert.ok(samples.has('hikyaku_messages_accepted_total{via="submission"}'));
});

test('metrics.enabled: false serves no /metrics', async () => {
  const off = await startHikyaku({ dns: dns.address, mxPort: mx.port }, { metrics: { enabled: false } });
  try {
    const response = await fetch(`http://127.0.0.1:${off.ports.http}/metrics`);
    assert.equal(response.status, 404);
  } finally {
    await off.stop();
  }
});
