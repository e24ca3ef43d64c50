// Routing and reply handling of the deliverer, over real sockets: a test DNS
// server and receiving sinks on 127.0.0.2, .3, ... sharing one port.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { deliverer, deliveryConfig, dnsServer, HOSTNAME, request, sinks, summary } from './fixtures.js';

// What the queue stores has CRLF line endings only (intake and `store import` make it so:
// test/e2e/smtp-protocol.test.ts, test/queue/store-import-crlf.test.ts).
test('message arrives byte for byte as stored: leading dots stuffed and unstuffed, 8-bit octets kept', async (t) => {
  const dns = await dnsServer(t, { 'a.test': { MX: [{ preference: 10, exchange: 'mx.a.test' }] }, 'mx.a.test': { A: ['127.0.0.2'] } });
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port));

  const stored = Buffer.from('Subject: dots\r\n\r\n.hidden\r\nline\r\n..two\r\n.\r\nend\r\n8bit: \xe3\x81\x82\r\nbare\r\ncr\r\n', 'latin1');
  const outcomes = await d.deliver(request(['rcpt@a.test'], stored, 'from@hikyaku.test'));
  assert.equal(outcomes.length, 1);
  assert.ok(outcomes[0]?.kind === 'delivered', JSON.stringify(outcomes[0]));
  assert.equal(outcomes[0].remoteReply.code, 250);

  const [mail] = sink!.messages;
  assert.ok(mail);
  const expected = Buffer.from('Subject: dots\r\n\r\n.hidden\r\nline\r\n..two\r\n.\r\nend\r\n8bit: \xe3\x81\x82\r\nbare\r\ncr\r\n', 'latin1');
  assert.equal(mail.raw.toString('latin1'), expected.toString('latin1'));
  assert.ok(mail.raw.equals(expected));
  assert.equal(mail.mailFrom, 'from@hikyaku.test');
  assert.deepEqual(mail.rcptTo, ['rcpt@a.test']);
  assert.equal(mail.heloName, HOSTNAME);
});

test('the null reverse-path is sent as MAIL FROM:<>', async (t) => {
  const dns = await dnsServer(t, { 'a.test': { A: ['127.0.0.2'] } });
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port));
  const outcomes = await d.deliver(request(['x@a.test'], 'Subject: bounce\r\n\r\nbody\r\n', ''));
  assert.equal(outcomes[0]?.kind, 'delivered');
  assert.equal(sink!.messages[0]?.mailFrom, '');
});

test('first MX refuses connections → second MX', async (t) => {
  const dns = await dnsServer(t, {
    'b.test': { MX: [{ preference: 10, exchange: 'mx1.b.test' }, { preference: 20, exchange: 'mx2.b.test' }] },
    'mx1.b.test': { A: ['127.0.0.9'] }, // nothing listens there
    'mx2.b.test': { A: ['127.0.0.3'] },
  });
  const [sink] = await sinks(t, [{ host: '127.0.0.3' }]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port));
  const [o] = await d.deliver(request(['u@b.test']));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.equal(o.relay.host, 'mx2.b.test');
  assert.equal(o.relay.ip, '127.0.0.3');
  assert.equal(o.relay.port, sink!.port);
  assert.equal(sink!.messages.length, 1);
});

test('every MX refuses connections → deferred 4.4.1', async (t) => {
  const dns = await dnsServer(t, {
    'b.test': { MX: [{ preference: 10, exchange: 'mx1.b.test' }] },
    'mx1.b.test': { A: ['127.0.0.9'] },
  });
  // A sink only to get a port nothing listens on at 127.0.0.9.
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port));
  const [o] = await d.deliver(request(['u@b.test']));
  assert.ok(o?.kind === 'deferred', JSON.stringify(o));
  assert.equal(o.failure.status, '4.4.1');
  assert.equal(o.failure.stage, 'connect');
  assert.equal(o.relay?.ip, '127.0.0.9');
});

test('MX answering 421 at greeting → next MX; 5xx greeting on the only MX → bounced', async (t) => {
  const dns = await dnsServer(t, {
    'c.test': { MX: [{ preference: 10, exchange: 'busy.c.test' }, { preference: 20, exchange: 'ok.c.test' }] },
    'busy.c.test': { A: ['127.0.0.4'] },
    'ok.c.test': { A: ['127.0.0.2'] },
    'hostile.test': { MX: [{ preference: 10, exchange: 'mx.hostile.test' }] },
    'mx.hostile.test': { A: ['127.0.0.5'] },
  });
  const [ok, busy, hostile] = await sinks(t, [
    { host: '127.0.0.2' },
    { host: '127.0.0.4', greeting: { code: 421, message: '4.3.2 busy, try later' } },
    { host: '127.0.0.5', greeting: { code: 554, message: '5.7.1 go away' } },
  ]);
  const d = deliverer(t, deliveryConfig(dns, ok!.port));
  const [o] = await d.deliver(request(['u@c.test']));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.equal(o.relay.host, 'ok.c.test');
  assert.equal(busy!.connectionCount, 1);

  const [h] = await d.deliver(request(['u@hostile.test']));
  assert.ok(h?.kind === 'bounced', JSON.stringify(h));
  assert.equal(h.failure.status, '5.7.1');
  assert.equal(h.failure.stage, 'greeting');
  assert.equal(h.failure.remoteReply?.code, 554);
  assert.equal(hostile!.connectionCount, 1);
});

test('no MX → the domain A record (RFC 5321 §5.1)', async (t) => {
  const dns = await dnsServer(t, { 'implicit.test': { A: ['127.0.0.2'] } });
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port));
  const [o] = await d.deliver(request(['u@implicit.test']));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.equal(o.relay.host, 'implicit.test');
  assert.equal(sink!.messages.length, 1);
});

test('address literal recipient goes to that address without DNS (RFC 5321 §4.1.3)', async (t) => {
  const dns = await dnsServer(t, {});
  const [sink] = await sinks(t, [{ host: '127.0.0.3' }]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port));
  const [o] = await d.deliver(request(['postmaster@[127.0.0.3]']));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.equal(o.relay.ip, '127.0.0.3');
  assert.deepEqual(sink!.messages[0]?.rcptTo, ['postmaster@[127.0.0.3]']);
  assert.equal(dns.queries.length, 0);
});

test('null MX → bounced 5.1.10 without connecting; NXDOMAIN → 5.1.2; DNS timeout → deferred 4.4.3', async (t) => {
  const dns = await dnsServer(t, {
    'nomail.test': { MX: [{ preference: 0, exchange: '.' }], A: ['127.0.0.2'] },
    'slow.test': { A: ['127.0.0.2'] },
  });
  dns.setBehaviour('slow.test', 'timeout');
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port));
  const outcomes = await d.deliver(request(['a@nomail.test', 'b@missing.test', 'c@slow.test']));
  assert.deepEqual(summary(outcomes), [
    ['a@nomail.test', 'bounced', '5.1.10'],
    ['b@missing.test', 'bounced', '5.1.2'],
    ['c@slow.test', 'deferred', '4.4.3'],
  ]);
  for (const o of outcomes) assert.ok(o.kind !== 'delivered' && o.failure.stage === 'dns');
  assert.equal(sink!.connectionCount, 0);
});

test('one transaction, three recipients answered 250 / 451 / 550 → delivered / deferred / bounced', async (t) => {
  const dns = await dnsServer(t, { 'd.test': { A: ['127.0.0.2'] } });
  const [sink] = await sinks(t, [
    {
      host: '127.0.0.2',
      onRcptTo: (a) =>
        a.startsWith('later') ? { code: 451, message: '4.7.1 greylisted' } : a.startsWith('nobody') ? { code: 550, message: '5.1.1 no such user' } : undefined,
    },
  ]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port));
  const outcomes = await d.deliver(request(['ok@d.test', 'later@d.test', 'nobody@d.test']));
  assert.deepEqual(summary(outcomes).map(([r, k, s]) => [r, k, k === 'delivered' ? 'ok' : s]), [
    ['ok@d.test', 'delivered', 'ok'],
    ['later@d.test', 'deferred', '4.7.1'],
    ['nobody@d.test', 'bounced', '5.1.1'],
  ]);
  const bounced = outcomes[2];
  assert.ok(bounced?.kind === 'bounced');
  assert.equal(bounced.failure.stage, 'rcpt');
  assert.deepEqual(bounced.failure.remoteReply, { code: 550, enhanced: '5.1.1', text: 'no such user' });
  assert.equal(bounced.relay?.ip, '127.0.0.2');
  assert.equal(sink!.connectionCount, 1);
  assert.equal(sink!.messages.length, 1);
  assert.deepEqual(sink!.messages[0]?.rcptTo, ['ok@d.test']);
});

test('451 at RCPT on the first MX: that recipient is tried on the next MX (Postfix behaviour)', async (t) => {
  const dns = await dnsServer(t, {
    'e.test': { MX: [{ preference: 10, exchange: 'mx1.e.test' }, { preference: 20, exchange: 'mx2.e.test' }] },
    'mx1.e.test': { A: ['127.0.0.2'] },
    'mx2.e.test': { A: ['127.0.0.3'] },
  });
  const [first, second] = await sinks(t, [
    { host: '127.0.0.2', onRcptTo: (a) => (a.startsWith('grey') ? { code: 451, message: '4.7.1 later' } : undefined) },
    { host: '127.0.0.3' },
  ]);
  const d = deliverer(t, deliveryConfig(dns, first!.port));
  const outcomes = await d.deliver(request(['plain@e.test', 'grey@e.test']));
  assert.deepEqual(outcomes.map((o) => [o.rcptTo, o.kind, o.relay?.ip]), [
    ['plain@e.test', 'delivered', '127.0.0.2'],
    ['grey@e.test', 'delivered', '127.0.0.3'],
  ]);
  assert.deepEqual(first!.messages.map((m) => m.rcptTo), [['plain@e.test']]);
  assert.deepEqual(second!.messages.map((m) => m.rcptTo), [['grey@e.test']]);
});

test('5xx at MAIL FROM → every recipient of the transaction bounced', async (t) => {
  const dns = await dnsServer(t, { 'f.test': { A: ['127.0.0.2'] } });
  const [sink] = await sinks(t, [{ host: '127.0.0.2', onMailFrom: () => ({ code: 553, message: '5.7.1 sender rejected' }) }]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port));
  const outcomes = await d.deliver(request(['a@f.test', 'b@f.test']));
  assert.deepEqual(summary(outcomes), [
    ['a@f.test', 'bounced', '5.7.1'],
    ['b@f.test', 'bounced', '5.7.1'],
  ]);
  for (const o of outcomes) assert.ok(o.kind === 'bounced' && o.failure.stage === 'mail');
  assert.equal(sink!.messages.length, 0);
});

test('5xx after DATA → every accepted recipient bounced; an earlier RCPT refusal keeps its own reply', async (t) => {
  const dns = await dnsServer(t, { 'g.test': { A: ['127.0.0.2'] } });
  const [sink] = await sinks(t, [
    {
      host: '127.0.0.2',
      onRcptTo: (a) => (a.startsWith('later') ? { code: 452, message: '4.2.2 mailbox full' } : undefined),
      onData: () => ({ code: 554, message: '5.6.0 content rejected' }),
    },
  ]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port));
  const outcomes = await d.deliver(request(['a@g.test', 'later@g.test', 'b@g.test']));
  assert.deepEqual(summary(outcomes), [
    ['a@g.test', 'bounced', '5.6.0'],
    ['later@g.test', 'deferred', '4.2.2'],
    ['b@g.test', 'bounced', '5.6.0'],
  ]);
  assert.ok(outcomes[0]?.kind === 'bounced' && outcomes[0].failure.stage === 'data');
  assert.ok(outcomes[1]?.kind === 'deferred' && outcomes[1].failure.stage === 'rcpt');
});

test('several domains, a bad address and a duplicate: one outcome per requested recipient, in order', async (t) => {
  const dns = await dnsServer(t, { 'h1.test': { A: ['127.0.0.2'] }, 'h2.test': { A: ['127.0.0.3'] } });
  const [s1, s2] = await sinks(t, [{ host: '127.0.0.2' }, { host: '127.0.0.3' }]);
  const d = deliverer(t, deliveryConfig(dns, s1!.port));
  const rcpts = ['x@h1.test', 'no-domain', 'y@h2.test', 'x@h1.test', 'z@gone.test', 'w@h1.test'];
  const outcomes = await d.deliver(request(rcpts));
  assert.deepEqual(outcomes.map((o) => o.rcptTo), rcpts);
  assert.deepEqual(outcomes.map((o) => o.kind), ['delivered', 'bounced', 'delivered', 'delivered', 'bounced', 'delivered']);
  assert.ok(outcomes[1]?.kind === 'bounced' && outcomes[1].failure.status === '5.1.3');
  // One transaction per domain; the duplicate is sent once.
  assert.deepEqual(s1!.messages.map((m) => m.rcptTo), [['x@h1.test', 'w@h1.test']]);
  assert.deepEqual(s2!.messages.map((m) => m.rcptTo), [['y@h2.test']]);
});

/** A hand-scripted TCP server on `host` (port 0) for misbehaving-server cases smtp-server cannot play. */
async function rawServer(t: TestContext, host: string, onConnection: (socket: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

test('connection dropped after EHLO → deferred 4.4.2, and the process survives', async (t) => {
  const dns = await dnsServer(t, { 'drop.test': { A: ['127.0.0.6'] } });
  // Greets, answers EHLO, then hangs up on MAIL.
  const port = await rawServer(t, '127.0.0.6', (socket) => {
    socket.write('220 drop.test ESMTP\r\n');
    socket.on('data', (chunk) => {
      if (/^EHLO/i.test(chunk.toString('latin1'))) socket.write('250-drop.test\r\n250 PIPELINING\r\n');
      else socket.destroy();
    });
  });
  const d = deliverer(t, deliveryConfig(dns, port));
  const [o] = await d.deliver(request(['u@drop.test']));
  assert.ok(o?.kind === 'deferred', JSON.stringify(o));
  assert.equal(o.failure.status, '4.4.2');
  assert.equal(o.failure.stage, 'mail');
});

test('server silent after the greeting → deferred 4.4.2 at EHLO once commandTimeoutMs passes', async (t) => {
  const dns = await dnsServer(t, { 'mute.test': { A: ['127.0.0.7'] } });
  const port = await rawServer(t, '127.0.0.7', (socket) => {
    socket.write('220 mute.test ESMTP\r\n');
  });
  const d = deliverer(t, deliveryConfig(dns, port, { commandTimeoutMs: 150 }));
  const [o] = await d.deliver(request(['u@mute.test']));
  assert.ok(o?.kind === 'deferred', JSON.stringify(o));
  assert.equal(o.failure.status, '4.4.2');
  assert.equal(o.failure.stage, 'ehlo');
  assert.match(o.failure.detail, /timed out/);
});

test('server that never greets → next MX', async (t) => {
  const dns = await dnsServer(t, {
    'quiet.test': { MX: [{ preference: 10, exchange: 'mx1.quiet.test' }, { preference: 20, exchange: 'mx2.quiet.test' }] },
    'mx1.quiet.test': { A: ['127.0.0.8'] },
    'mx2.quiet.test': { A: ['127.0.0.2'] },
  });
  const port = await rawServer(t, '127.0.0.8', () => undefined);
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }], port);
  const d = deliverer(t, deliveryConfig(dns, port, { commandTimeoutMs: 150 }));
  const [o] = await d.deliver(request(['u@quiet.test']));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.equal(o.relay.host, 'mx2.quiet.test');
  assert.equal(sink!.messages.length, 1);
});

test('after close(), deliveries are deferred without connecting', async (t) => {
  const dns = await dnsServer(t, { 'late.test': { A: ['127.0.0.2'] } });
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port));
  await d.close();
  const [o] = await d.deliver(request(['u@late.test']));
  assert.ok(o?.kind === 'deferred');
  assert.match(o.failure.status, /^4\./);
  assert.equal(sink!.connectionCount, 0);
});
