// Delivery end to end: MX routing, retries, partial failures and bounces,
// through the whole server with a real DNS server and real MX hosts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { SmtpDialog } from '../helpers/smtp-dialog.js';
import { startHikyaku, type TestServer } from '../helpers/hikyaku.js';
import { parseDsn } from '../helpers/dsn-parse.js';

let dns: TestDnsServer;
const sinks: SmtpSink[] = [];
let server: TestServer;
let secondMx: SmtpSink, aOnly: SmtpSink, retrying: SmtpSink, mixed: SmtpSink, senderMx: SmtpSink;
const seenRetry = new Set<string>();

before(async () => {
  secondMx = await startSmtpSink({ host: '127.0.0.3' });
  const port = secondMx.port;
  aOnly = await startSmtpSink({ host: '127.0.0.4', port });
  retrying = await startSmtpSink({
    host: '127.0.0.5',
    port,
    // First attempt for each recipient: 451; later ones: accepted.
    onRcptTo: (address) => {
      if (seenRetry.has(address)) return undefined;
      seenRetry.add(address);
      return { code: 451, message: '4.3.0 greylisted, try again later' };
    },
  });
  mixed = await startSmtpSink({
    host: '127.0.0.6',
    port,
    onRcptTo: (address) =>
      address.startsWith('later@') ? { code: 451, message: '4.2.1 mailbox busy' } : address.startsWith('bad@') ? { code: 550, message: '5.1.1 no such user here' } : undefined,
  });
  senderMx = await startSmtpSink({ host: '127.0.0.7', port });
  sinks.push(secondMx, aOnly, retrying, mixed, senderMx);
  dns = await startDnsServer({
    'two-mx.test': { MX: [{ preference: 10, exchange: 'down.two-mx.test' }, { preference: 20, exchange: 'up.two-mx.test' }] },
    'down.two-mx.test': { A: ['127.0.0.9'] },
    'up.two-mx.test': { A: ['127.0.0.3'] },
    'a-only.test': { A: ['127.0.0.4'] },
    'nullmx.test': { MX: [{ preference: 0, exchange: '.' }], A: ['127.0.0.4'] },
    'retry.test': { MX: [{ preference: 10, exchange: 'mx.retry.test' }] },
    'mx.retry.test': { A: ['127.0.0.5'] },
    'mixed.test': { MX: [{ preference: 10, exchange: 'mx.mixed.test' }] },
    'mx.mixed.test': { A: ['127.0.0.6'] },
    'shop.test': { MX: [{ preference: 10, exchange: 'mx.shop.test' }] },
    'mx.shop.test': { A: ['127.0.0.7'] },
  });
  server = await startHikyaku({ dns: dns.address, mxPort: port });
});

after(async () => {
  await server?.stop();
  await Promise.all(sinks.map((s) => s.close()));
  await dns?.close();
});

/** Send one message through the trusted relay listener (from 127.0.0.2). */
async function relay(mailFrom: string, rcptTo: string[], subject: string): Promise<string> {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.relay, localAddress: '127.0.0.2' });
  await d.read();
  await d.command('EHLO app.shop.test');
  assert.equal((await d.command(`MAIL FROM:<${mailFrom}>`)).code, 250);
  for (const r of rcptTo) assert.equal((await d.command(`RCPT TO:<${r}>`)).code, 250);
  assert.equal((await d.command('DATA')).code, 354);
  const reply = await d.command(`From: <${mailFrom}>\r\nTo: ${rcptTo.join(', ')}\r\nSubject: ${subject}\r\n\r\nbody of ${subject}\r\n.`);
  assert.equal(reply.code, 250, reply.text);
  await d.command('QUIT');
  await d.close();
  const id = /queued as ([0-9A-Z]+)/.exec(reply.text)?.[1];
  assert.ok(id);
  return id;
}

async function bounceFor(queueId: string): Promise<Awaited<ReturnType<typeof parseDsn>>> {
  for (let i = 0; i < 100; i++) {
    for (const m of senderMx.messages) {
      if (m.mailFrom === '' && m.raw.includes(queueId)) return parseDsn(m.raw);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no bounce for ${queueId} arrived at the sender's MX`);
}

test('first MX down → the second MX gets the message', async () => {
  const before = secondMx.messages.length;
  await relay('app@shop.test', ['user@two-mx.test'], 'two mx');
  const [m] = (await secondMx.waitForMessages(before + 1)).slice(before);
  assert.deepEqual(m?.rcptTo, ['user@two-mx.test']);
});

test('no MX → delivered to the A record', async () => {
  const before = aOnly.messages.length;
  await relay('app@shop.test', ['user@a-only.test'], 'a only');
  const [m] = (await aOnly.waitForMessages(before + 1)).slice(before);
  assert.deepEqual(m?.rcptTo, ['user@a-only.test']);
});

test('null MX → bounced 5.1.10 without any connection; the DSN reaches the sender domain MX', async () => {
  const connections = aOnly.connectionCount;
  const id = await relay('app@shop.test', ['user@nullmx.test'], 'null mx');
  const dsn = await bounceFor(id);
  assert.equal(dsn.contentType, 'multipart/report');
  assert.equal(dsn.reportType, 'delivery-status');
  assert.equal(dsn.recipients.length, 1);
  assert.equal(dsn.recipients[0]?.['status'], '5.1.10');
  assert.equal(dsn.recipients[0]?.['action'], 'failed');
  assert.equal(aOnly.connectionCount, connections, 'the A record of a null-MX domain is never contacted');
  assert.ok(!dns.queries.some((q) => q.name === 'nullmx.test' && q.type === 'A'), 'no A fallback for a null MX');
});

test('4xx then success on retry', async () => {
  const before = retrying.messages.length;
  const id = await relay('app@shop.test', ['greylisted@retry.test'], 'retry');
  const deferred = await server.waitForLog((r) => r['event'] === 'delivery' && r['queueId'] === id && r['status'] === 'deferred');
  assert.equal(deferred['dsn'], '4.3.0');
  const [m] = (await retrying.waitForMessages(before + 1)).slice(before);
  assert.deepEqual(m?.rcptTo, ['greylisted@retry.test']);
  await server.waitForLog((r) => r['event'] === 'delivery' && r['queueId'] === id && r['status'] === 'sent');
});

test('one transaction, three recipients answered 250 / 451 / 550: delivered, retried, bounced with a proper DSN', async () => {
  const before = mixed.messages.length;
  const id = await relay('app@shop.test', ['ok@mixed.test', 'later@mixed.test', 'bad@mixed.test'], 'mixed');
  const [m] = (await mixed.waitForMessages(before + 1)).slice(before);
  assert.deepEqual(m?.rcptTo, ['ok@mixed.test']);
  const dsn = await bounceFor(id);
  assert.equal(dsn.recipients.length, 1, 'only the 550 recipient is in the failure DSN');
  const bad = dsn.recipients[0]!;
  assert.equal(bad['final-recipient'], 'rfc822; bad@mixed.test');
  assert.equal(bad['action'], 'failed');
  assert.equal(bad['status'], '5.1.1');
  assert.match(bad['remote-mta'] ?? '', /^dns; mx\.mixed\.test/);
  assert.match(bad['diagnostic-code'] ?? '', /^smtp; 550 5\.1\.1 no such user here/);
  assert.match(dsn.perMessage['reporting-mta'] ?? '', /^dns; mail\.hikyaku\.test/);
  assert.match(dsn.returnedHeaders ?? '', /Subject: mixed/);
  assert.match(dsn.text, /bad@mixed\.test/);
  const retried = await server.waitForLog((r) => r['event'] === 'delivery' && r['queueId'] === id && r['rcptTo'] === 'later@mixed.test' && Number(r['attempt']) >= 2);
  assert.equal(retried['status'], 'deferred');
  const bounceMsg = senderMx.messages.find((x) => x.mailFrom === '' && x.raw.includes(id));
  assert.deepEqual(bounceMsg?.rcptTo, ['app@shop.test']);
  assert.match(bounceMsg!.raw.toString(), /^From: .*MAILER-DAEMON@mail\.hikyaku\.test/im);
});

test('a bounce is never bounced: a null-sender message to a bad recipient makes no DSN', async () => {
  const id = await relay('', ['bad@mixed.test'], 'null sender');
  await server.waitForLog((r) => r['event'] === 'delivery' && r['queueId'] === id && r['status'] === 'bounced');
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(!senderMx.messages.some((m) => m.raw.includes(id)), 'no DSN for a null-sender message');
  assert.ok(!server.logs.some((r) => r['event'] === 'bounce' && r['queueId'] === id));
});
