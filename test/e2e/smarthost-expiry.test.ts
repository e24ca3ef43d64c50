// Smarthost relaying (STARTTLS + AUTH) and expiry of a message that never gets through.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { startDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { SmtpDialog } from '../helpers/smtp-dialog.js';
import { startHikyaku } from '../helpers/hikyaku.js';
import { parseDsn } from '../helpers/dsn-parse.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('smarthost with STARTTLS + AUTH: all mail goes through it, no MX lookup', async () => {
  const relayHost = await startSmtpSink({ host: '127.0.0.8', requireTls: true, auth: { username: 'relay-user', password: 'relay-secret' } });
  cleanups.push(() => relayHost.close());
  const dns = await startDnsServer({});
  cleanups.push(() => dns.close());
  const server = await startHikyaku(
    { dns: dns.address, mxPort: 1 },
    {
      delivery: {
        smarthost: { host: '127.0.0.8', port: relayHost.port, tls: 'starttls', username: 'relay-user', password: 'relay-secret', verifyCertificate: false },
      },
    },
  );
  cleanups.push(() => server.stop());
  await server.addUser('info@shop.test', 'smarthost-pass');
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: server.ports.submission,
    requireTLS: true,
    auth: { user: 'info@shop.test', pass: 'smarthost-pass' },
    tls: { rejectUnauthorized: false },
  });
  await transport.sendMail({ from: 'info@shop.test', to: ['a@far-away.test', 'b@elsewhere.test'], subject: 'via relay', text: 'relayed' });
  transport.close();
  const [m] = await relayHost.waitForMessages(1);
  assert.deepEqual([...(m?.rcptTo ?? [])].sort(), ['a@far-away.test', 'b@elsewhere.test']);
  assert.equal(m?.secure, true, 'STARTTLS used');
  assert.equal(m?.authUser, 'relay-user');
  assert.equal(dns.queries.length, 0, 'no DNS lookup when everything goes through the smarthost');
  const log = await server.waitForLog((r) => r['event'] === 'delivery' && r['status'] === 'sent');
  assert.match(String(log['tls']), /^TLSv1\.[23] /);
});

test('a message deferred past its lifetime bounces as expired (5.4.7, last reply kept)', async () => {
  const mx = await startSmtpSink({ host: '127.0.0.10', onRcptTo: () => ({ code: 451, message: '4.7.1 come back later' }) });
  cleanups.push(() => mx.close());
  const senderMx = await startSmtpSink({ host: '127.0.0.11', port: mx.port });
  cleanups.push(() => senderMx.close());
  const dns = await startDnsServer({
    'slow.test': { MX: [{ preference: 10, exchange: 'mx.slow.test' }] },
    'mx.slow.test': { A: ['127.0.0.10'] },
    'sender.test': { MX: [{ preference: 10, exchange: 'mx.sender.test' }] },
    'mx.sender.test': { A: ['127.0.0.11'] },
  });
  cleanups.push(() => dns.close());
  const server = await startHikyaku(
    { dns: dns.address, mxPort: mx.port },
    { queue: { retry: { initialDelay: '200ms', maxDelay: '400ms', maxLifetime: '1500ms', delayNoticeAfter: '500ms' } } },
  );
  cleanups.push(() => server.stop());
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.relay, localAddress: '127.0.0.2' });
  await d.read();
  await d.command('EHLO app.sender.test');
  await d.command('MAIL FROM:<app@sender.test>');
  await d.command('RCPT TO:<someone@slow.test>');
  await d.command('DATA');
  const reply = await d.command('Subject: never arrives\r\n\r\nhello\r\n.');
  await d.close();
  const id = /queued as (\S+)/.exec(reply.text)?.[1] ?? '';
  await server.waitForLog((r) => r['event'] === 'delivery' && r['queueId'] === id && r['status'] === 'expired', 15_000);
  const dsns = await senderMx.waitForMessages(2, 15_000);
  const parsed = await Promise.all(dsns.map((m) => parseDsn(m.raw)));
  const delay = parsed.find((p) => p.recipients[0]?.['action'] === 'delayed');
  const failure = parsed.find((p) => p.recipients[0]?.['action'] === 'failed');
  assert.ok(delay, 'a delay notice came first');
  assert.ok(failure, 'then the failure DSN');
  assert.equal(failure.recipients[0]?.['status'], '5.4.7');
  assert.match(failure.recipients[0]?.['diagnostic-code'] ?? '', /451 4\.7\.1 come back later/);
  assert.equal(dsns.every((m) => m.mailFrom === ''), true);
});
