// The SMTP sink, driven by nodemailer as an independent SMTP client.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { makeTestCertificate, type TestCertificate } from './certs.js';
import { startSmtpSink, type SmtpSink, type SmtpSinkOptions } from './smtp-sink.js';

let mxCert: TestCertificate;
before(async () => {
  mxCert = await makeTestCertificate(['mx.test']);
});

const sinks: SmtpSink[] = [];
after(() => Promise.all(sinks.map((s) => s.close())));

async function sink(options?: SmtpSinkOptions): Promise<SmtpSink> {
  const s = await startSmtpSink(options);
  sinks.push(s);
  return s;
}

// A message with a line starting with '.', which the client must dot-stuff
// (RFC 5321 §4.5.2) and the sink must un-stuff: `raw` shows it did.
const RAW = Buffer.from(
  [
    'From: sender@example.com',
    'To: rcpt@example.net',
    'Subject: sink test',
    'Message-ID: <sink-test@example.com>',
    '',
    'first line',
    '.leading dot',
    '..two dots',
    'last line',
    '',
  ].join('\r\n'),
);

function transport(s: SmtpSink, extra: SMTPTransport.Options = {}): nodemailer.Transporter<SMTPTransport.SentMessageInfo> {
  return nodemailer.createTransport({
    host: s.host,
    port: s.port,
    name: 'client.example.com',
    tls: { ca: mxCert.cert, servername: 'mx.test' },
    connectionTimeout: 5000,
    greetingTimeout: 5000,
    socketTimeout: 5000,
    ...extra,
  });
}

function send(
  s: SmtpSink,
  to: string[],
  extra: SMTPTransport.Options = {},
  raw: Buffer = RAW,
): Promise<SMTPTransport.SentMessageInfo> {
  const t = transport(s, extra);
  return t.sendMail({ envelope: { from: 'sender@example.com', to }, raw }).finally(() => t.close());
}

async function refusal(promise: Promise<unknown>): Promise<{ responseCode?: number; response?: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { responseCode?: number; response?: string; message: string };
  }
  assert.fail('expected the SMTP transaction to fail');
}

describe('smtp sink', () => {
  it('receives over STARTTLS by default on 127.0.0.2, recording the exact bytes', async () => {
    const s = await sink();
    assert.equal(s.host, '127.0.0.2');
    const info = await send(s, ['rcpt@example.net']);
    assert.deepEqual(info.accepted, ['rcpt@example.net']);
    const [mail] = await s.waitForMessages(1);
    assert.ok(mail);
    assert.equal(mail.mailFrom, 'sender@example.com');
    assert.deepEqual(mail.rcptTo, ['rcpt@example.net']);
    assert.ok(mail.raw.equals(RAW), mail.raw.toString());
    assert.equal(mail.secure, true);
    assert.match(mail.tlsVersion ?? '', /^TLSv1\.[23]$/);
    assert.equal(mail.authUser, undefined);
    assert.equal(mail.heloName, 'client.example.com');
    assert.equal(mail.remoteAddress, '127.0.0.1');
    assert.ok(mail.connectionId.length > 0);
    assert.equal(s.connectionCount, 1);
  });

  it('offers no STARTTLS with tls: false', async () => {
    const s = await sink({ tls: false });
    const err = await refusal(send(s, ['rcpt@example.net'], { requireTLS: true }));
    assert.match(err.message, /STARTTLS/);
    await send(s, ['rcpt@example.net']);
    const [mail] = await s.waitForMessages(1);
    assert.equal(mail?.secure, false);
    assert.equal(mail?.tlsVersion, undefined);
  });

  it('speaks TLS from the first byte with implicitTls', async () => {
    const s = await sink({ implicitTls: true });
    await send(s, ['rcpt@example.net'], { secure: true });
    const [mail] = await s.waitForMessages(1);
    assert.equal(mail?.secure, true);
  });

  it('uses the certificate it is given', async () => {
    const other = await makeTestCertificate(['smarthost.test']);
    const s = await sink({ tls: other });
    // Trusting only the default mx.test certificate must fail against this one.
    const err = await refusal(send(s, ['rcpt@example.net'], { requireTLS: true }));
    assert.match(err.message, /certificate|self.signed/i);
    await send(s, ['rcpt@example.net'], { requireTLS: true, tls: { ca: other.cert, servername: 'smarthost.test' } });
    assert.equal((await s.waitForMessages(1)).length, 1);
  });

  it('requires AUTH with the configured credentials', async () => {
    const s = await sink({ auth: { username: 'relay-user', password: 's3cret' } });
    const noAuth = await refusal(send(s, ['rcpt@example.net']));
    assert.equal(noAuth.responseCode, 530);
    const badAuth = await refusal(send(s, ['rcpt@example.net'], { auth: { user: 'relay-user', pass: 'wrong' } }));
    assert.equal(badAuth.responseCode, 535);
    await send(s, ['rcpt@example.net'], { auth: { user: 'relay-user', pass: 's3cret', method: 'PLAIN' } });
    await send(s, ['rcpt@example.net'], { auth: { user: 'relay-user', pass: 's3cret', method: 'LOGIN' } });
    const mails = await s.waitForMessages(2);
    assert.deepEqual(
      mails.map((m) => m.authUser),
      ['relay-user', 'relay-user'],
    );
  });

  it('refuses MAIL before STARTTLS with requireTls', async () => {
    const s = await sink({ requireTls: true });
    const err = await refusal(send(s, ['rcpt@example.net'], { ignoreTLS: true }));
    assert.equal(err.responseCode, 530);
    assert.equal(s.messages.length, 0);
    await send(s, ['rcpt@example.net']);
    assert.equal((await s.waitForMessages(1))[0]?.secure, true);
  });

  it('advertises SIZE and rejects larger messages', async () => {
    const s = await sink({ size: 1000 });
    const big = Buffer.from(`Subject: big\r\n\r\n${'x'.repeat(2000)}\r\n`);
    const err = await refusal(send(s, ['rcpt@example.net'], {}, big));
    assert.equal(err.responseCode, 552);
    assert.equal(s.messages.length, 0);
    await send(s, ['rcpt@example.net']);
    assert.equal((await s.waitForMessages(1)).length, 1);
  });

  it('answers the connection with a 421 greeting and closes', async () => {
    const s = await sink({ greeting: { code: 421, message: '4.3.2 Too busy, try later' } });
    const err = await refusal(send(s, ['rcpt@example.net']));
    assert.equal(err.responseCode, 421);
    assert.match(err.response ?? '', /^421 4\.3\.2 Too busy/);
    assert.equal(s.connectionCount, 1);
    assert.equal(s.messages.length, 0);
  });

  it('lets onMailFrom refuse the sender', async () => {
    const s = await sink({
      onMailFrom: (address) => (address === 'blocked@example.com' ? { code: 550, message: '5.7.1 Sender blocked' } : undefined),
    });
    const t = transport(s);
    try {
      const err = await refusal(t.sendMail({ envelope: { from: 'blocked@example.com', to: ['r@example.net'] }, raw: RAW }));
      assert.equal(err.responseCode, 550);
      assert.match(err.response ?? '', /5\.7\.1 Sender blocked/);
    } finally {
      t.close();
    }
    await send(s, ['r@example.net']);
    assert.equal((await s.waitForMessages(1))[0]?.mailFrom, 'sender@example.com');
  });

  it('answers recipients 250/451/550 in one transaction and keeps only the accepted one', async () => {
    const replies: Record<string, { code: number; message: string }> = {
      'later@example.net': { code: 451, message: '4.3.0 try later' },
      'unknown@example.net': { code: 550, message: '5.1.1 No such user' },
    };
    const s = await sink({ onRcptTo: (address) => replies[address] });
    const info = await send(s, ['ok@example.net', 'later@example.net', 'unknown@example.net']);
    assert.deepEqual(info.accepted, ['ok@example.net']);
    assert.deepEqual(info.rejected, ['later@example.net', 'unknown@example.net']);
    const errors = (info as unknown as { rejectedErrors: { recipient: string; responseCode: number; response: string }[] }).rejectedErrors;
    assert.deepEqual(
      errors.map((e) => [e.recipient, e.responseCode, e.response]),
      [
        ['later@example.net', 451, '451 4.3.0 try later'],
        ['unknown@example.net', 550, '550 5.1.1 No such user'],
      ],
    );
    const [mail] = await s.waitForMessages(1);
    assert.deepEqual(mail?.rcptTo, ['ok@example.net']);
    assert.equal(s.connectionCount, 1);
  });

  it('lets onData refuse or accept with a custom reply', async () => {
    let calls = 0;
    const s = await sink({
      onData: (mail) => {
        calls++;
        assert.ok(mail.raw.equals(RAW));
        return calls === 1 ? { code: 451, message: '4.3.0 Queue full' } : { code: 250, message: '2.0.0 Ok: queued as ABC123' };
      },
    });
    const err = await refusal(send(s, ['rcpt@example.net']));
    assert.equal(err.responseCode, 451);
    assert.equal(s.messages.length, 0);
    const info = await send(s, ['rcpt@example.net']);
    assert.equal(info.response, '250 2.0.0 Ok: queued as ABC123');
    assert.equal((await s.waitForMessages(1)).length, 1);
  });

  it('counts connections, shares a port across loopback hosts, and times out waits clearly', async () => {
    const first = await sink();
    const second = await sink({ host: '127.0.0.3', port: first.port });
    assert.equal(second.port, first.port);
    await send(first, ['a@example.net']);
    await send(first, ['b@example.net']);
    await send(second, ['c@example.net']);
    assert.equal(first.connectionCount, 2);
    assert.equal(second.connectionCount, 1);
    assert.deepEqual(
      (await first.waitForMessages(2)).map((m) => m.rcptTo[0]),
      ['a@example.net', 'b@example.net'],
    );
    await assert.rejects(second.waitForMessages(2, 50), /waited 50 ms for 2 message\(s\), got 1/);
  });

  it('closes promptly while a pooled client connection is idle', async () => {
    const s = await startSmtpSink();
    const t = nodemailer.createTransport({ pool: true, host: s.host, port: s.port, tls: { ca: mxCert.cert, servername: 'mx.test' } });
    try {
      await t.sendMail({ envelope: { from: 'sender@example.com', to: ['r@example.net'] }, raw: RAW });
      await s.close();
      await s.close(); // idempotent
    } finally {
      t.close();
    }
  });
});
