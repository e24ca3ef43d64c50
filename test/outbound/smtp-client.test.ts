// The SMTP client session over real sockets: pipelining (RFC 2920) and its
// absence, replies split across packets, refusals, 421, stale pooled
// connections, MAIL parameters, AUTH, large messages.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { RecipientResult } from '../../src/outbound/classify.js';
import { SmtpClient, SmtpSessionError, type SmtpClientOptions, type Transaction } from '../../src/outbound/smtp-client.js';
import { deliverer, deliveryConfig, dnsServer, HOSTNAME, request, sinks, summary } from './fixtures.js';
import { startRawPeer } from './raw-smtp-peer.js';

function options(port: number, over: Partial<SmtpClientOptions> = {}): SmtpClientOptions {
  return {
    ip: '127.0.0.2',
    port,
    hostName: 'peer.test',
    heloName: HOSTNAME,
    tls: 'none',
    verifyCertificate: false,
    ca: undefined,
    auth: undefined,
    localAddress: undefined,
    connectTimeoutMs: 5_000,
    commandTimeoutMs: 5_000,
    ...over,
  };
}

async function connect(t: TestContext, o: SmtpClientOptions): Promise<SmtpClient> {
  const client = await SmtpClient.connect(o);
  t.after(() => client.close());
  return client;
}

function tx(rcptTo: string[], message = 'Subject: t\r\n\r\nhello\r\n', mailFrom = 'from@hikyaku.test'): Transaction {
  return { mailFrom, rcptTo, message: Buffer.from(message) };
}

/** Result per recipient as [type, stage, code] for deepEqual. */
function brief(results: Map<string, RecipientResult> | undefined): [string, string, string, number | string][] {
  assert.ok(results !== undefined, 'send() returned no results');
  return [...results].map(([rcpt, r]) => {
    if (r.type === 'accepted') return [rcpt, r.type, '', r.reply.code];
    if (r.type === 'rejected') return [rcpt, r.type, r.stage, r.reply.code];
    if (r.type === 'interrupted') return [rcpt, r.type, 'stage' in r.failure ? r.failure.stage : '', r.failure.type];
    if (r.type === 'no-smtputf8') return [rcpt, r.type, r.sender ? 'mail' : 'rcpt', '5.6.7'];
    return [rcpt, r.type, '', r.limit];
  });
}

test('PIPELINING: RSET, MAIL, every RCPT and DATA go without waiting (the peer answers only once DATA arrived)', async (t) => {
  const peer = await startRawPeer(t, { host: '127.0.0.2', pipelining: true, holdUntilData: true, extensions: ['SIZE 100000'] });
  // Were the client to wait for MAIL's reply, it would wait forever: the timeout fails the test.
  const client = await connect(t, options(peer.port, { commandTimeoutMs: 3_000 }));
  assert.equal(client.maxMessageSize, 100000);
  const first = tx(['a@x.test', 'b@x.test', 'c@x.test'], 'Subject: one\r\n\r\n.dot\r\n');
  assert.deepEqual(brief(await client.send(first)), [
    ['a@x.test', 'accepted', '', 250],
    ['b@x.test', 'accepted', '', 250],
    ['c@x.test', 'accepted', '', 250],
  ]);
  const second = tx(['d@x.test'], 'Subject: two\r\n\r\nbody\r\n');
  const results = await client.send(second);
  assert.deepEqual(brief(results), [['d@x.test', 'accepted', '', 250]]);
  assert.deepEqual(results?.get('d@x.test'), { type: 'accepted', reply: { code: 250, enhanced: '2.0.0', text: 'queued' } });
  assert.equal(client.messageCount, 2);
  assert.equal(client.usable, true);

  const [conn] = peer.connections;
  assert.deepEqual(conn?.commands, [
    `EHLO ${HOSTNAME}`,
    `MAIL FROM:<from@hikyaku.test> SIZE=${first.message.length}`,
    'RCPT TO:<a@x.test>',
    'RCPT TO:<b@x.test>',
    'RCPT TO:<c@x.test>',
    'DATA',
    // The reused connection's transaction starts with RSET, in the same group.
    'RSET',
    `MAIL FROM:<from@hikyaku.test> SIZE=${second.message.length}`,
    'RCPT TO:<d@x.test>',
    'DATA',
  ]);
  assert.deepEqual(conn?.payloads.map((p) => p.toString()), ['Subject: one\r\n\r\n..dot\r\n', 'Subject: two\r\n\r\nbody\r\n']);

  await client.quit();
  assert.equal(conn?.commands.at(-1), 'QUIT');
  assert.equal(client.usable, false);
});

test('PIPELINING against smtp-server: the sink sees the right envelope and bytes, twice on one connection', async (t) => {
  const [sink] = await sinks(t, [{ host: '127.0.0.2', tls: false, onRcptTo: (a) => (a.startsWith('no') ? { code: 550, message: '5.1.1 no such user' } : undefined) }]);
  const client = await connect(t, options(sink!.port));
  const r1 = await client.send(tx(['a@x.test', 'nobody@x.test', 'b@x.test'], 'Subject: 1\r\n\r\n.leading\r\n..double\r\n'));
  assert.deepEqual(brief(r1), [
    ['nobody@x.test', 'rejected', 'rcpt', 550],
    ['a@x.test', 'accepted', '', 250],
    ['b@x.test', 'accepted', '', 250],
  ]);
  const r2 = await client.send(tx(['c@x.test'], 'Subject: 2\r\n\r\nsecond\r\n', ''));
  assert.deepEqual(brief(r2), [['c@x.test', 'accepted', '', 250]]);
  assert.deepEqual(
    sink!.messages.map((m) => [m.mailFrom, m.rcptTo, m.raw.toString()]),
    [
      ['from@hikyaku.test', ['a@x.test', 'b@x.test'], 'Subject: 1\r\n\r\n.leading\r\n..double\r\n'],
      ['', ['c@x.test'], 'Subject: 2\r\n\r\nsecond\r\n'],
    ],
  );
  assert.equal(sink!.connectionCount, 1);
});

test('no PIPELINING: one command per round trip, also on reuse (RSET)', async (t) => {
  const peer = await startRawPeer(t, {
    host: '127.0.0.2',
    pipelining: false,
    extensions: ['8BITMIME'],
    answer: (c) => (c === 'RCPT TO:<no@x.test>' ? '550 5.1.1 unknown' : undefined),
  });
  const client = await connect(t, options(peer.port));
  assert.deepEqual(brief(await client.send(tx(['a@x.test', 'no@x.test', 'b@x.test']))), [
    ['no@x.test', 'rejected', 'rcpt', 550],
    ['a@x.test', 'accepted', '', 250],
    ['b@x.test', 'accepted', '', 250],
  ]);
  assert.deepEqual(brief(await client.send(tx(['c@x.test'], 'Subject: 8bit \xe9\r\n\r\n.\r\n'))), [['c@x.test', 'accepted', '', 250]]);
  await client.quit();
  const [conn] = peer.connections;
  assert.deepEqual(conn?.violations, []);
  assert.deepEqual(conn?.commands, [
    `EHLO ${HOSTNAME}`,
    'MAIL FROM:<from@hikyaku.test>',
    'RCPT TO:<a@x.test>',
    'RCPT TO:<no@x.test>',
    'RCPT TO:<b@x.test>',
    'DATA',
    'RSET',
    'MAIL FROM:<from@hikyaku.test> BODY=8BITMIME',
    'RCPT TO:<c@x.test>',
    'DATA',
    'QUIT',
  ]);
  assert.deepEqual(conn?.payloads.map((p) => p.toString('latin1')), ['Subject: t\r\n\r\nhello\r\n', 'Subject: 8bit \xc3\xa9\r\n\r\n..\r\n']);
});

test('EHLO refused with 5xx → HELO (RFC 5321 §4.1.1.1), then no extensions are used', async (t) => {
  const peer = await startRawPeer(t, { host: '127.0.0.2', pipelining: false, answer: (c) => (c.startsWith('EHLO') ? '502 5.5.1 EHLO not implemented' : undefined) });
  const client = await connect(t, options(peer.port));
  assert.deepEqual(brief(await client.send(tx(['a@x.test'], 'Subject: \xe9\r\n\r\nx\r\n'))), [['a@x.test', 'accepted', '', 250]]);
  const [conn] = peer.connections;
  assert.deepEqual(conn?.commands, [`EHLO ${HOSTNAME}`, `HELO ${HOSTNAME}`, 'MAIL FROM:<from@hikyaku.test>', 'RCPT TO:<a@x.test>', 'DATA']);
  assert.deepEqual(conn?.violations, []);
});

test('EHLO and HELO both refused → a reply failure at the ehlo stage', async (t) => {
  const peer = await startRawPeer(t, { host: '127.0.0.2', pipelining: false, answer: (c) => (/^(EHLO|HELO)/.test(c) ? '550 5.7.1 not you' : undefined) });
  await assert.rejects(SmtpClient.connect(options(peer.port)), (err: unknown) => {
    assert.ok(err instanceof SmtpSessionError);
    assert.deepEqual(err.failure, { type: 'reply', stage: 'ehlo', reply: { code: 550, enhanced: '5.7.1', text: 'not you' } });
    return true;
  });
});

test('replies written one byte at a time (multi-line EHLO included) are read correctly', async (t) => {
  const peer = await startRawPeer(t, {
    host: '127.0.0.2',
    pipelining: true,
    byteByByte: true,
    extensions: ['SIZE 1000000', 'AUTH PLAIN LOGIN', '8BITMIME', 'ENHANCEDSTATUSCODES'],
    answer: (c) => (c.startsWith('AUTH') ? '235 2.7.0 authenticated' : c === 'RCPT TO:<no@x.test>' ? '550-5.1.1 first line\r\n550 5.1.1 second line' : undefined),
  });
  const client = await connect(t, options(peer.port, { auth: { username: 'user', password: 'pass' } }));
  assert.equal(client.maxMessageSize, 1000000);
  const results = await client.send(tx(['a@x.test', 'no@x.test']));
  assert.deepEqual(results?.get('a@x.test'), { type: 'accepted', reply: { code: 250, enhanced: '2.0.0', text: 'queued' } });
  assert.deepEqual(results?.get('no@x.test'), { type: 'rejected', stage: 'rcpt', reply: { code: 550, enhanced: '5.1.1', text: 'first line second line' } });
  const [conn] = peer.connections;
  assert.equal(conn?.commands[1], `AUTH PLAIN ${Buffer.from('\0user\0pass').toString('base64')}`);
});

test('AUTH LOGIN when PLAIN is not offered', async (t) => {
  const peer = await startRawPeer(t, {
    host: '127.0.0.2',
    pipelining: true,
    extensions: ['AUTH LOGIN CRAM-MD5'],
    answer: (c, conn) => {
      const previous = conn.commands.at(-2);
      if (c === 'AUTH LOGIN') return '334 VXNlcm5hbWU6';
      if (previous === 'AUTH LOGIN') return '334 UGFzc3dvcmQ6';
      if (conn.commands.at(-3) === 'AUTH LOGIN') return Buffer.from(c, 'base64').toString() === 'pässword' ? '235 2.7.0 ok' : '535 5.7.8 bad';
      return undefined;
    },
  });
  const client = await connect(t, options(peer.port, { auth: { username: 'relayuser', password: 'pässword' } }));
  assert.deepEqual(brief(await client.send(tx(['a@x.test']))), [['a@x.test', 'accepted', '', 250]]);
  const [conn] = peer.connections;
  assert.deepEqual(conn?.commands.slice(1, 4), ['AUTH LOGIN', Buffer.from('relayuser').toString('base64'), Buffer.from('pässword').toString('base64')]);
});

test('AUTH refused → a reply failure at the auth stage; AUTH with no common mechanism → local 4.3.5', async (t) => {
  const refusing = await startRawPeer(t, { host: '127.0.0.2', pipelining: true, extensions: ['AUTH PLAIN'], answer: (c) => (c.startsWith('AUTH') ? '535 5.7.8 bad credentials' : undefined) });
  await assert.rejects(SmtpClient.connect(options(refusing.port, { auth: { username: 'u', password: 'p' } })), (err: unknown) => {
    assert.ok(err instanceof SmtpSessionError);
    assert.deepEqual(err.failure, { type: 'reply', stage: 'auth', reply: { code: 535, enhanced: '5.7.8', text: 'bad credentials' } });
    return true;
  });
  const exotic = await startRawPeer(t, { host: '127.0.0.2', pipelining: true, extensions: ['AUTH CRAM-MD5 XOAUTH2'] });
  await assert.rejects(SmtpClient.connect(options(exotic.port, { auth: { username: 'u', password: 'p' } })), (err: unknown) => {
    assert.ok(err instanceof SmtpSessionError && err.failure.type === 'local');
    assert.equal(err.failure.status, '4.3.5');
    return true;
  });
});

test('MAIL parameters: SIZE, BODY=8BITMIME and SMTPUTF8 only when offered and needed', async (t) => {
  const offering = await startRawPeer(t, { host: '127.0.0.2', pipelining: true, extensions: ['SIZE', '8BITMIME', 'SMTPUTF8'] });
  const client = await connect(t, options(offering.port));
  const eight: Transaction = { ...tx(['ユーザー@例え.jp']), message: Buffer.from('Subject: \xe3\x81\x82\r\n\r\nx\r\n', 'latin1') };
  const seven = tx(['plain@x.test']);
  await client.send(eight);
  await client.send(seven);
  const commands = offering.connections[0]?.commands ?? [];
  assert.deepEqual(commands.filter((c) => /^(MAIL|RCPT)/.test(c)), [
    `MAIL FROM:<from@hikyaku.test> SIZE=${eight.message.length} BODY=8BITMIME SMTPUTF8`,
    'RCPT TO:<ユーザー@例え.jp>',
    `MAIL FROM:<from@hikyaku.test> SIZE=${seven.message.length}`,
    'RCPT TO:<plain@x.test>',
  ]);

  const bare = await startRawPeer(t, { host: '127.0.0.2', pipelining: true });
  const c2 = await connect(t, options(bare.port));
  await c2.send(seven);
  assert.equal(bare.connections[0]?.commands[1], 'MAIL FROM:<from@hikyaku.test>');
});

test('SMTPUTF8 (RFC 6531 §3.5): UTF-8 addresses are not sent to a server without it; ASCII recipients still go', async (t) => {
  const bare = await startRawPeer(t, { host: '127.0.0.2', pipelining: true });
  const client = await connect(t, options(bare.port));
  assert.deepEqual(brief(await client.send(tx(['ユーザー@例え.jp', 'plain@x.test']))), [
    ['ユーザー@例え.jp', 'no-smtputf8', 'rcpt', '5.6.7'],
    ['plain@x.test', 'accepted', '', 250],
  ]);
  assert.deepEqual(brief(await client.send(tx(['plain@x.test'], undefined, 'ユーザー@例え.jp'))), [['plain@x.test', 'no-smtputf8', 'mail', '5.6.7']]);
  const commands = bare.connections.flatMap((c) => c.commands).filter((c) => /^(MAIL|RCPT)/.test(c));
  assert.deepEqual(commands, ['MAIL FROM:<from@hikyaku.test>', 'RCPT TO:<plain@x.test>']);
});

test('DSN (RFC 3461): RET, ENVID, NOTIFY and ORCPT go to a server that offers DSN, xtext-encoded; nothing to one that does not', async (t) => {
  const params = {
    ret: 'HDRS' as const,
    envId: 'id+1 x',
    recipients: new Map([['a@x.test', { notify: 'SUCCESS,FAILURE', orcpt: 'rfc822;A=B@old.test' }]]),
  };
  const offering = await startRawPeer(t, { host: '127.0.0.2', pipelining: true, extensions: ['DSN'] });
  const client = await connect(t, options(offering.port));
  const results = await client.send({ ...tx(['a@x.test', 'taro..yamada@docomo.ne.jp']), params });
  assert.equal(results?.get('a@x.test')?.type, 'accepted');
  assert.deepEqual(results?.get('a@x.test'), { type: 'accepted', reply: { code: 250, enhanced: '2.0.0', text: 'queued' }, dsnPassed: true });
  assert.deepEqual(offering.connections[0]?.commands.filter((c) => /^(MAIL|RCPT)/.test(c)), [
    'MAIL FROM:<from@hikyaku.test> RET=HDRS ENVID=id+2B1+20x',
    'RCPT TO:<a@x.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;A+3DB@old.test',
    'RCPT TO:<"taro..yamada"@docomo.ne.jp> ORCPT=rfc822;taro..yamada@docomo.ne.jp',
  ]);
  const bare = await startRawPeer(t, { host: '127.0.0.2', pipelining: true });
  const c2 = await connect(t, options(bare.port));
  const plain = await c2.send({ ...tx(['a@x.test']), params });
  assert.deepEqual(plain?.get('a@x.test'), { type: 'accepted', reply: { code: 250, enhanced: '2.0.0', text: 'queued' } });
  assert.deepEqual(bare.connections[0]?.commands.filter((c) => /^(MAIL|RCPT)/.test(c)), ['MAIL FROM:<from@hikyaku.test>', 'RCPT TO:<a@x.test>']);
});

test('every recipient refused: DATA is refused and no message data is sent', async (t) => {
  const peer = await startRawPeer(t, {
    host: '127.0.0.2',
    pipelining: true,
    answer: (c) => (c === 'RCPT TO:<a@x.test>' ? '550 5.1.1 unknown user' : c === 'RCPT TO:<b@x.test>' ? '451 4.7.1 greylisted' : undefined),
  });
  const client = await connect(t, options(peer.port));
  const results = await client.send(tx(['a@x.test', 'b@x.test']));
  assert.deepEqual(brief(results), [
    ['a@x.test', 'rejected', 'rcpt', 550],
    ['b@x.test', 'rejected', 'rcpt', 451],
  ]);
  const [conn] = peer.connections;
  assert.equal(conn?.commands.at(-1), 'DATA');
  assert.equal(conn?.dataBytes, 0);
  assert.equal(client.usable, true);
  // The connection is still good for the next message.
  await client.send(tx(['ok@x.test']));
  assert.deepEqual(conn?.payloads.map((p) => p.toString()), ['Subject: t\r\n\r\nhello\r\n']);
});

test('every recipient refused but DATA answered 354 anyway: only the end line is sent', async (t) => {
  const peer = await startRawPeer(t, {
    host: '127.0.0.2',
    pipelining: true,
    answer: (c) => (c.startsWith('RCPT') ? '550 5.1.1 unknown user' : c === 'DATA' ? '354 send it anyway' : undefined),
    answerData: () => '554 5.5.1 no valid recipients',
  });
  const client = await connect(t, options(peer.port));
  assert.deepEqual(brief(await client.send(tx(['a@x.test']))), [['a@x.test', 'rejected', 'rcpt', 550]]);
  const [conn] = peer.connections;
  assert.deepEqual(conn?.payloads.map((p) => p.length), [0]);
  assert.equal(conn?.dataBytes, 3);
});

test('MAIL refused: every recipient rejected at mail with that reply', async (t) => {
  const peer = await startRawPeer(t, { host: '127.0.0.2', pipelining: true, answer: (c) => (c.startsWith('MAIL') ? '553 5.7.1 sender rejected' : c.startsWith('RCPT') ? '503 5.5.1 need MAIL' : undefined) });
  const client = await connect(t, options(peer.port));
  assert.deepEqual(brief(await client.send(tx(['a@x.test', 'b@x.test']))), [
    ['a@x.test', 'rejected', 'mail', 553],
    ['b@x.test', 'rejected', 'mail', 553],
  ]);
  assert.equal(peer.connections[0]?.dataBytes, 0);
});

test('421 in the middle of the group: its reply stands for the unanswered commands; the connection is closed', async (t) => {
  const peer = await startRawPeer(t, { host: '127.0.0.2', pipelining: true, answer: (c) => (c === 'RCPT TO:<b@x.test>' ? '421 4.3.2 shutting down' : undefined) });
  const client = await connect(t, options(peer.port));
  const closed = new Promise<void>((resolve) => client.onClose(resolve));
  const results = await client.send(tx(['a@x.test', 'b@x.test', 'c@x.test']));
  assert.deepEqual(brief(results), [
    ['b@x.test', 'rejected', 'rcpt', 421],
    ['c@x.test', 'rejected', 'rcpt', 421],
    ['a@x.test', 'rejected', 'data', 421],
  ]);
  assert.deepEqual(results?.get('a@x.test'), { type: 'rejected', stage: 'data', reply: { code: 421, enhanced: '4.3.2', text: 'shutting down' } });
  assert.equal(client.usable, false);
  await closed;
  assert.equal(peer.connections[0]?.dataBytes, 0);
});

test('421 through the deliverer: every recipient deferred with the server reply, next delivery on a new connection', async (t) => {
  const dns = await dnsServer(t, { 'x.test': { A: ['127.0.0.2'] } });
  const peer = await startRawPeer(t, { host: '127.0.0.2', pipelining: true, answer: (c, _conn, n) => (n === 1 && c === 'RCPT TO:<b@x.test>' ? '421 4.3.2 shutting down' : undefined) });
  const d = deliverer(t, deliveryConfig(dns, peer.port, { tls: 'none' }));
  assert.deepEqual(summary(await d.deliver(request(['a@x.test', 'b@x.test', 'c@x.test']))), [
    ['a@x.test', 'deferred', '4.3.2'],
    ['b@x.test', 'deferred', '4.3.2'],
    ['c@x.test', 'deferred', '4.3.2'],
  ]);
  assert.equal((await d.deliver(request(['d@x.test'])))[0]?.kind, 'delivered');
  assert.equal(peer.connections.length, 2);
});

test('all recipients refused through the deliverer: bounced / deferred per code, no message sent', async (t) => {
  const dns = await dnsServer(t, { 'x.test': { A: ['127.0.0.2'] } });
  const [sink] = await sinks(t, [
    {
      host: '127.0.0.2',
      onRcptTo: (a) => (a.startsWith('gone') ? { code: 550, message: '5.1.1 no such user' } : a.startsWith('full') ? { code: 452, message: '4.2.2 mailbox full' } : undefined),
    },
  ]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port));
  assert.deepEqual(summary(await d.deliver(request(['gone@x.test', 'full@x.test']))), [
    ['gone@x.test', 'bounced', '5.1.1'],
    ['full@x.test', 'deferred', '4.2.2'],
  ]);
  assert.equal(sink!.messages.length, 0);
  assert.equal((await d.deliver(request(['ok@x.test'])))[0]?.kind, 'delivered');
  assert.equal(sink!.connectionCount, 1);
});

test('an idle connection the server dropped (RSET unanswered) is replaced without failing the delivery', async (t) => {
  const dns = await dnsServer(t, { 'x.test': { A: ['127.0.0.2'] } });
  const peer = await startRawPeer(t, { host: '127.0.0.2', pipelining: true, answer: (c, _conn, n) => (n === 1 && c === 'RSET' ? 'hangup' : undefined) });
  const d = deliverer(t, deliveryConfig(dns, peer.port, { tls: 'none' }));
  assert.equal((await d.deliver(request(['a@x.test'], 'Subject: 1\r\n\r\none\r\n')))[0]?.kind, 'delivered');
  const [o] = await d.deliver(request(['b@x.test'], 'Subject: 2\r\n\r\ntwo\r\n'));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.equal(peer.connections.length, 2);
  assert.equal(peer.connections[0]?.commands.at(-1), 'RSET');
  assert.deepEqual(peer.connections[1]?.payloads.map((p) => p.toString()), ['Subject: 2\r\n\r\ntwo\r\n']);
});

test('a 421 sent to an idle connection closes it and makes it unusable', async (t) => {
  const peer = await startRawPeer(t, { host: '127.0.0.2', pipelining: true });
  const client = await connect(t, options(peer.port));
  await client.send(tx(['a@x.test']));
  const closed = new Promise<void>((resolve) => client.onClose(resolve));
  peer.connections[0]?.socket.write('421 4.4.2 idle too long\r\n');
  await closed;
  assert.equal(client.usable, false);
  const results = await client.send(tx(['b@x.test']));
  assert.deepEqual(brief(results), [['b@x.test', 'interrupted', 'mail', 'lost']]);
});

test('no reply to the end of data within commandTimeoutMs → interrupted, timed out, at data', async (t) => {
  const peer = await startRawPeer(t, { host: '127.0.0.2', pipelining: true, answerData: () => 'silent' });
  const client = await connect(t, options(peer.port, { commandTimeoutMs: 150 }));
  const results = await client.send(tx(['a@x.test']));
  const r = results?.get('a@x.test');
  assert.ok(r?.type === 'interrupted' && r.failure.type === 'lost', JSON.stringify(r));
  assert.equal(r.failure.stage, 'data');
  assert.equal(r.failure.timedOut, true);
  assert.equal(client.usable, false);
});

test('a reply line that is not SMTP → protocol failure', async (t) => {
  const peer = await startRawPeer(t, { host: '127.0.0.2', pipelining: true, answer: (c) => (c.startsWith('EHLO') ? 'hello there' : undefined) });
  await assert.rejects(SmtpClient.connect(options(peer.port)), (err: unknown) => {
    assert.ok(err instanceof SmtpSessionError && err.failure.type === 'protocol', String(err));
    assert.equal(err.failure.stage, 'ehlo');
    return true;
  });
});

test('data sent by the server right after "220" to STARTTLS is refused (STARTTLS injection)', async (t) => {
  const peer = await startRawPeer(t, { host: '127.0.0.2', pipelining: true, extensions: ['STARTTLS'], answer: (c) => (c === 'STARTTLS' ? '220 go ahead\r\n250 injected' : undefined) });
  await assert.rejects(SmtpClient.connect(options(peer.port, { tls: 'required' })), (err: unknown) => {
    assert.ok(err instanceof SmtpSessionError && err.failure.type === 'tls-failed', String(err));
    return true;
  });
});

test('a 1 MiB message with dotted lines arrives byte for byte (several writes, backpressure)', async (t) => {
  const [sink] = await sinks(t, [{ host: '127.0.0.2', tls: false }]);
  const client = await connect(t, options(sink!.port));
  const lines: string[] = ['Subject: big', ''];
  for (let i = 0, size = 0; size < 1024 * 1024; i++) {
    const line = i % 5 === 0 ? `.${i} ${'y'.repeat(i % 90)}` : `${i} ${'z'.repeat(i % 120)}`;
    lines.push(line);
    size += line.length + 2;
  }
  const message = `${lines.join('\r\n')}\r\n`;
  assert.deepEqual(brief(await client.send(tx(['a@x.test'], message))), [['a@x.test', 'accepted', '', 250]]);
  assert.equal(sink!.messages[0]?.raw.toString(), message);
});
