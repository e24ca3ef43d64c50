// CHUNKING / BDAT (RFC 3030) at submission, over real sockets against a whole
// Hikyaku delivering to a real receiver: chunks pipelined and cut at every
// byte, BDAT 0 LAST, the size limit (552 without keeping the chunk, and the
// session goes on), 503 for BDAT out of sequence with its octets still read,
// SMTP smuggling inside a chunk, the same queued bytes as DATA, DKIM, and the
// data deadline over the whole BDAT transaction.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../helpers/smtp-sink.js';
import { SmtpDialog, type Reply } from '../helpers/smtp-dialog.js';
import { startHikyaku, tempDir, type TestServer } from '../helpers/hikyaku.js';
import { pythonVerify, skipPython } from '../helpers/python-dkim.js';
import { DomainStore } from '../../src/domains/domain-store.js';
import { recordsToPublish } from '../../src/domains/records.js';
import { toCrlf } from '../../src/message/canonical.js';

let dns: TestDnsServer;
let mx: SmtpSink;
let server: TestServer;
const HOST = '127.0.0.1';
// The relay listener trusts 127.0.0.2 (test/helpers/hikyaku.ts): no AUTH, no TLS needed.
const CLIENT = '127.0.0.2';
const MAX_MESSAGE = 64 * 1024;
const dataDir = tempDir();

before(async () => {
  mx = await startSmtpSink({ host: '127.0.0.2' });
  dns = await startDnsServer({
    'example.net': { MX: [{ preference: 10, exchange: 'mx.example.net' }] },
    'mx.example.net': { A: ['127.0.0.2'] },
  });
  // shop.test signs (DKIM); its keys are published in the test DNS for python3-dkim.
  const store = DomainStore.open(dataDir);
  store.add('shop.test');
  const domain = store.get('shop.test');
  assert.ok(domain);
  const records = recordsToPublish(domain, { hostname: 'mail.hikyaku.test', outboundAddresses: ['127.0.0.1'], smarthost: undefined, nowMs: Date.now() });
  dns.loadZoneText(records.filter((r) => r.purpose === 'dkim').map((r) => r.zoneLine).join('\n'));
  server = await startHikyaku({ dns: dns.address, mxPort: mx.port }, { limits: { maxMessageSize: MAX_MESSAGE } }, { dataDir });
});

after(async () => {
  await server?.stop();
  await mx?.close();
  await dns?.close();
});

function assertReply(reply: Reply | undefined, code: number, enhanced?: string, label = ''): void {
  assert.ok(reply, `${label}: no reply`);
  const text = `${label}: ${reply.code} ${reply.text}`;
  assert.equal(reply.code, code, text);
  if (enhanced !== undefined) assert.equal(reply.enhanced, enhanced, text);
}

async function readReplies(d: SmtpDialog, count: number): Promise<Reply[]> {
  const out: Reply[] = [];
  for (let i = 0; i < count; i++) out.push(await d.read());
  return out;
}

async function relaySession(target: TestServer = server): Promise<SmtpDialog> {
  const d = await SmtpDialog.open({ host: HOST, port: target.ports.relay, localAddress: CLIENT });
  assertReply(await d.read(), 220);
  assertReply(await d.command('EHLO client.test'), 250);
  return d;
}

function message(subject: string, body: string): string {
  return `From: Shop <info@shop.test>\r\nTo: <someone@example.net>\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@shop.test>\r\nDate: Fri, 04 Dec 2026 08:00:00 +0000\r\n\r\n${body}`;
}

/** "BDAT <n>[ LAST]" CRLF and the chunk, for each chunk. */
function bdat(chunks: readonly string[], lastEmpty = false): string {
  return chunks.map((c, i) => `BDAT ${Buffer.byteLength(c, 'latin1')}${i === chunks.length - 1 && !lastEmpty ? ' LAST' : ''}\r\n${c}`).join('') + (lastEmpty ? 'BDAT 0 LAST\r\n' : '');
}

/** The part of the delivered message that the client wrote (below the Received and DKIM-Signature fields we add). */
function clientPart(m: ReceivedMail): Buffer {
  const at = m.raw.indexOf('From: Shop <info@shop.test>');
  assert.ok(at >= 0, 'the client-written header is there');
  return m.raw.subarray(at);
}

const delivered = (subject: string): Promise<ReceivedMail> => mx.waitForMessage((m) => m.raw.includes(`Subject: ${subject}\r\n`));

test('EHLO offers CHUNKING (not BINARYMIME), on the relay and on 587', async () => {
  const relay = await SmtpDialog.open({ host: HOST, port: server.ports.relay, localAddress: CLIENT });
  await relay.read();
  const submission = await SmtpDialog.open({ host: HOST, port: server.ports.submission });
  await submission.read();
  for (const d of [relay, submission]) {
    const ehlo = await d.command('EHLO client.test');
    assert.ok(ehlo.lines.includes('CHUNKING'), ehlo.text);
    assert.ok(!ehlo.lines.some((l) => l.startsWith('BINARYMIME')), ehlo.text);
    await d.close();
  }
});

/** Three transactions: two chunks; a chunk, BDAT 0, a LAST chunk; two chunks then BDAT 0 LAST. */
function pipelinedTransactions(tag: string): { wire: string; replies: [number, string | undefined][]; messages: Map<string, string> } {
  const m1 = message(`${tag}-1`, 'first body\r\n');
  const m2 = message(`${tag}-2`, 'second body, a line\r\n.\r\nthat ends DATA but not BDAT\r\n');
  const m3 = message(`${tag}-3`, 'third body\r\n');
  const envelope = (rcpt: string): string => `MAIL FROM:<info@shop.test>\r\nRCPT TO:<${rcpt}@example.net>\r\n`;
  const wire =
    envelope(`${tag}-1`) +
    bdat([m1.slice(0, 31), m1.slice(31)]) +
    envelope(`${tag}-2`) +
    `BDAT 20\r\n${m2.slice(0, 20)}BDAT 0\r\nBDAT ${m2.length - 20} LAST\r\n${m2.slice(20)}` +
    envelope(`${tag}-3`) +
    bdat([m3.slice(0, 40), m3.slice(40)], true) +
    'NOOP\r\n';
  const ok: [number, string | undefined] = [250, undefined];
  const replies: [number, string | undefined][] = [
    [250, '2.1.0'], [250, '2.1.5'], [250, '2.0.0'], [250, '2.0.0'],
    [250, '2.1.0'], [250, '2.1.5'], [250, '2.0.0'], [250, '2.0.0'], [250, '2.0.0'],
    [250, '2.1.0'], [250, '2.1.5'], [250, '2.0.0'], [250, '2.0.0'], [250, '2.0.0'],
    ok,
  ];
  return { wire, replies, messages: new Map([[`${tag}-1`, m1], [`${tag}-2`, m2], [`${tag}-3`, m3]]) };
}

async function checkDelivered(messages: Map<string, string>): Promise<void> {
  for (const [subject, text] of messages) {
    const m = await delivered(subject);
    assert.deepEqual(m.rcptTo, [`${subject}@example.net`]);
    assert.equal(clientPart(m).toString('latin1'), text, subject);
  }
}

test('pipelining: three BDAT transactions (with BDAT 0 and BDAT 0 LAST) in one write get their replies in order and arrive intact', async () => {
  const d = await relaySession();
  const { wire, replies, messages } = pipelinedTransactions('piped');
  d.write(Buffer.from(wire, 'latin1'));
  const got = await readReplies(d, replies.length);
  replies.forEach(([code, enhanced], i) => assertReply(got[i], code, enhanced, `reply ${i}`));
  assert.equal(got[2]!.text, '2.0.0 31 octets received');
  assert.equal(got[7]!.text, '2.0.0 0 octets received');
  assert.match(got[3]!.text, /queued as/);
  await d.command('QUIT');
  await d.close();
  await checkDelivered(messages);
});

/** A raw client that writes one byte per packet (Nagle off, a turn of the event loop between bytes). */
async function drip(port: number, data: Buffer, expectReplies: number): Promise<string[]> {
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = netConnect({ host: HOST, port, localAddress: CLIENT }, () => resolve(s));
    s.once('error', reject);
  });
  socket.setNoDelay(true);
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  const finalLines = (): string[] => text.split('\r\n').filter((l) => /^\d{3} /.test(l));
  socket.write('EHLO drip.test\r\n');
  for (const byte of data) {
    socket.write(Buffer.of(byte));
    await new Promise((r) => setImmediate(r));
  }
  const deadline = Date.now() + 10_000;
  while (finalLines().length < expectReplies + 2 && Date.now() < deadline) await sleep(20);
  socket.destroy();
  return finalLines().slice(2); // after the greeting and EHLO
}

test('the same three transactions written one byte per packet: the same replies and messages', async () => {
  const { wire, replies, messages } = pipelinedTransactions('dripped');
  const lines = await drip(server.ports.relay, Buffer.from(wire, 'latin1'), replies.length);
  assert.equal(lines.length, replies.length, lines.join('\n'));
  replies.forEach(([code, enhanced], i) => assert.ok(lines[i]!.startsWith(`${code} ${enhanced ?? ''}`), `${i}: ${lines[i]}`));
  await checkDelivered(messages);
});

test('a chunk that would pass the size limit: 552 5.3.4 after its octets, the transaction fails (503 to the next BDAT), and a new one works', async () => {
  const d = await relaySession();
  const big = 'x'.repeat(40_000);
  d.write(`MAIL FROM:<info@shop.test>\r\nRCPT TO:<toobig@example.net>\r\nBDAT 40000\r\n${big}BDAT 40000\r\n${big}BDAT 8 LAST\r\nQUIT\r\n\r\n`);
  const [mail, rcpt, first, second, third] = await readReplies(d, 5);
  assertReply(mail, 250, '2.1.0', 'MAIL');
  assertReply(rcpt, 250, '2.1.5', 'RCPT');
  assertReply(first, 250, '2.0.0', 'the first chunk fits');
  assertReply(second, 552, '5.3.4', 'the second would pass the limit');
  assertReply(third, 503, '5.5.1', 'the transaction failed');
  // More chunks pipelined behind the failed one (a client that sends many) do not reach the error limit.
  d.write('BDAT 1\r\nx'.repeat(30) + 'NOOP\r\n');
  const more = await readReplies(d, 31);
  more.slice(0, 30).forEach((r, i) => assertReply(r, 503, '5.5.1', `chunk ${i}`));
  assertReply(more[30], 250, '2.0.0', 'the session goes on');
  // A new transaction on the same session.
  const text = message('after-552', 'fits\r\n');
  d.write(`MAIL FROM:<info@shop.test>\r\nRCPT TO:<after552@example.net>\r\n${bdat([text])}`);
  const replies = await readReplies(d, 3);
  assertReply(replies[2], 250, '2.0.0', 'stored');
  await d.command('QUIT');
  await d.close();
  assert.equal(clientPart(await delivered('after-552')).toString('latin1'), text);
  assert.ok(!mx.messages.some((m) => m.rcptTo.includes('toobig@example.net')));
});

test('BDAT announcing 10 GB: its octets are read and dropped as they come, the server does not grow, and it keeps serving', { timeout: 60_000 }, async () => {
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = netConnect({ host: HOST, port: server.ports.relay, localAddress: CLIENT }, () => resolve(s));
    s.once('error', reject);
  });
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  socket.write('EHLO huge.test\r\nMAIL FROM:<info@shop.test>\r\nRCPT TO:<huge@example.net>\r\nBDAT 10000000000 LAST\r\n');
  const block = Buffer.alloc(1024 * 1024, 'A');
  const base = process.memoryUsage();
  let peakArrayBuffers = 0;
  let peakRss = 0;
  const STREAMED_MIB = 256;
  for (let i = 0; i < STREAMED_MIB; i++) {
    // With the client's own backpressure, what piles up can only be the server's.
    if (!socket.write(block)) await new Promise((r) => socket.once('drain', r));
    const now = process.memoryUsage();
    peakArrayBuffers = Math.max(peakArrayBuffers, now.arrayBuffers - base.arrayBuffers);
    peakRss = Math.max(peakRss, now.rss - base.rss);
  }
  const MiB = 1024 * 1024;
  // Dropped blocks wait for the garbage collector, which lags on a loaded
  // machine (54 MiB was seen once under a full parallel suite); buffering the
  // chunk would show the whole 256 MiB.
  assert.ok(peakArrayBuffers < 96 * MiB, `buffers grew by ${Math.round(peakArrayBuffers / MiB)} MiB while ${STREAMED_MIB} MiB were streamed`);
  assert.ok(peakRss < 128 * MiB, `RSS grew by ${Math.round(peakRss / MiB)} MiB while ${STREAMED_MIB} MiB were streamed`);
  // Greeting, EHLO, MAIL, RCPT, and nothing for the chunk yet (nor a 421).
  assert.deepEqual(
    text.split('\r\n').filter((l) => /^\d{3} /.test(l)).map((l) => l.slice(0, 3)),
    ['220', '250', '250', '250'],
  );
  assert.ok(!socket.destroyed);
  socket.destroy();
  const d = await relaySession();
  assertReply(await d.command('NOOP'), 250, '2.0.0', 'the server still serves');
  await d.close();
});

test('BDAT before MAIL or before RCPT: 503 5.5.1 once its octets are in, which are never taken as commands', async () => {
  const d = await relaySession();
  d.write('BDAT 12\r\nQUIT\r\nRSET\r\n');
  assertReply(await d.read(), 503, '5.5.1', 'no MAIL');
  assertReply(await d.command('NOOP'), 250, '2.0.0', 'QUIT inside the chunk was not taken');
  assertReply(await d.command('MAIL FROM:<info@shop.test>'), 250);
  d.write('BDAT 6 LAST\r\nRSET\r\n');
  assertReply(await d.read(), 503, '5.5.1', 'no RCPT');
  // The transaction is still there: RSET inside the chunk was not taken either.
  assertReply(await d.command('RCPT TO:<seq@example.net>'), 250, '2.1.5');
  const text = message('after-503', 'sequenced\r\n');
  d.write(bdat([text]));
  assertReply(await d.read(), 250, '2.0.0', 'stored');
  await d.command('QUIT');
  await d.close();
  assert.equal(clientPart(await delivered('after-503')).toString('latin1'), text);
});

test('DATA after BDAT in one transaction is 503; a bad LAST keyword is 501 after the octets and fails the transaction', async () => {
  const d = await relaySession();
  d.write('MAIL FROM:<info@shop.test>\r\nRCPT TO:<mixed@example.net>\r\nBDAT 5\r\nabcdeDATA\r\n');
  const [, , chunk, data] = await readReplies(d, 4);
  assertReply(chunk, 250, '2.0.0');
  assertReply(data, 503, '5.5.1', 'DATA after BDAT');
  d.write('BDAT 4 FIRST\r\nNOOPBDAT 3 LAST\r\nabc');
  assertReply(await d.read(), 501, '5.5.4', 'bad keyword');
  assertReply(await d.read(), 503, '5.5.1', 'the transaction failed with it');
  assertReply(await d.command('NOOP'), 250);
  await d.command('QUIT');
  await d.close();
  assert.ok(!mx.messages.some((m) => m.rcptTo.includes('mixed@example.net')));
});

test('a chunk size that cannot be read (not digits, past 2^53): 501, then 421 and the connection closes (the chunk end cannot be found)', async () => {
  for (const size of ['12x', '99999999999999999999', '-5', '']) {
    const d = await relaySession();
    d.write(`MAIL FROM:<info@shop.test>\r\nRCPT TO:<badsize@example.net>\r\nBDAT ${size} LAST\r\nNOOP\r\n`);
    const replies = await d.readUntilClosed();
    assert.deepEqual(
      replies.map((r) => `${r.code} ${r.enhanced}`),
      ['250 2.1.0', '250 2.1.5', '501 5.5.4', '421 4.5.0'],
      `BDAT ${size}`,
    );
  }
});

test('SMTP smuggling inside a chunk: CRLF.CRLF, LF.LF and a whole second transaction are content of one message', async () => {
  const smuggled =
    'MAIL FROM:<info@shop.test>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\n' +
    'From: Shop <info@shop.test>\r\nSubject: smuggled\r\n\r\nevil\r\n';
  const body = `before\r\n.\r\n${smuggled}.\r\nmiddle\n.\n${smuggled}.\r\nQUIT\r\nafter\r\n`;
  const text = message('smuggle-carrier', body);
  const d = await relaySession();
  d.write(`MAIL FROM:<info@shop.test>\r\nRCPT TO:<carrier@example.net>\r\n${bdat([text.slice(0, 100), text.slice(100)])}NOOP\r\n`);
  const replies = await readReplies(d, 5);
  assertReply(replies[3], 250, '2.0.0', 'one message stored');
  assert.match(replies[3]!.text, /queued as/);
  assertReply(replies[4], 250, '2.0.0', 'the session goes on: nothing inside was a command');
  await d.command('QUIT');
  await d.close();
  const m = await delivered('smuggle-carrier');
  assert.equal(clientPart(m).toString('latin1'), toCrlf(Buffer.from(text, 'latin1')).toString('latin1'), 'stored as content, bare LF made CRLF');
  await sleep(500);
  assert.ok(!mx.messages.some((x) => x.rcptTo.includes('victim@example.net') || (x.raw.includes('Subject: smuggled\r\n\r\nevil') && !x.raw.includes('smuggle-carrier'))));
});

test('the same message by DATA and by BDAT is queued as the same bytes (line endings canonicalised alike), and its DKIM signature verifies', async () => {
  // Bare LF, bare CR, a dot line, and (in BDAT) a CRLF cut between two chunks.
  const body = 'line one\r\n.leading dot\r\nbare LF\nbare CR\rsplit here\r\nend\r\n';
  const viaData = message('same-data', body);
  const viaBdat = message('same-bdat', body);
  const d = await relaySession();
  // DATA: dot-stuffing after CRLF only (a "." after a bare LF is content there, see data-reader.ts).
  d.write(`MAIL FROM:<info@shop.test>\r\nRCPT TO:<same@example.net>\r\nDATA\r\n`);
  await readReplies(d, 3);
  d.write(`${viaData.replace(/\r\n\./g, '\r\n..')}.\r\n`);
  assertReply(await d.read(), 250, '2.0.0', 'DATA');
  const cut = viaBdat.indexOf('split here\r\n') + 'split here\r'.length;
  d.write(`MAIL FROM:<info@shop.test>\r\nRCPT TO:<same@example.net>\r\n${bdat([viaBdat.slice(0, cut), viaBdat.slice(cut)])}`);
  const replies = await readReplies(d, 4);
  assertReply(replies[3], 250, '2.0.0', 'BDAT');
  await d.command('QUIT');
  await d.close();
  const [a, b] = [await delivered('same-data'), await delivered('same-bdat')];
  // Whatever intake makes of bare line endings (canonical.ts, and any cleaning after it), it makes the same of both.
  const fromData = clientPart(a).toString('latin1').replaceAll('same-data', 'X');
  const fromBdat = clientPart(b).toString('latin1').replaceAll('same-bdat', 'X');
  assert.equal(fromBdat, fromData);
  assert.ok(!/[^\r]\n/.test(fromBdat), 'no bare LF is left');
  assert.ok(fromBdat.includes('\r\n.leading dot\r\n') && fromBdat.includes('split here\r\nend\r\n'), 'one CRLF where a chunk cut it, dots as sent');
  assert.match(b.raw.toString('latin1'), /^DKIM-Signature:/m);
  if (skipPython) return;
  const [results] = await pythonVerify([b.raw], Number(dns.address.split(':')[1]));
  assert.ok(results && results.length > 0 && results.every((r) => r.ok), JSON.stringify(results));
});

test('the data deadline covers the whole BDAT transaction: chunks, and the pauses between them', { timeout: 30_000 }, async () => {
  const slow = await startHikyaku({ dns: dns.address, mxPort: mx.port }, { limits: { dataDeadline: '1s' } });
  try {
    // Each chunk on time, but the transaction not.
    const d = await relaySession(slow);
    d.write('MAIL FROM:<info@shop.test>\r\nRCPT TO:<late@example.net>\r\nBDAT 5\r\nabcde');
    const [, , chunk] = await readReplies(d, 3);
    assertReply(chunk, 250, '2.0.0');
    await sleep(1300);
    d.write('BDAT 3 LAST\r\nabc');
    assertReply(await d.read(), 421, '4.4.2', 'past the deadline');
    await d.close();
    // A chunk dripped slower than the deadline.
    const e = await relaySession(slow);
    e.write('MAIL FROM:<info@shop.test>\r\nRCPT TO:<late@example.net>\r\nBDAT 1000 LAST\r\n');
    await readReplies(e, 2);
    const timer = setInterval(() => e.write('x'), 150);
    try {
      assertReply(await e.read(5000), 421, '4.4.2', 'dripped chunk');
    } finally {
      clearInterval(timer);
    }
    await e.close();
  } finally {
    await slow.stop();
  }
  assert.ok(!mx.messages.some((m) => m.rcptTo.includes('late@example.net')));
});
