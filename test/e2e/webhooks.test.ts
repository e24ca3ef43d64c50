// Webhooks end to end, over real sockets: Hikyaku delivers to a real MX on
// loopback and POSTs its events to a real HTTP receiver (node:http) that
// answers 500 to the first two tries of every event. Every event must arrive
// (the set of ids complete, each taken once), in order per message, with a
// signature that the README's check accepts and that fails on a changed
// body; and events pending at a kill -9 arrive after the restart.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { SmtpDialog } from '../helpers/smtp-dialog.js';
import { spawnHikyaku, startHikyaku, tempDir, testRawConfig, writeConfigFile } from '../helpers/hikyaku.js';
import { ApiKeyStore } from '../../src/users/api-keys.js';
import { DomainStore } from '../../src/domains/domain-store.js';
import { eventsByMessage as byMessage, startWebhookReceiver, verifyWebhook as verify, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const SECRET = 'whsec-test-0123456789abcdef';
// The first retry after 200 ms instead of 1 s (then 400 ms, …): the test runs in seconds.
process.env['HIKYAKU_TEST_WEBHOOK_RETRY_MS'] = '200';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A receiver that refuses every event twice (500), then takes it; and refuses everything while `down`. */
async function startReceiver(): Promise<WebhookReceiver & { down: boolean }> {
  const state = { down: false };
  const receiver = await startWebhookReceiver(SECRET, (_event, tryNumber) => (state.down || tryNumber <= 2 ? 'refuse' : 'take'));
  return Object.defineProperty(receiver, 'down', { get: () => state.down, set: (v: boolean) => (state.down = v) }) as WebhookReceiver & { down: boolean };
}

async function sendSmtp(port: number, rcpts: readonly string[], subject: string): Promise<string> {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
  await d.read();
  await d.command('EHLO app.test');
  await d.command('MAIL FROM:<app@shop.test>');
  for (const r of rcpts) await d.command(`RCPT TO:<${r}>`);
  await d.command('DATA');
  const reply = await d.command(`From: app@shop.test\r\nSubject: ${subject}\r\n\r\n${subject}\r\n.`);
  assert.equal(reply.code, 250, reply.text);
  d.write('QUIT\r\n');
  void d.close();
  return /queued as (\S+)/.exec(reply.text)?.[1] ?? '';
}

test('every event arrives, in order per message, signed, through a receiver that fails twice per event', async () => {
  const receiver = await startReceiver();
  cleanups.push(() => receiver.close());
  let laterRefused = false;
  const mx = await startSmtpSink({
    host: '127.0.0.31',
    onRcptTo: (address) => {
      if (address.startsWith('bad@')) return { code: 550, message: '5.1.1 No such user' };
      if (address.startsWith('later@') && !laterRefused) {
        laterRefused = true;
        return { code: 451, message: '4.3.0 Try again later' };
      }
      return undefined;
    },
  });
  cleanups.push(() => mx.close());
  const dns = await startDnsServer({ 'dest.test': { MX: [{ preference: 10, exchange: 'mx.dest.test' }] }, 'mx.dest.test': { A: ['127.0.0.31'] } });
  cleanups.push(() => dns.close());
  const dataDir = join(tempDir('hikyaku-webhooks-'), 'data');
  DomainStore.open(dataDir).add('shop.test');
  const server = await startHikyaku(
    { dns: dns.address, mxPort: mx.port },
    { webhooks: [{ url: receiver.url, events: ['accepted', 'delivered', 'deferred', 'bounced', 'expired'], secret: SECRET }] },
    { dataDir },
  );
  cleanups.push(() => server.stop());
  await server.addUser('shop@shop.test', 'webhook test password');
  const keys = ApiKeyStore.open(dataDir);
  const { key } = keys.create('shop@shop.test', 'hooks');
  keys.close();

  const mixed = await sendSmtp(server.ports.relay, ['ok@dest.test', 'bad@dest.test'], 'mixed');
  const later = await sendSmtp(server.ports.relay, ['later@dest.test'], 'later');
  const response = await fetch(`http://127.0.0.1:${server.ports.http}/api/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ from: 'shop@shop.test', to: ['ok@dest.test'], subject: 'api', text: 'api', tag: 'order-42', metadata: { orderId: '42' } }),
  });
  const answer = (await response.json()) as { id?: string };
  assert.equal(response.status, 202, JSON.stringify(answer));
  const api = String(answer.id);

  // mixed: 2 accepted, delivered, bounced; later: accepted, deferred, delivered; api: accepted, delivered.
  await receiver.waitFor(9);
  await new Promise((r) => setTimeout(r, 500));
  const ids = receiver.taken.map((e) => e.id);
  assert.equal(new Set(ids).size, 9, 'no event beyond the expected ones');
  for (const [id, n] of receiver.tries) assert.equal(n, 3, `event ${id}: two refusals, then taken once`);

  const messages = byMessage(receiver.taken);
  const types = (id: string): string[] => (messages.get(id) ?? []).map((e) => `${e.type}:${e.recipient}`);
  const mixedTypes = types(mixed);
  assert.deepEqual(mixedTypes.slice(0, 2).sort(), ['accepted:bad@dest.test', 'accepted:ok@dest.test']);
  assert.deepEqual(mixedTypes.slice(2).sort(), ['bounced:bad@dest.test', 'delivered:ok@dest.test']);
  assert.deepEqual(types(later), ['accepted:later@dest.test', 'deferred:later@dest.test', 'delivered:later@dest.test']);
  assert.deepEqual(types(api), ['accepted:ok@dest.test', 'delivered:ok@dest.test']);

  const events = [...messages.values()].flat();
  const bounced = events.find((e) => e.type === 'bounced');
  assert.equal(bounced?.reply?.code, 550);
  assert.equal(bounced?.reply?.enhanced, '5.1.1');
  assert.match(bounced?.reply?.text ?? '', /No such user/);
  assert.ok(bounced?.reply?.remoteMta, 'the remote MTA is named');
  const deferred = events.find((e) => e.type === 'deferred');
  assert.equal(deferred?.reply?.code, 451);
  const delivered = events.find((e) => e.type === 'delivered' && e.messageId === api);
  assert.equal(delivered?.reply?.code, 250);
  for (const e of events) {
    assert.ok(!Number.isNaN(Date.parse(e.timestamp)), 'timestamp');
    if (e.messageId === api) {
      assert.equal(e.tag, 'order-42', `${e.type} carries the API tag`);
      assert.deepEqual(e.metadata, { orderId: '42' });
    } else {
      assert.equal(e.tag, undefined);
    }
  }

  // The README's check: every body verifies; a changed body does not.
  const { body, signature } = receiver.bodies[0]!;
  assert.ok(verify(SECRET, body, signature));
  assert.equal(verify(SECRET, body.replace('"type":"', '"type":"x'), signature), false, 'a tampered body fails');
  assert.equal(verify('another-secret-of-some-length', body, signature), false, 'another secret fails');
});

test('events pending at a kill -9 arrive after the restart', async () => {
  const receiver = await startReceiver();
  cleanups.push(() => receiver.close());
  receiver.down = true;
  const mx = await startSmtpSink({ host: '127.0.0.32' });
  cleanups.push(() => mx.close());
  const dns = await startDnsServer({ 'dest.test': { MX: [{ preference: 10, exchange: 'mx.dest.test' }] }, 'mx.dest.test': { A: ['127.0.0.32'] } });
  cleanups.push(() => dns.close());
  const dir = tempDir('hikyaku-webhooks-kill-');
  const raw = testRawConfig({ dns: dns.address, mxPort: mx.port }, join(dir, 'data'), {
    listeners: { submission: { enabled: false }, submissions: { enabled: false }, http: { enabled: false } },
    webhooks: [{ url: receiver.url, events: ['accepted', 'delivered'], secret: SECRET }],
  });
  const configFile = writeConfigFile(dir, raw);
  const first = await spawnHikyaku(['--config', configFile]);
  const one = await sendSmtp(first.ports['relay'] as number, ['a@dest.test'], 'one');
  const two = await sendSmtp(first.ports['relay'] as number, ['b@dest.test', 'c@dest.test'], 'two');
  await mx.waitForMessages(2, 10_000);
  // The dispatcher is trying (and failing): the events are pending in the outbox.
  const deadline = Date.now() + 10_000;
  while (receiver.tries.size < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(receiver.tries.size >= 2, 'the dispatcher was sending');
  await new Promise((r) => setTimeout(r, 300)); // the delivered outcomes are committed
  first.process.kill('SIGKILL');
  await first.exited;
  assert.equal(receiver.taken.length, 0, 'nothing taken before the kill');

  receiver.down = false;
  const second = await spawnHikyaku(['--config', configFile]);
  cleanups.push(async () => {
    second.process.kill('SIGTERM');
    await second.exited;
  });
  // one: accepted, delivered; two: 2 accepted, 2 delivered.
  await receiver.waitFor(6);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(new Set(receiver.taken.map((e) => e.id)).size, 6);
  const messages = byMessage(receiver.taken);
  assert.deepEqual((messages.get(one) ?? []).map((e) => e.type), ['accepted', 'delivered']);
  assert.deepEqual((messages.get(two) ?? []).map((e) => e.type).slice(0, 2), ['accepted', 'accepted']);
  assert.deepEqual((messages.get(two) ?? []).map((e) => e.type).slice(2), ['delivered', 'delivered']);
});
