// The inbound SMTP protocol over real sockets against a whole Hikyaku:
// pipelining (RFC 2920), STARTTLS (RFC 3207, CVE-2011-0411), AUTH
// (RFC 4954, RFC 4616), sequencing (RFC 5321 §4.1.4, §4.3.2), limits
// (§4.5.3.1, RFC 1870), SMTPUTF8 (RFC 6531), transparency (§4.5.2) and the
// SMTP-smuggling defence, hostile input, and the graceful stop.
// One server for the whole file; the graceful-stop test stops it, so it is last.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../helpers/smtp-sink.js';
import { SmtpDialog, type Reply } from '../helpers/smtp-dialog.js';
import { startHikyaku, type TestServer } from '../helpers/hikyaku.js';
import { splitHeader } from '../../src/message/header-block.js';
import { decodeQuotedPrintable } from '../../src/message/transfer-encoding.js';

let dns: TestDnsServer;
let mx: SmtpSink;
let server: TestServer;
const USER = 'proto@shop.test';
const PASSWORD = 'pipelined horse battery';
const MAX_MESSAGE = 32 * 1024;
const HOST = '127.0.0.1';

before(async () => {
  mx = await startSmtpSink({ host: '127.0.0.2' });
  dns = await startDnsServer({
    'example.net': { MX: [{ preference: 10, exchange: 'mx.example.net' }] },
    'mx.example.net': { A: ['127.0.0.2'] },
  });
  server = await startHikyaku({ dns: dns.address, mxPort: mx.port }, { limits: { maxMessageSize: MAX_MESSAGE } });
  await server.addUser(USER, PASSWORD, { maySendAs: ['*@shop.test'] });
});

after(async () => {
  await server?.stop();
  await mx?.close();
  await dns?.close();
});

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const PLAIN = b64(`\0${USER}\0${PASSWORD}`);

/** A session on 587 after greeting, EHLO, STARTTLS and EHLO (not authenticated). */
async function tlsSession(): Promise<SmtpDialog> {
  const d = await SmtpDialog.open({ host: HOST, port: server.ports.submission });
  assert.equal((await d.read()).code, 220);
  assert.equal((await d.command('EHLO client.test')).code, 250);
  assert.equal((await d.startTls()).code, 220);
  assert.equal((await d.command('EHLO client.test')).code, 250);
  return d;
}

async function authenticatedSession(): Promise<SmtpDialog> {
  const d = await tlsSession();
  assertReply(await d.command(`AUTH PLAIN ${PLAIN}`), 235, '2.7.0');
  return d;
}

function assertReply(reply: Reply, code: number, enhanced?: string, message?: string): void {
  const label = `${message ? message + ': ' : ''}${reply.code} ${reply.text}`;
  assert.equal(reply.code, code, label);
  if (enhanced !== undefined) assert.equal(reply.enhanced, enhanced, label);
}

async function readReplies(d: SmtpDialog, count: number): Promise<Reply[]> {
  const out: Reply[] = [];
  for (let i = 0; i < count; i++) out.push(await d.read());
  return out;
}



const bodyOf = (m: ReceivedMail): string => splitHeader(m.raw).body.toString('utf8');

/** Sends one message on an authenticated session and returns the final reply. */
async function sendMessage(d: SmtpDialog, rcpt: string, data: string): Promise<Reply> {
  assertReply(await d.command(`MAIL FROM:<${USER}>`), 250, '2.1.0');
  assertReply(await d.command(`RCPT TO:<${rcpt}>`), 250, '2.1.5');
  assertReply(await d.command('DATA'), 354);
  d.write(data);
  return d.read();
}

// ---- pipelining (RFC 2920) ---------------------------------------------------

test('pipelining: EHLO, MAIL, RCPT, RCPT, DATA in one write get their replies in order; a whole second transaction pipelined after the final dot is served too', async () => {
  const d = await authenticatedSession();
  d.write(`EHLO again.test\r\nMAIL FROM:<${USER}>\r\nRCPT TO:<pipe1@example.net>\r\nRCPT TO:<pipe2@example.net>\r\nDATA\r\n`);
  const [ehlo, mail, rcpt1, rcpt2, data] = await readReplies(d, 5);
  assertReply(ehlo!, 250, undefined, 'EHLO');
  assert.ok(ehlo!.lines.some((l) => l.startsWith('AUTH ')), 'the EHLO reply (after TLS) comes first');
  assertReply(mail!, 250, '2.1.0', 'MAIL');
  assertReply(rcpt1!, 250, '2.1.5', 'RCPT 1');
  assertReply(rcpt2!, 250, '2.1.5', 'RCPT 2');
  assertReply(data!, 354, undefined, 'DATA');

  d.write(
    'Subject: first\r\n\r\nfirst body\r\n.\r\n' +
      `MAIL FROM:<${USER}>\r\nRCPT TO:<pipe3@example.net>\r\nDATA\r\n` +
      'Subject: second\r\n\r\nsecond body\r\n.\r\nNOOP\r\nQUIT\r\n',
  );
  const replies = await readReplies(d, 7);
  assert.deepEqual(
    replies.map((r) => `${r.code} ${r.enhanced ?? ''}`),
    ['250 2.0.0', '250 2.1.0', '250 2.1.5', '354 ', '250 2.0.0', '250 2.0.0', '221 2.0.0'],
  );
  assert.match(replies[0]!.text, /queued as/);
  assert.match(replies[4]!.text, /queued as/);
  assert.notEqual(replies[0]!.text, replies[4]!.text, 'two queue ids');
  assert.deepEqual(await d.readUntilClosed(), [], 'nothing after 221');

  const first = await mx.waitForMessage((m) => m.rcptTo.includes('pipe1@example.net'));
  assert.deepEqual([...first.rcptTo].sort(), ['pipe1@example.net', 'pipe2@example.net']);
  assert.equal(bodyOf(first), 'first body\r\n');
  const second = await mx.waitForMessage((m) => m.rcptTo.includes('pipe3@example.net'));
  assert.equal(bodyOf(second), 'second body\r\n');
});

// ---- STARTTLS (RFC 3207) -----------------------------------------------------

/** Collects what a socket receives, as text. */
function collect(socket: Socket | TLSSocket): { text: () => string; until: (re: RegExp) => Promise<string>; closed: () => boolean } {
  let text = '';
  let closed = false;
  let wake: (() => void) | undefined;
  const onData = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    wake?.();
  };
  socket.on('data', onData);
  socket.on('close', () => {
    closed = true;
    wake?.();
  });
  socket.on('error', () => {});
  return {
    text: () => text,
    closed: () => closed,
    async until(re) {
      while (!re.test(text)) {
        if (closed) throw new Error(`closed; got ${JSON.stringify(text)}`);
        await new Promise<void>((resolve) => (wake = resolve));
      }
      return text;
    },
  };
}

test('STARTTLS: a command pipelined behind STARTTLS in the same packet is discarded, not answered over TLS (CVE-2011-0411); TLS resets the session', async () => {
  const plain = netConnect({ host: HOST, port: server.ports.submission });
  await new Promise<void>((resolve, reject) => plain.once('connect', resolve).once('error', reject));
  const clear = collect(plain);
  await clear.until(/^220 .*\r\n/);
  plain.write('EHLO client.test\r\n');
  await clear.until(/\r\n250 [^\r\n]*\r\n/);
  plain.write('STARTTLS\r\nNOOP\r\nMAIL FROM:<injected@shop.test>\r\n');
  const afterStartTls = await clear.until(/\r\n220 2\.0\.0 [^\r\n]*\r\n$/);
  plain.removeAllListeners('data');
  const secure = await new Promise<TLSSocket>((resolve, reject) => {
    const s = tlsConnect({ socket: plain, rejectUnauthorized: false }, () => resolve(s));
    s.once('error', reject);
  });
  const overTls = collect(secure);
  assert.ok(afterStartTls.endsWith('220 2.0.0 Ready to start TLS\r\n'), 'nothing answered in the clear after 220');
  // RFC 3207 §4.2: the session is reset: MAIL before a new EHLO is out of sequence.
  secure.write('MAIL FROM:<x@shop.test>\r\nEHLO client.test\r\n');
  const text = await overTls.until(/^250 [^\r\n]*\r\n/m);
  const lines = text.split('\r\n');
  assert.equal(lines[0], '503 5.5.1 Send HELO/EHLO first', `the first reply over TLS is for our MAIL, not the injected NOOP: ${JSON.stringify(text)}`);
  assert.equal(lines[1], '250-mail.hikyaku.test');
  assert.ok(lines.some((l) => /^250[ -]AUTH /.test(l)));
  assert.ok(!lines.some((l) => /STARTTLS/.test(l)));
  secure.write('STARTTLS\r\n');
  assert.match(await overTls.until(/TLS already active\r\n/), /\r\n503 5\.5\.1 TLS already active\r\n$/);
  secure.destroy();
});

// ---- AUTH (RFC 4954, RFC 4616, LOGIN) -----------------------------------------

test('AUTH LOGIN: two steps, and with the user name as initial response', async () => {
  const twoStep = await tlsSession();
  const prompt = await twoStep.command('AUTH LOGIN');
  assertReply(prompt, 334);
  assert.equal(Buffer.from(prompt.text, 'base64').toString(), 'Username:');
  const pass = await twoStep.command(b64(USER));
  assertReply(pass, 334);
  assert.equal(Buffer.from(pass.text, 'base64').toString(), 'Password:');
  assertReply(await twoStep.command(b64(PASSWORD)), 235, '2.7.0');
  assertReply(await twoStep.command('AUTH LOGIN'), 503, '5.5.1', 'already authenticated');
  assertReply(await twoStep.command(`MAIL FROM:<${USER}>`), 250, '2.1.0');
  await twoStep.close();

  const initial = await tlsSession();
  const passPrompt = await initial.command(`AUTH LOGIN ${b64(USER)}`);
  assertReply(passPrompt, 334);
  assert.equal(Buffer.from(passPrompt.text, 'base64').toString(), 'Password:');
  assertReply(await initial.command(b64('not the password')), 535, '5.7.8');
  // A failed AUTH leaves the session usable for another try.
  assertReply(await initial.command(`auth login ${b64(USER)}`), 334);
  assertReply(await initial.command(b64(PASSWORD)), 235, '2.7.0');
  await initial.close();
});

test('AUTH PLAIN: empty challenge then the response; "=" is an empty initial response, not a request for a challenge', async () => {
  const d = await tlsSession();
  const challenge = await d.command('AUTH PLAIN');
  assertReply(challenge, 334);
  assert.equal(challenge.text, '', 'RFC 4954 §4: an empty challenge for PLAIN');
  assertReply(await d.command(PLAIN), 235, '2.7.0');
  await d.close();

  // RFC 4954 §4: "=" means the initial response is present and empty. An
  // empty PLAIN message (RFC 4616 §2) has no credentials: a failure, at once.
  const empty = await tlsSession();
  assertReply(await empty.command('AUTH PLAIN ='), 535, '5.7.8');
  assertReply(await empty.command('NOOP'), 250, '2.0.0', 'the next line is a command again');
  // With LOGIN, "=" is an empty user name, and the exchange goes on to the password.
  const passPrompt = await empty.command('AUTH LOGIN =');
  assertReply(passPrompt, 334);
  assert.equal(Buffer.from(passPrompt.text, 'base64').toString(), 'Password:');
  assertReply(await empty.command(b64(PASSWORD)), 535, '5.7.8');
  await empty.close();
});

test('AUTH: "*" cancels with 501 5.7.0; undecodable base64 gets 501 5.5.2; both leave the session usable', async () => {
  const d = await tlsSession();
  assertReply(await d.command('AUTH PLAIN'), 334);
  assertReply(await d.command('*'), 501, '5.7.0');
  assertReply(await d.command('AUTH LOGIN'), 334);
  assertReply(await d.command(b64(USER)), 334);
  assertReply(await d.command('*'), 501, '5.7.0');
  assertReply(await d.command('AUTH PLAIN not-base64!'), 501, '5.5.2');
  assertReply(await d.command('AUTH LOGIN'), 334);
  assertReply(await d.command('%%%'), 501, '5.5.2');
  assertReply(await d.command('AUTH PLAIN'), 334);
  assertReply(await d.command('AGEAYg'), 501, '5.5.2', 'missing padding');
  assertReply(await d.command('AUTH CRAM-MD5'), 504, '5.5.4');
  assertReply(await d.command('NOOP'), 250, '2.0.0');
  assertReply(await d.command(`AUTH PLAIN ${PLAIN}`), 235, '2.7.0');
  await d.close();
});

// ---- sequencing (RFC 5321 §4.1.4, §4.3.2) ---------------------------------------

test('sequencing: MAIL before EHLO, RCPT before MAIL, DATA before RCPT, nested MAIL: 503 5.5.1; RSET and EHLO end the transaction', async () => {
  const fresh = await SmtpDialog.open({ host: HOST, port: server.ports.submission });
  await fresh.read();
  assertReply(await fresh.command(`MAIL FROM:<${USER}>`), 503, '5.5.1', 'MAIL before EHLO');
  assertReply(await fresh.command('DATA'), 503, '5.5.1', 'DATA before MAIL');
  assertReply(await fresh.command('RCPT TO:<x@example.net>'), 503, '5.5.1', 'RCPT before MAIL');
  await fresh.close();

  const d = await authenticatedSession();
  assertReply(await d.command('RCPT TO:<seq@example.net>'), 503, '5.5.1', 'RCPT before MAIL');
  assertReply(await d.command(`MAIL FROM:<${USER}>`), 250, '2.1.0');
  assertReply(await d.command('DATA'), 503, '5.5.1', 'DATA before RCPT');
  assertReply(await d.command(`MAIL FROM:<${USER}>`), 503, '5.5.1', 'nested MAIL');
  assertReply(await d.command('AUTH PLAIN x'), 503, '5.5.1', 'AUTH during a transaction');
  assertReply(await d.command('RSET'), 250, '2.0.0');
  assertReply(await d.command('RCPT TO:<seq@example.net>'), 503, '5.5.1', 'RSET ended the transaction');
  assertReply(await d.command(`MAIL FROM:<${USER}>`), 250, '2.1.0');
  assertReply(await d.command('RCPT TO:<seq@example.net>'), 250, '2.1.5');
  assertReply(await d.command('EHLO client.test'), 250);
  assertReply(await d.command('DATA'), 503, '5.5.1', 'EHLO ended the transaction');
  assertReply(await d.command('DATA extra'), 501, '5.5.4');
  assertReply(await d.command(`MAIL FROM:<${USER}> BOGUS=1`), 555, '5.5.4');
  assertReply(await d.command(`MAIL FROM:<${USER}> BODY=BINARYMIME`), 501, '5.5.4');
  assertReply(await d.command(`MAIL FROM:<${USER}> SIZE=${MAX_MESSAGE + 1}`), 552, '5.3.4', 'RFC 1870 SIZE over the limit');
  assertReply(await d.command(`MAIL FROM:<${USER}> SIZE=${MAX_MESSAGE} BODY=8BITMIME`), 250, '2.1.0');
  // NOTIFY and ORCPT are known (RFC 3461, test/e2e/dsn-extension.test.ts); other parameters are not.
  assertReply(await d.command('RCPT TO:<seq@example.net> XFOO=1'), 555, '5.5.4');
  assertReply(await d.command('RCPT TO:<>'), 501, '5.1.3');
  assertReply(await d.command('RCPT TO:<no-domain>'), 501, '5.1.3', 'the parser names the problem');
  await d.close();
});

test('unknown command 500 5.5.2; VRFY/EXPN 502 5.5.1; BDAT without a transaction 503 (CHUNKING: test/e2e/bdat.test.ts); HELO needs an argument', async () => {
  const d = await SmtpDialog.open({ host: HOST, port: server.ports.submission });
  await d.read();
  assertReply(await d.command('FROBNICATE now'), 500, '5.5.2');
  assertReply(await d.command(''), 500, '5.5.2');
  assertReply(await d.command('VRFY postmaster'), 502, '5.5.1');
  assertReply(await d.command('EXPN staff'), 502, '5.5.1');
  d.write('BDAT 10 LAST\r\n0123456789');
  assertReply(await d.read(), 503, '5.5.1', 'its 10 octets are read, not taken as a command');
  assertReply(await d.command('EHLO'), 501, '5.5.4');
  assertReply(await d.command('HELO old.client.test'), 250);
  assertReply(await d.command('AUTH PLAIN x'), 530, '5.7.0', 'no AUTH in the clear');
  assertReply(await d.command('HELP'), 214, '2.0.0');
  assertReply(await d.command('NOOP'), 250, '2.0.0');
  assertReply(await d.command('QUIT'), 221, '2.0.0');
  assert.deepEqual(await d.readUntilClosed(), []);
});

test('pipelining: more than 1 MiB pipelined behind a slow reply (AUTH) is all read and answered once the reply is out', { timeout: 30_000 }, async () => {
  // While AUTH checks the password (scrypt, tens of ms), the session buffers
  // input up to 1 MiB and then pauses the socket; it must resume it even when
  // what is left after the buffered lines is a partial line.
  const socket = await new Promise<TLSSocket>((resolve, reject) => {
    const s = tlsConnect({ host: HOST, port: server.ports.submissions, rejectUnauthorized: false }, () => resolve(s));
    s.once('error', reject);
  });
  const seen = collect(socket);
  await seen.until(/^220 /);
  socket.write('EHLO big.test\r\n');
  await seen.until(/\r\n250 AUTH[^\r\n]*\r\n/);
  // NOOP lines of 506 octets: as long as a command line may be (RFC 5321 §4.5.3.1.4).
  const count = 4000;
  socket.write(`AUTH PLAIN ${PLAIN}\r\n` + `NOOP ${'n'.repeat(499)}\r\n`.repeat(count) + 'QUIT\r\n');
  const text = await seen.until(/221 2\.0\.0[^\r\n]*\r\n/);
  assert.match(text, /\r\n235 2\.7\.0 /);
  assert.equal(text.split('250 2.0.0 Ok\r\n').length - 1, count);
  socket.destroy();
});

test('pipelining: 100 000 commands in one write, more replies than the socket buffers hold: every one answered, in order', { timeout: 30_000 }, async () => {
  // The session stops reading while its replies are backed up and reads on
  // once they drain; nothing may be lost or stall on the way.
  const plain = netConnect({ host: HOST, port: server.ports.submission });
  const seen = collect(plain);
  await seen.until(/^220 /);
  const count = 100_000;
  plain.write('EHLO many.test\r\n' + 'NOOP\r\n'.repeat(count) + 'QUIT\r\n');
  const text = await seen.until(/221 2\.0\.0[^\r\n]*\r\n/);
  const lines = text.split('\r\n');
  assert.equal(lines.filter((l) => l === '250 2.0.0 Ok').length, count);
  assert.equal(lines.at(-2), '221 2.0.0 Bye');
  await new Promise<void>((resolve) => (seen.closed() ? resolve() : plain.once('close', () => resolve())));
});

// ---- limits (RFC 5321 §4.5.3.1) ---------------------------------------------------

test('a 20 KiB line without LF gets one 500 5.5.2, however long it goes on; the session still works afterwards', async () => {
  const d = await authenticatedSession();
  d.write('NOOP ' + 'x'.repeat(20 * 1024));
  assertReply(await d.read(), 500, '5.5.2');
  // More of the same line: still one line, so no second reply.
  d.write('y'.repeat(20 * 1024));
  d.write('z'.repeat(20 * 1024) + '\r\nNOOP\r\n');
  assertReply(await d.read(), 250, '2.0.0', 'the next reply is for the NOOP');
  // A long line that arrives whole with its CRLF: one reply too.
  assertReply(await d.command('RSET ' + 'w'.repeat(20 * 1024)), 500, '5.5.2');
  const reply = await sendMessage(d, 'longline@example.net', 'Subject: after a long line\r\n\r\nstill fine\r\n.\r\n');
  assertReply(reply, 250, '2.0.0');
  await d.close();
  assert.equal(bodyOf(await mx.waitForMessage((m) => m.rcptTo.includes('longline@example.net'))), 'still fine\r\n');
});

test('a long line inside an AUTH exchange ends the exchange (RFC 4954 §4: 500 5.5.6 means authentication failed)', async () => {
  const d = await tlsSession();
  assertReply(await d.command('AUTH PLAIN'), 334);
  assertReply(await d.command('A'.repeat(16 * 1024)), 500, '5.5.6');
  assertReply(await d.command('NOOP'), 250, '2.0.0', 'a command again, not an AUTH response');
  await d.close();
});

test('message over the size limit without SIZE: 552 5.3.4 after the final dot, and the session goes on', async () => {
  const d = await authenticatedSession();
  const line = 'o'.repeat(998) + '\r\n';
  const big = 'Subject: too big\r\n\r\n' + line.repeat(Math.ceil((MAX_MESSAGE + 1) / line.length)) + '.\r\n';
  assertReply(await sendMessage(d, 'toobig@example.net', big), 552, '5.3.4');
  assertReply(await d.command('NOOP'), 250, '2.0.0');
  assertReply(await d.command('RCPT TO:<toobig@example.net>'), 503, '5.5.1', 'the transaction is over');
  assertReply(await sendMessage(d, 'smallafter@example.net', 'Subject: small\r\n\r\nsmall\r\n.\r\n'), 250, '2.0.0');
  await d.close();
  await mx.waitForMessage((m) => m.rcptTo.includes('smallafter@example.net'));
  assert.ok(!mx.messages.some((m) => m.rcptTo.includes('toobig@example.net')));
});

// ---- SMTPUTF8 (RFC 6531) --------------------------------------------------------

test('UTF-8 addresses: 553 5.6.7 without SMTPUTF8; with it accepted and delivered', async () => {
  const d = await authenticatedSession();
  assertReply(await d.command(`MAIL FROM:<${USER}>`), 250, '2.1.0');
  assertReply(await d.command('RCPT TO:<ユーザー@example.net>'), 553, '5.6.7');
  assertReply(await d.command('RSET'), 250, '2.0.0');
  assertReply(await d.command('MAIL FROM:<送信者@shop.test>'), 553, '5.6.7');
  assertReply(await d.command(`MAIL FROM:<${USER}> SMTPUTF8=yes`), 555, '5.5.4');
  assertReply(await d.command(`MAIL FROM:<${USER}> SMTPUTF8 BODY=8BITMIME`), 250, '2.1.0');
  assertReply(await d.command('RCPT TO:<ユーザー@example.net>'), 250, '2.1.5');
  assertReply(await d.command('DATA'), 354);
  assertReply(await d.command('Subject: =?UTF-8?B?5pel5pys?=\r\n\r\n日本語の本文\r\n.'), 250, '2.0.0');
  await d.close();
  const received = await mx.waitForMessage((m) => m.rcptTo.includes('ユーザー@example.net'));
  assert.equal(bodyOf(received), '日本語の本文\r\n');
});

// ---- transparency (§4.5.2) and smuggling ----------------------------------------

test('smuggling: "\\n.\\n", "\\r.\\r" and "\\n.\\r\\n" do not end the data; the MX gets one message with the whole text', async () => {
  const d = await authenticatedSession();
  const payload =
    'Subject: smuggling\r\n\r\nbefore\r\n\n.\nMAIL FROM:<evil@example.net>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\n' +
    'smuggled one\r\n\r.\rsmuggled two\r\n\n.\r\nafter\r\n.\r\n';
  const reply = await sendMessage(d, 'smuggle@example.net', payload);
  assertReply(reply, 250, '2.0.0');
  // Had the data ended early, the "MAIL FROM" inside would have been answered as a command.
  assertReply(await d.command('NOOP'), 250, '2.0.0', 'no stray replies');
  await d.close();
  const received = await mx.waitForMessage((m) => m.rcptTo.includes('smuggle@example.net'));
  // Intake turned the bare LFs into CRLF; the bare CRs are content, so the body went
  // out quoted-printable with them as =0D (message/hygiene.ts); delivery dot-stuffed the "." lines.
  assert.match(received.raw.toString(), /\r\nContent-Transfer-Encoding: quoted-printable\r\n/);
  assert.equal(
    decodeQuotedPrintable(Buffer.from(bodyOf(received))).toString(),
    'before\r\n\r\n.\r\nMAIL FROM:<evil@example.net>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\n' +
      'smuggled one\r\n\r.\rsmuggled two\r\n\r\n.\r\nafter\r\n',
  );
  assert.deepEqual(received.rcptTo, ['smuggle@example.net']);
  assert.equal(received.mailFrom, USER);
  assert.ok(!mx.messages.some((m) => m.rcptTo.includes('victim@example.net') || m.mailFrom === 'evil@example.net'), 'no second message');
  const accepted = server.logs.filter((r) => r.event === 'accepted' && JSON.stringify(r['rcptTo']).includes('victim'));
  assert.deepEqual(accepted, []);
});

test('dot-stuffed lines arrive un-stuffed', async () => {
  const d = await authenticatedSession();
  const reply = await sendMessage(d, 'dots@example.net', 'Subject: dots\r\n\r\n..leading\r\n...two\r\n..\r\nmid.dle\r\n. space\r\n.\r\n');
  assertReply(reply, 250, '2.0.0');
  await d.close();
  const received = await mx.waitForMessage((m) => m.rcptTo.includes('dots@example.net'));
  assert.equal(bodyOf(received), '.leading\r\n..two\r\n.\r\nmid.dle\r\n space\r\n');
});

// ---- hostile clients -------------------------------------------------------------

test('too many errors: 421 4.7.0 and the connection is closed', async () => {
  const d = await SmtpDialog.open({ host: HOST, port: server.ports.submission });
  await d.read();
  d.write('BOGUS\r\n'.repeat(30));
  const replies = await d.readUntilClosed();
  assert.equal(replies.length, 21, replies.map((r) => r.code).join(' '));
  assert.ok(replies.slice(0, 20).every((r) => r.code === 500 && r.enhanced === '5.5.2'));
  assertReply(replies[20]!, 421, '4.7.0');
});

test('garbage bytes and an HTTP request do not crash the server; a normal session works afterwards', async () => {
  // Deterministic pseudo-random bytes, all 256 values, with NULs, CRs and LFs.
  let seed = 2920;
  const garbage = Buffer.alloc(256 * 1024);
  for (let i = 0; i < garbage.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    garbage[i] = seed >>> 24;
  }
  for (const port of [server.ports.submission, server.ports.relay]) {
    const d = await SmtpDialog.open({ host: HOST, port });
    await d.read();
    d.write(garbage);
    const replies = await d.readUntilClosed();
    assert.ok(replies.length > 0 && replies.every((r) => r.code >= 500 || r.code === 421), replies.map((r) => `${r.code}`).join(' '));
    assertReply(replies[replies.length - 1]!, 421, '4.7.0');
  }
  const tlsGarbage = await SmtpDialog.open({ host: HOST, port: server.ports.submissions, implicitTls: true });
  await tlsGarbage.read();
  tlsGarbage.write(garbage);
  await tlsGarbage.readUntilClosed();

  const http = await SmtpDialog.open({ host: HOST, port: server.ports.submission });
  await http.read();
  http.write('GET / HTTP/1.1\r\nHost: mail.hikyaku.test\r\n\r\n');
  const httpReplies = await http.readUntilClosed();
  assert.deepEqual(httpReplies.map((r) => r.code), [500], 'closed at once');

  // A client that drops the connection mid-TLS-handshake after STARTTLS.
  const plain = netConnect({ host: HOST, port: server.ports.submission });
  const seen = collect(plain);
  await seen.until(/^220 /);
  plain.write('EHLO x\r\nSTARTTLS\r\n');
  await seen.until(/220 2\.0\.0/);
  plain.end(garbage.subarray(0, 100));
  await new Promise<void>((resolve) => plain.once('close', () => resolve()));

  const d = await authenticatedSession();
  assertReply(await sendMessage(d, 'aftergarbage@example.net', 'Subject: fine\r\n\r\nfine\r\n.\r\n'), 250, '2.0.0');
  assertReply(await d.command('QUIT'), 221, '2.0.0');
  await d.close();
});

// ---- graceful stop (last: it stops the server) -------------------------------------

test('graceful stop: an idle session gets 421 4.3.2; one that gives up its transaction too; a session mid-DATA finishes its message, gets 250, then 421', async () => {
  const idle = await SmtpDialog.open({ host: HOST, port: server.ports.submission });
  await idle.read();
  assertReply(await idle.command('EHLO idle.test'), 250);

  const busy = await authenticatedSession();
  assertReply(await busy.command(`MAIL FROM:<${USER}>`), 250, '2.1.0');
  assertReply(await busy.command('RCPT TO:<duringstop@example.net>'), 250, '2.1.5');
  assertReply(await busy.command('DATA'), 354);
  busy.write('Subject: during stop\r\n\r\nfirst half\r\n');

  const undecided = await authenticatedSession();
  assertReply(await undecided.command(`MAIL FROM:<${USER}>`), 250, '2.1.0');

  const stopping = server.stop();
  const idleReplies = await idle.readUntilClosed();
  assert.equal(idleReplies.length, 1);
  assertReply(idleReplies[0]!, 421, '4.3.2');

  // A transaction given up (RSET) during the stop leaves an idle session: 421 at once.
  assertReply(await undecided.command('RSET'), 250, '2.0.0');
  const undecidedRest = await undecided.readUntilClosed();
  assert.deepEqual(undecidedRest.map((r) => `${r.code} ${r.enhanced}`), ['421 4.3.2']);

  busy.write('second half\r\n.\r\n');
  const done = await busy.read();
  assertReply(done, 250, '2.0.0', 'the message under way is taken');
  const queueId = /queued as (\S+)/.exec(done.text)?.[1];
  assert.ok(queueId);
  const rest = await busy.readUntilClosed();
  assert.equal(rest.length, 1);
  assertReply(rest[0]!, 421, '4.3.2');
  await stopping;
  assert.ok(server.logs.some((r) => r.event === 'accepted' && r['queueId'] === queueId), 'stored before the 250');
});
