// Submission listeners end to end: real clients, real TLS, real DNS, real MX.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { SmtpDialog } from '../helpers/smtp-dialog.js';
import { startHikyaku, type TestServer } from '../helpers/hikyaku.js';
import { splitHeader } from '../../src/message/header-block.js';

let dns: TestDnsServer;
let mx: SmtpSink;
let server: TestServer;
const USER = 'web@shop.test';
const PASSWORD = 'correct horse battery';

before(async () => {
  mx = await startSmtpSink({ host: '127.0.0.2' });
  dns = await startDnsServer({
    'example.net': { MX: [{ preference: 10, exchange: 'mx.example.net' }] },
    'mx.example.net': { A: ['127.0.0.2'] },
  });
  server = await startHikyaku({ dns: dns.address, mxPort: mx.port });
  await server.addUser(USER, PASSWORD);
});

after(async () => {
  await server?.stop();
  await mx?.close();
  await dns?.close();
});

function bodyOf(raw: Buffer): Buffer {
  return splitHeader(raw).body;
}

test('587 + STARTTLS + AUTH (nodemailer): the message reaches the MX with the body intact byte for byte', async () => {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: server.ports.submission,
    secure: false,
    requireTLS: true,
    auth: { user: USER, pass: PASSWORD },
    tls: { rejectUnauthorized: false },
  });
  // Lines that exercise dot-stuffing, long lines, 8-bit text and trailing spaces.
  const body = 'こんにちは、世界。\r\n.leading dot\r\n..two dots\r\ntrailing spaces   \r\n' + 'x'.repeat(900) + '\r\n.\r\nend\r\n';
  const raw = Buffer.from(
    `From: Web <${USER}>\r\nTo: someone@example.net\r\nSubject: hello\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body}`,
  );
  const before = mx.messages.length;
  const info = await transport.sendMail({ envelope: { from: USER, to: ['someone@example.net'] }, raw });
  transport.close();
  assert.match(info.response, /^250 2\.0\.0 Ok: queued as [0-9A-Z]+/);
  const [received] = (await mx.waitForMessages(before + 1)).slice(before);
  assert.ok(received);
  assert.deepEqual(received.rcptTo, ['someone@example.net']);
  assert.equal(received.mailFrom, USER);
  assert.equal(bodyOf(received.raw).toString('utf8'), body);
  const header = splitHeader(received.raw).header.toString('utf8');
  assert.match(header, /^Received: from /, 'Received header first');
  assert.match(header, /\r\nMessage-ID: </i, 'Message-ID added when missing');
  assert.match(header, /\r\nDate: /i, 'Date added when missing');
  const accepted = await server.waitForLog((r) => r.event === 'accepted' && (r['rcptTo'] as string[])?.includes('someone@example.net'));
  assert.equal(accepted['user'], USER);
  assert.equal(accepted['clientIp'], '127.0.0.1');
  const delivery = await server.waitForLog((r) => r['event'] === 'delivery' && r['rcptTo'] === 'someone@example.net' && r['status'] === 'sent');
  assert.equal(delivery['dsn'], '2.0.0');
  assert.match(String(delivery['relay']), /mx\.example\.net\[127\.0\.0\.2\]:\d+/);
});

test('465 implicit TLS with AUTH delivers; TLS 1.2+ only', async () => {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: server.ports.submissions,
    secure: true,
    auth: { user: 'web', pass: PASSWORD }, // the local part alone is unambiguous here
    tls: { rejectUnauthorized: false },
  });
  const before = mx.messages.length;
  await transport.sendMail({ from: USER, to: 'implicit@example.net', subject: 'implicit TLS', text: 'over 465' });
  transport.close();
  const [received] = (await mx.waitForMessages(before + 1)).slice(before);
  assert.deepEqual(received?.rcptTo, ['implicit@example.net']);

  const dialog = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submissions, implicitTls: true });
  assert.match(dialog.tlsVersion ?? '', /^TLSv1\.[23]$/);
  await dialog.close();
  const tls = await import('node:tls');
  await assert.rejects(
    new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: server.ports.submissions, rejectUnauthorized: false, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, () => resolve(s));
      s.once('error', reject);
    }),
    'a TLS 1.1 client is refused',
  );
});

test('EHLO advertises the extensions; AUTH only after STARTTLS on 587', async () => {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission });
  const greeting = await d.read();
  assert.equal(greeting.code, 220);
  assert.match(greeting.text, /mail\.hikyaku\.test/);
  const ehlo = await d.command('EHLO client.test');
  assert.equal(ehlo.code, 250);
  for (const ext of ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'STARTTLS']) assert.ok(ehlo.lines.includes(ext), `${ext} in ${ehlo.text}`);
  assert.ok(ehlo.lines.some((l) => /^SIZE \d+$/.test(l)), 'SIZE with the limit');
  assert.ok(!ehlo.lines.some((l) => l.startsWith('AUTH')), 'no AUTH before TLS');

  const early = await d.command('AUTH PLAIN ' + Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64'));
  assert.equal(early.code, 530);
  assert.equal(early.enhanced, '5.7.0');
  const mail = await d.command(`MAIL FROM:<${USER}>`);
  assert.equal(mail.code, 530, 'no mail without TLS and AUTH');
  assert.equal(mail.enhanced, '5.7.0');

  assert.equal((await d.startTls()).code, 220);
  const ehlo2 = await d.command('EHLO client.test');
  assert.ok(ehlo2.lines.some((l) => /^AUTH .*PLAIN/.test(l) && /LOGIN/.test(l)), 'AUTH PLAIN LOGIN after TLS');
  assert.ok(!ehlo2.lines.includes('STARTTLS'));

  const relay = await d.command(`MAIL FROM:<${USER}>`);
  assert.equal(relay.code, 530, 'still no mail without AUTH');
  assert.equal(relay.enhanced, '5.7.0');

  const wrong = await d.command('AUTH PLAIN ' + Buffer.from(`\0${USER}\0wrong password`).toString('base64'));
  assert.equal(wrong.code, 535);
  assert.equal(wrong.enhanced, '5.7.8');
  await server.waitForLog((r) => r.event === 'auth-failed' && r['login'] === USER);
  assert.ok(!JSON.stringify(server.logs).includes('wrong password'), 'passwords never logged');

  const ok = await d.command('AUTH PLAIN ' + Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64'));
  assert.equal(ok.code, 235);
  assert.equal(ok.enhanced, '2.7.0');
  assert.equal((await d.command(`MAIL FROM:<${USER}>`)).code, 250);
  assert.equal((await d.command('RCPT TO:<dialog@example.net>')).code, 250);
  await d.command('QUIT');
  await d.close();
});

test('relay listener: untrusted client is refused with 554 5.7.1 and logged; trusted network relays, also with HELO only', async () => {
  const untrusted = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.relay, localAddress: '127.0.0.1' });
  await untrusted.read();
  assert.equal((await untrusted.command('EHLO stranger.test')).code, 250);
  assert.equal((await untrusted.command('MAIL FROM:<spam@stranger.test>')).code, 250);
  const denied = await untrusted.command('RCPT TO:<victim@example.net>');
  assert.equal(denied.code, 554);
  assert.equal(denied.enhanced, '5.7.1');
  assert.match(denied.text, /Relay access denied/);
  await untrusted.close();
  const logged = await server.waitForLog((r) => r.event === 'relay-denied');
  assert.equal(logged['rcptTo'], 'victim@example.net');
  assert.equal(logged['listener'], 'relay');

  // An old client that only knows HELO, from the trusted network 127.0.0.2/32.
  const trusted = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.relay, localAddress: '127.0.0.2' });
  await trusted.read();
  assert.equal((await trusted.command('HELO oldprinter.test')).code, 250);
  assert.equal((await trusted.command('MAIL FROM:<printer@shop.test>')).code, 250);
  assert.equal((await trusted.command('RCPT TO:<helo@example.net>')).code, 250);
  assert.equal((await trusted.command('DATA')).code, 354);
  const before = mx.messages.length;
  const done = await trusted.command('Subject: scan\r\n\r\nscanned page\r\n.');
  assert.equal(done.code, 250);
  assert.equal(done.enhanced, '2.0.0');
  await trusted.command('QUIT');
  await trusted.close();
  const [received] = (await mx.waitForMessages(before + 1)).slice(before);
  assert.deepEqual(received?.rcptTo, ['helo@example.net']);
  assert.equal(bodyOf(received!.raw).toString(), 'scanned page\r\n');
});

test('587 without AUTH cannot relay even after TLS; oversized message gets 552 5.3.4', async () => {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission });
  await d.read();
  await d.command('EHLO c.test');
  await d.startTls();
  await d.command('EHLO c.test');
  const mail = await d.command('MAIL FROM:<x@shop.test>');
  assert.equal(mail.code, 530);
  await d.command('AUTH PLAIN ' + Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64'));
  const big = await d.command(`MAIL FROM:<${USER}> SIZE=${server.config.limits.maxMessageBytes + 1}`);
  assert.equal(big.code, 552);
  assert.equal(big.enhanced, '5.3.4');
  await d.close();
});
