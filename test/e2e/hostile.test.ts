// A hostile client against a whole Hikyaku over real sockets: every attack
// that worked against the server before the sending policy, each answered
// the way Postfix's defences (or better) answer it, and after every abuse a
// normal session still works. Default policy settings throughout, except
// the windows and limits shortened through configuration so the test is
// quick, and loopback NOT exempt from the per-client limits (the default).
// Each test speaks from its own loopback address (127.0.0.20 and up), so
// that the per-address counters of one test do not touch another.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../helpers/smtp-sink.js';
import { SmtpDialog, type Reply } from '../helpers/smtp-dialog.js';
import { startHikyaku, type TestServer } from '../helpers/hikyaku.js';
import { DomainStore } from '../../src/domains/domain-store.js';

let dns: TestDnsServer;
let mx: SmtpSink;
let server: TestServer;
const USER = 'web@shop.test';
const PASSWORD = 'correct horse battery';
const TARPIT_MS = 150;
const COMMAND_DEADLINE_MS = 1000;

before(async () => {
  mx = await startSmtpSink({
    host: '127.0.0.2',
    onRcptTo: (address) => (address.startsWith('gone@') ? { code: 550, message: '5.1.1 <gone@example.net>: user unknown' } : undefined),
  });
  dns = await startDnsServer({
    'example.net': { MX: [{ preference: 10, exchange: 'mx.example.net' }] },
    'shop.test': { MX: [{ preference: 10, exchange: 'mx.example.net' }] },
    'mx.example.net': { A: ['127.0.0.2'] },
  });
  server = await startHikyaku(
    { dns: dns.address, mxPort: mx.port },
    {
      listeners: { relay: { trustedNetworks: ['127.0.0.40/32'], maySendAs: [] } },
      limits: {
        clientLimitExemptNetworks: [],
        maxConnectionsPerClient: 5,
        connectionRatePerClient: 12,
        commandDeadline: `${COMMAND_DEADLINE_MS}ms`,
        dataDeadline: '2s',
      },
      auth: { tarpitDelay: `${TARPIT_MS}ms`, blockDuration: '3s' },
    },
  );
  await server.addUser(USER, PASSWORD);
  // shop.test is a registered sending domain: the user may send as *@shop.test.
  const domains = DomainStore.open(server.dataDir);
  domains.add('shop.test');
});

after(async () => {
  await server?.stop();
  await mx?.close();
  await dns?.close();
});

let nextHost = 20;
/** A loopback address no other test has used. */
const freshAddress = (): string => `127.0.0.${nextHost++}`;
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const plain = (login: string, password: string): string => `AUTH PLAIN ${b64(`\0${login}\0${password}`)}`;

function assertReply(reply: Reply, code: number, enhanced?: string, text?: RegExp): void {
  const label = `${reply.code} ${reply.text}`;
  assert.equal(reply.code, code, label);
  if (enhanced !== undefined) assert.equal(reply.enhanced, enhanced, label);
  if (text !== undefined) assert.match(reply.text, text, label);
}

/** Port 465 (implicit TLS), greeted and EHLO'd, from `localAddress`. */
async function tlsSession(localAddress: string): Promise<SmtpDialog> {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submissions, implicitTls: true, localAddress });
  assertReply(await d.read(), 220);
  assertReply(await d.command('EHLO hostile.test'), 250);
  return d;
}

async function authenticated(localAddress = freshAddress()): Promise<SmtpDialog> {
  const d = await tlsSession(localAddress);
  assertReply(await d.command(plain(USER, PASSWORD)), 235, '2.7.0');
  return d;
}



/** After an abuse: a well-behaved client (from `from`, default a fresh address) still gets its message through. */
async function normalSessionWorks(label: string, from = freshAddress()): Promise<void> {
  const d = await authenticated(from);
  assertReply(await d.command(`MAIL FROM:<${USER}>`), 250, '2.1.0');
  assertReply(await d.command(`RCPT TO:<after-${label}@example.net>`), 250, '2.1.5');
  assertReply(await d.command('DATA'), 354);
  assertReply(await d.command(`From: <${USER}>\r\nSubject: after ${label}\r\n\r\nstill serving\r\n.`), 250, '2.0.0');
  await d.command('QUIT');
  await d.close();
  await mx.waitForMessage((m) => m.rcptTo.includes(`after-${label}@example.net`));
}

// ---- 1. sender identity --------------------------------------------------------

test('an authenticated user cannot send as anyone: MAIL FROM outside its addresses 553 5.7.1, header From/Sender outside them 550 5.7.1', async () => {
  const d = await authenticated();
  assertReply(await d.command('MAIL FROM:<ceo@other-company.test>'), 553, '5.7.1', /<ceo@other-company\.test> is not allowed for web@shop\.test/);
  // Its registered domain is allowed (default: own address and, registered, its domain).
  assertReply(await d.command('MAIL FROM:<sales@shop.test>'), 250, '2.1.0');
  assertReply(await d.command('RCPT TO:<victim@example.net>'), 250);
  assertReply(await d.command('DATA'), 354);
  assertReply(await d.command('From: "CEO" <ceo@other-company.test>\r\nSubject: spoof\r\n\r\npay now\r\n.'), 550, '5.7.1', /From: address <ceo@other-company\.test> is not allowed/);
  assertReply(await d.command('MAIL FROM:<sales@shop.test>'), 250);
  assertReply(await d.command('RCPT TO:<victim@example.net>'), 250);
  assertReply(await d.command('DATA'), 354);
  assertReply(await d.command('From: <sales@shop.test>\r\nSender: <boss@other-company.test>\r\nSubject: spoof\r\n\r\nx\r\n.'), 550, '5.7.1', /Sender: address/);
  // A second Sender field, or a second mailbox in it, is checked too.
  assertReply(await d.command('MAIL FROM:<sales@shop.test>'), 250);
  assertReply(await d.command('RCPT TO:<victim@example.net>'), 250);
  assertReply(await d.command('DATA'), 354);
  assertReply(await d.command('From: <sales@shop.test>\r\nSender: <web@shop.test>\r\nSender: <boss@other-company.test>\r\nSubject: two senders\r\n\r\nx\r\n.'), 550, '5.7.1', /boss@other-company/);
  // A second From mailbox counts too (RFC 5322 §3.6.2 allows several).
  assertReply(await d.command('MAIL FROM:<sales@shop.test>'), 250);
  assertReply(await d.command('RCPT TO:<victim@example.net>'), 250);
  assertReply(await d.command('DATA'), 354);
  assertReply(await d.command('From: <sales@shop.test>, <ceo@other-company.test>\r\nSubject: two\r\n\r\nx\r\n.'), 550, '5.7.1');
  await d.command('QUIT');
  await d.close();
  await server.waitForLog((r) => r.event === 'sender-denied' && r['mailFrom'] === 'ceo@other-company.test');
  assert.ok(!mx.messages.some((m) => m.rcptTo.includes('victim@example.net')), 'nothing spoofed was relayed');
  await normalSessionWorks('identity');
});

test('the trusted port-25 network may use any MAIL FROM but only a From in a registered sending domain', async () => {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.relay, localAddress: '127.0.0.40' });
  assertReply(await d.read(), 220);
  assertReply(await d.command('EHLO app.shop.test'), 250);
  assertReply(await d.command('MAIL FROM:<www-data@vps-1234.provider.test>'), 250);
  assertReply(await d.command('RCPT TO:<cron@example.net>'), 250);
  assertReply(await d.command('DATA'), 354);
  assertReply(await d.command('From: <ceo@other-company.test>\r\nSubject: spoof\r\n\r\nx\r\n.'), 550, '5.7.1', /trusted client 127\.0\.0\.40/);
  assertReply(await d.command('MAIL FROM:<www-data@vps-1234.provider.test>'), 250);
  assertReply(await d.command('RCPT TO:<cron@example.net>'), 250);
  assertReply(await d.command('DATA'), 354);
  assertReply(await d.command('From: <cron@shop.test>\r\nSubject: cron report\r\n\r\nall fine\r\n.'), 250, '2.0.0');
  // Without any From, the unchecked envelope would be the only identity: refused.
  assertReply(await d.command('MAIL FROM:<ceo@other-company.test>'), 250);
  assertReply(await d.command('RCPT TO:<cron@example.net>'), 250);
  assertReply(await d.command('DATA'), 354);
  assertReply(await d.command('Subject: no From at all\r\n\r\nx\r\n.'), 550, '5.7.1', /no From/);
  await d.command('QUIT');
  await d.close();
  const got = await mx.waitForMessage((m) => m.rcptTo.includes('cron@example.net'));
  assert.equal(got.mailFrom, 'cron@shop.test', 'the envelope moved into the From domain (DMARC alignment)');
});

// ---- 4. AUTH brute force ------------------------------------------------------

test('wrong passwords in one session: each answered later than the last (tarpit), and the session closed after three', async () => {
  const from = freshAddress();
  const d = await tlsSession(from);
  const started: number[] = [];
  const answered: number[] = [];
  for (let i = 0; i < 3; i++) {
    started.push(Date.now());
    const reply = await d.command(plain(USER, `guess ${i}`));
    answered.push(Date.now());
    assertReply(reply, 535, '5.7.8');
  }
  // 1×, 2× and 4× the base delay: the answers are never at full speed.
  for (let i = 0; i < 3; i++) assert.ok(answered[i]! - started[i]! >= TARPIT_MS * 2 ** i * 0.9, `failure ${i + 1} answered after ${answered[i]! - started[i]!} ms`);
  const closing = await d.readUntilClosed();
  assert.equal(closing[0]?.code, 421);
  assert.equal(closing[0]?.enhanced, '4.7.0');
  const failed = await server.waitForLog((r) => r.event === 'auth-failed' && r['clientIp'] === from);
  // The README's fail2ban filter matches the line as written (pino keeps the key order).
  assert.match(JSON.stringify(failed), new RegExp(`"event":"auth-failed","clientIp":"${from.replace(/\./g, '\\.')}"`));
  assert.ok(!JSON.stringify(server.logs).includes('guess 1'), 'passwords never logged');
  await normalSessionWorks('tarpit');
});

test('twelve parallel wrong passwords from one address: past 10 failures AUTH from it gets 454 4.7.0, even with the right password; other addresses are not affected', async () => {
  const from = freshAddress();
  // Different names, so that only the per-address count can stop them.
  const sessions = await Promise.all(Array.from({ length: 4 }, () => tlsSession(from)));
  const replies = await Promise.all(
    sessions.map(async (d, s) => {
      const got: Reply[] = [];
      for (let i = 0; i < 3; i++) got.push(await d.command(plain(`nobody${s}-${i}@shop.test`, 'wrong')));
      return got;
    }),
  );
  const codes = replies.flat().map((r) => r.code);
  assert.equal(codes.length, 12);
  assert.ok(codes.filter((c) => c === 535).length <= 10, `at most 10 verified failures: ${codes.join(' ')}`);
  await Promise.all(sessions.map((d) => d.close()));
  await server.waitForLog((r) => r.event === 'auth-block' && r['clientIp'] === from && r['blocked'] === 'client');
  const again = await tlsSession(from);
  assertReply(await again.command(plain(USER, PASSWORD)), 454, '4.7.0', /try again later/);
  await again.close();
  await server.waitForLog((r) => r.event === 'auth-blocked' && r['clientIp'] === from);
  await normalSessionWorks('parallel-guessing');
  // The block ends after auth.blockDuration (3 s here).
  await new Promise((r) => setTimeout(r, 3100));
  const later = await tlsSession(from);
  assertReply(await later.command(plain(USER, PASSWORD)), 235, '2.7.0');
  await later.close();
});

test('a login name guessed from many addresses is blocked for every address, and the answer does not tell whether the name exists', async () => {
  for (const name of ['victim@shop.test', 'nosuchuser@shop.test']) {
    for (let i = 0; i < 5; i++) {
      const d = await tlsSession(freshAddress());
      assertReply(await d.command(plain(name, `try ${i}`)), 535, '5.7.8');
      assertReply(await d.command(plain(name, `try ${i}b`)), 535, '5.7.8');
      await d.close();
    }
    const d = await tlsSession(freshAddress());
    assertReply(await d.command(plain(name, 'one more')), 454, '4.7.0');
    await d.close();
  }
  await server.waitForLog((r) => r.event === 'auth-block' && r['blocked'] === 'login' && r['login'] === 'nosuchuser@shop.test');
  await normalSessionWorks('name-guessing');
});

// ---- 5. connection limits ------------------------------------------------------

test('one address holds at most limits.maxConnectionsPerClient sessions (421 4.7.0 beyond); a freed slot is usable again', async () => {
  const from = freshAddress();
  const held = [];
  for (let i = 0; i < 5; i++) {
    const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission, localAddress: from });
    assertReply(await d.read(), 220);
    held.push(d);
  }
  const sixth = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission, localAddress: from });
  assertReply(await sixth.read(), 421, '4.7.0', /from your address/);
  await assert.rejects(sixth.read(2000), /connection closed/);
  // The limit is per address: the same port from another address is served.
  const other = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission, localAddress: freshAddress() });
  assertReply(await other.read(), 220);
  await other.close();
  await held[0]!.command('QUIT');
  await held[0]!.close();
  const again = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission, localAddress: from });
  assertReply(await again.read(), 220);
  await again.close();
  await Promise.all(held.slice(1).map((d) => d.close()));
  await server.waitForLog((r) => r.event === 'connection-limit' && r['clientIp'] === from);
});

test('port 465: connections still in the TLS handshake count toward the per-address limit; past it they are closed at once', async () => {
  const from = freshAddress();
  const open: import('node:net').Socket[] = [];
  const closedAt: (number | undefined)[] = Array<number | undefined>(8).fill(undefined);
  for (let i = 0; i < 8; i++) {
    const socket = netConnect({ host: '127.0.0.1', port: server.ports.submissions, localAddress: from });
    socket.on('error', () => {});
    const index = i;
    socket.once('close', () => (closedAt[index] = Date.now()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(Buffer.from([0x16, 0x03, 0x01])); // the start of a ClientHello, never finished
    open.push(socket);
  }
  await server.waitForLog((r) => r.event === 'connection-limit' && r['clientIp'] === from);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(closedAt.slice(0, 5), [undefined, undefined, undefined, undefined, undefined], 'five handshakes may wait');
  assert.ok(closedAt.slice(5).every((t) => t !== undefined), 'the sixth and later are closed');
  for (const socket of open) socket.destroy();
  await normalSessionWorks('handshake-flood');
});

test('new connections from one address are limited per minute (421 4.7.0), counted across the listeners', async () => {
  const from = freshAddress();
  const greetings: number[] = [];
  for (let i = 0; i < 13; i++) {
    const port = i % 2 === 0 ? server.ports.submission : server.ports.relay;
    const d = await SmtpDialog.open({ host: '127.0.0.1', port, localAddress: from });
    const greeting = await d.read();
    greetings.push(greeting.code);
    // QUIT ends the session at once on our side, so only the rate (not the 5 simultaneous) can refuse.
    if (greeting.code === 220) await d.command('QUIT');
    else assertReply(greeting, 421, '4.7.0', /new connections/);
    await d.close();
  }
  assert.deepEqual(greetings.slice(0, 12), Array(12).fill(220));
  assert.equal(greetings[12], 421);
  await normalSessionWorks('connection-rate');
});

test('a command dripped one byte at a time is cut off at limits.commandDeadline (421 4.4.2), though every byte resets the idle timeout', async () => {
  const from = freshAddress();
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission, localAddress: from });
  assertReply(await d.read(), 220);
  const started = Date.now();
  const drip = 'EHLO slowly-dripping-client.test';
  let i = 0;
  const timer = setInterval(() => {
    if (i < drip.length) d.write(drip[i++]!);
  }, 150);
  try {
    const reply = await d.read(10_000);
    assertReply(reply, 421, '4.4.2');
    const took = Date.now() - started;
    assert.ok(took >= COMMAND_DEADLINE_MS * 0.9 && took < 5000, `cut off after ${took} ms`);
  } finally {
    clearInterval(timer);
  }
  await assert.rejects(d.read(2000), /connection closed/);
  await normalSessionWorks('drip');
});

test('a message dripped after DATA is cut off at limits.dataDeadline (421 4.4.2) and nothing is queued', async () => {
  const d = await authenticated();
  assertReply(await d.command(`MAIL FROM:<${USER}>`), 250);
  assertReply(await d.command('RCPT TO:<drip@example.net>'), 250);
  assertReply(await d.command('DATA'), 354);
  const timer = setInterval(() => d.write('x'), 200);
  try {
    assertReply(await d.read(10_000), 421, '4.4.2');
  } finally {
    clearInterval(timer);
  }
  await normalSessionWorks('data-drip');
  assert.ok(!mx.messages.some((m) => m.rcptTo.includes('drip@example.net')));
});

// ---- 6. command hygiene -------------------------------------------------------

test('command lines: over 512 octets 500 5.5.2 (MAIL/RCPT up to 2048, AUTH up to 12288); NUL, bare CR, bare LF 501 5.5.2; the session stays usable', async () => {
  const d = await authenticated();
  assertReply(await d.command(`NOOP ${'x'.repeat(2000)}`), 500, '5.5.2', /512/);
  assertReply(await d.command(`EHLO ${'a'.repeat(600)}.test`), 500, '5.5.2');
  assertReply(await d.command('EHLO bad\0name.test'), 501, '5.5.2');
  assertReply(await d.command('NOOP with\rbare CR'), 501, '5.5.2');
  d.write('NOOP bare LF\n');
  assertReply(await d.read(), 501, '5.5.2');
  // MAIL with parameters may use the extension allowance (here an over-long but harmless SIZE-style parameter list).
  assertReply(await d.command(`MAIL FROM:<${USER}> ${Array.from({ length: 60 }, (_, i) => `X${i}=${'v'.repeat(10)}`).join(' ')}`), 555, '5.5.4');
  assertReply(await d.command('RSET'), 250);
  assertReply(await d.command('NOOP'), 250, '2.0.0');
  await d.command('QUIT');
  await d.close();
  await normalSessionWorks('hygiene');
});

test('malformed paths: <<a@b>>, <x@@b>, no domain, an unbalanced quote: 501 5.1.3 (5.1.7 at MAIL) naming the problem, without ending the session', async () => {
  const d = await authenticated();
  assertReply(await d.command('MAIL FROM:<web@@shop.test>'), 501, '5.1.7', /two "@" signs/);
  assertReply(await d.command(`MAIL FROM:<${USER}>`), 250);
  assertReply(await d.command('RCPT TO:<<a@example.net>>'), 501, '5.1.3');
  assertReply(await d.command('RCPT TO:<x@@example.net>'), 501, '5.1.3', /two "@" signs/);
  assertReply(await d.command('RCPT TO:<nodomain>'), 501, '5.1.3');
  assertReply(await d.command('RCPT TO:<"unbalanced@example.net>'), 501, '5.1.3', /unbalanced quotes/);
  assertReply(await d.command('RCPT TO:<fine@example.net>'), 250, '2.1.5');
  assertReply(await d.command('DATA'), 354);
  assertReply(await d.command(`From: <${USER}>\r\nSubject: after bad paths\r\n\r\nok\r\n.`), 250);
  await d.close();
  await mx.waitForMessage((m) => m.rcptTo.includes('fine@example.net'));
});

test('150 pipelined recipients: 100 accepted, 452 4.5.3 for the rest without "too many errors"; the rest go in a second transaction on the same connection', async () => {
  const d = await authenticated();
  const rcpts = Array.from({ length: 150 }, (_, i) => `bulk${i}@example.net`);
  d.write(`MAIL FROM:<${USER}>\r\n` + rcpts.map((r) => `RCPT TO:<${r}>\r\n`).join('') + 'DATA\r\n');
  const replies: Reply[] = [];
  for (let i = 0; i < 152; i++) replies.push(await d.read());
  assertReply(replies[0]!, 250);
  const rcptReplies = replies.slice(1, 151);
  assert.equal(rcptReplies.filter((r) => r.code === 250).length, 100);
  assert.ok(rcptReplies.slice(100).every((r) => r.code === 452 && r.enhanced === '4.5.3'));
  assertReply(replies[151]!, 354);
  assertReply(await d.command(`From: <${USER}>\r\nSubject: first 100\r\n\r\nbulk\r\n.`), 250);
  assertReply(await d.command(`MAIL FROM:<${USER}>`), 250);
  for (const r of rcpts.slice(100)) assertReply(await d.command(`RCPT TO:<${r}>`), 250);
  assertReply(await d.command('DATA'), 354);
  assertReply(await d.command(`From: <${USER}>\r\nSubject: last 50\r\n\r\nbulk\r\n.`), 250);
  await d.command('QUIT');
  await d.close();
  const delivered = new Set<string>();
  for (let n = 1; delivered.size < 150; n++) {
    for (const m of await mx.waitForMessages(n)) for (const r of m.rcptTo) if (r.startsWith('bulk')) delivered.add(r);
  }
  assert.equal(delivered.size, 150);
});

test('one mailbox written two ways in one transaction is one recipient', async () => {
  const d = await authenticated();
  assertReply(await d.command(`MAIL FROM:<${USER}>`), 250);
  assertReply(await d.command('RCPT TO:<twice@example.net>'), 250);
  assertReply(await d.command('RCPT TO:<twice@EXAMPLE.net>'), 250);
  assertReply(await d.command('RCPT TO:<"twice"@example.net>'), 250);
  assertReply(await d.command('DATA'), 354);
  assertReply(await d.command(`From: <${USER}>\r\nSubject: once\r\n\r\nonce\r\n.`), 250);
  await d.close();
  const got = await mx.waitForMessage((m) => m.rcptTo.some((r) => r.startsWith('twice@')));
  assert.deepEqual(got.rcptTo, ['twice@example.net']);
});

// ---- 7. loops ---------------------------------------------------------------

test('more than limits.maxReceivedHeaders (50) Received fields: 554 5.4.6 (a mail loop); 50 are fine', async () => {
  const d = await authenticated();
  const received = (n: number): string => Array.from({ length: n }, (_, i) => `Received: from hop${i}.test by hop${i + 1}.test; Fri, 4 Dec 2026 00:00:00 +0000\r\n`).join('');
  assertReply(await d.command(`MAIL FROM:<${USER}>`), 250);
  assertReply(await d.command('RCPT TO:<loop@example.net>'), 250);
  assertReply(await d.command('DATA'), 354);
  assertReply(await d.command(`${received(51)}From: <${USER}>\r\nSubject: loop\r\n\r\nround and round\r\n.`), 554, '5.4.6', /loop/);
  assertReply(await d.command(`MAIL FROM:<${USER}>`), 250);
  assertReply(await d.command('RCPT TO:<fifty@example.net>'), 250);
  assertReply(await d.command('DATA'), 354);
  assertReply(await d.command(`${received(50)}From: <${USER}>\r\nSubject: fifty\r\n\r\nok\r\n.`), 250);
  await d.close();
  await mx.waitForMessage((m) => m.rcptTo.includes('fifty@example.net'));
  assert.ok(!mx.messages.some((m) => m.rcptTo.includes('loop@example.net')));
});

// ---- 9. suppression list --------------------------------------------------------

test('a recipient that hard-bounced (550 5.1.1) is refused at RCPT afterwards with 550 5.1.1, whichever way it is written', async () => {
  const d = await authenticated();
  assertReply(await d.command(`MAIL FROM:<${USER}>`), 250);
  assertReply(await d.command('RCPT TO:<gone@example.net>'), 250);
  assertReply(await d.command('DATA'), 354);
  assertReply(await d.command(`From: <${USER}>\r\nSubject: to a dead address\r\n\r\nhello?\r\n.`), 250);
  await server.waitForLog((r) => r.event === 'suppression-added' && r['rcptTo'] === 'gone@example.net');
  assertReply(await d.command(`MAIL FROM:<${USER}>`), 250);
  assertReply(await d.command('RCPT TO:<gone@example.net>'), 550, '5.1.1', /suppression list.*hikyaku suppression remove gone@example\.net/);
  assertReply(await d.command('RCPT TO:<"gone"@Example.NET>'), 550, '5.1.1');
  // A list full of suppressed addresses is not a client misbehaving: no "too many errors".
  for (let i = 0; i < 25; i++) assertReply(await d.command('RCPT TO:<gone@example.net>'), 550, '5.1.1');
  assertReply(await d.command('RCPT TO:<alive@example.net>'), 250);
  await d.close();
});

// ---- no open relay, no crash -------------------------------------------------------

test('garbage, a raw TLS hello on the plain port and abrupt disconnects do not take the server down', async () => {
  for (let i = 0; i < 3; i++) {
    const socket = netConnect({ host: '127.0.0.1', port: server.ports.submission, localAddress: freshAddress() });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0, 0, 0xff, 0xfe, 0x0d, 0x0a]));
    socket.write('\0\0\0\r\nMAIL FROM:<x>\r\n');
    socket.destroy();
  }
  await normalSessionWorks('garbage');
});
