// Connection reuse, per-destination limits and SIZE, over real sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { deliverer, deliveryConfig, dnsServer, request, sinks, summary } from './fixtures.js';

const ZONE = { 'pool.test': { MX: [{ preference: 10, exchange: 'mx.pool.test' }] }, 'mx.pool.test': { A: ['127.0.0.2'] } };

test('five messages to one domain, one after another → one connection (RSET between transactions)', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port));
  for (let i = 0; i < 5; i++) {
    const [o] = await d.deliver(request([`u${i}@pool.test`], `Subject: ${i}\r\n\r\nmessage ${i}\r\n`));
    assert.equal(o?.kind, 'delivered', JSON.stringify(o));
  }
  assert.equal(sink!.connectionCount, 1);
  assert.deepEqual(sink!.messages.map((m) => m.rcptTo[0]), ['u0@pool.test', 'u1@pool.test', 'u2@pool.test', 'u3@pool.test', 'u4@pool.test']);
  assert.deepEqual(sink!.messages.map((m) => m.raw.toString()), [0, 1, 2, 3, 4].map((i) => `Subject: ${i}\r\n\r\nmessage ${i}\r\n`));
  assert.equal(new Set(sink!.messages.map((m) => m.connectionId)).size, 1);
});

test('maxMessagesPerConnection: a connection is replaced after that many messages', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port, { maxMessagesPerConnection: 2 }));
  for (let i = 0; i < 5; i++) assert.equal((await d.deliver(request([`u${i}@pool.test`])))[0]?.kind, 'delivered');
  assert.equal(sink!.connectionCount, 3);
});

test('six parallel deliveries with a limit of 2 per destination → only 2 connections, all delivered', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port, { maxConnectionsPerDestination: 2 }));
  const all = await Promise.all(Array.from({ length: 6 }, (_, i) => d.deliver(request([`p${i}@pool.test`]))));
  assert.deepEqual(all.map((o) => o[0]?.kind), Array(6).fill('delivered'));
  // Waiting deliveries take over the connections of finished ones instead of opening more.
  assert.equal(sink!.connectionCount, 2);
  assert.equal(sink!.messages.length, 6);
});

test('a connection idle longer than idleConnectionTimeoutMs is closed and a new one opened', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port, { idleConnectionTimeoutMs: 20 }));
  assert.equal((await d.deliver(request(['a@pool.test'])))[0]?.kind, 'delivered');
  await sleep(200); // the 20 ms idle timer has fired by then
  assert.equal((await d.deliver(request(['b@pool.test'])))[0]?.kind, 'delivered');
  assert.equal(sink!.connectionCount, 2);
});

test('a connection that received a 421 is not reused', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const [sink] = await sinks(t, [{ host: '127.0.0.2', onRcptTo: (a) => (a.startsWith('closing') ? { code: 421, message: '4.3.2 shutting down' } : undefined) }]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port));
  const first = await d.deliver(request(['closing@pool.test']));
  assert.deepEqual(summary(first), [['closing@pool.test', 'deferred', '4.3.2']]);
  assert.equal((await d.deliver(request(['next@pool.test'])))[0]?.kind, 'delivered');
  assert.equal(sink!.connectionCount, 2);
});

test('message larger than the SIZE the server announced → bounced 5.3.4 without MAIL or DATA', async (t) => {
  const dns = await dnsServer(t, ZONE);
  let mailCommands = 0;
  const [sink] = await sinks(t, [
    {
      host: '127.0.0.2',
      size: 1000,
      onMailFrom: () => {
        mailCommands++;
        return undefined;
      },
    },
  ]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port));
  const big = `Subject: big\r\n\r\n${'x'.repeat(2000)}\r\n`;
  const outcomes = await d.deliver(request(['a@pool.test', 'b@pool.test'], big));
  assert.deepEqual(summary(outcomes), [
    ['a@pool.test', 'bounced', '5.3.4'],
    ['b@pool.test', 'bounced', '5.3.4'],
  ]);
  assert.ok(outcomes[0]?.kind === 'bounced' && outcomes[0].failure.detail.includes('1000'));
  assert.equal(mailCommands, 0);
  assert.equal(sink!.messages.length, 0);

  // A message within the limit still goes, on the same connection.
  assert.equal((await d.deliver(request(['c@pool.test'], 'Subject: small\r\n\r\nok\r\n')))[0]?.kind, 'delivered');
  assert.equal(mailCommands, 1);
  assert.equal(sink!.connectionCount, 1);
});
