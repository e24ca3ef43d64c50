// The DSN extension (RFC 3461) and SMTPUTF8 (RFC 6531) end to end: through
// real submission (587, STARTTLS, AUTH), the whole server, a real DNS server
// and real receiving servers (smtp-server): one that offers DSN and SMTPUTF8
// (dsn.test, and the sender's own domain, where our notices arrive), one
// that offers neither (nodsn.test), and a hand-written one offering DSN that
// records command lines (docomo.ne.jp: smtp-server refuses quoted local parts).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer } from '../helpers/dns-server.js';
import { SmtpDialog, type Reply } from '../helpers/smtp-dialog.js';
import { startHikyaku, type TestServer } from '../helpers/hikyaku.js';
import { parseDsn } from '../helpers/dsn-parse.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../helpers/smtp-sink.js';
import { startRawPeer, type RawPeer } from '../outbound/raw-smtp-peer.js';

const USER = 'web@shop.test';
const PASSWORD = 'notify horse battery';

interface Setup {
  server: TestServer;
  /** Offers DSN and SMTPUTF8; MX of dsn.test, docomo.ne.jp and shop.test (the sender's: DSNs arrive here). */
  dsnMx: SmtpSink;
  /** Offers neither DSN nor SMTPUTF8; MX of nodsn.test. */
  plainMx: SmtpSink;
  /** Offers DSN; records every command line. MX of docomo.ne.jp. */
  carrierMx: RawPeer;
}

async function setUp(t: TestContext): Promise<Setup> {
  const refuse = (address: string) => (address.startsWith('reject') ? { code: 550, message: '5.1.1 Unknown user' } : undefined);
  const carrierMx = await startRawPeer(t, { host: '127.0.0.4', pipelining: true, extensions: ['DSN'] });
  // Every MX host on one port (Hikyaku's delivery.mxPort), told apart by address.
  const dsnMx = await startSmtpSink({ host: '127.0.0.2', port: carrierMx.port, dsn: true, onRcptTo: refuse });
  t.after(() => dsnMx.close());
  const plainMx = await startSmtpSink({ host: '127.0.0.3', port: dsnMx.port, hideSMTPUTF8: true, onRcptTo: refuse });
  t.after(() => plainMx.close());
  const dns = await startDnsServer({
    'dsn.test': { MX: [{ preference: 10, exchange: 'mx.dsn.test' }] },
    'mx.dsn.test': { A: ['127.0.0.2'] },
    'docomo.ne.jp': { MX: [{ preference: 10, exchange: 'mfsmax.docomo.ne.jp' }] },
    'mfsmax.docomo.ne.jp': { A: ['127.0.0.4'] },
    'shop.test': { MX: [{ preference: 10, exchange: 'mx.dsn.test' }] },
    'nodsn.test': { MX: [{ preference: 10, exchange: 'mx.nodsn.test' }] },
    'mx.nodsn.test': { A: ['127.0.0.3'] },
  });
  t.after(() => dns.close());
  const server = await startHikyaku({ dns: dns.address, mxPort: dsnMx.port });
  t.after(() => server.stop());
  await server.addUser(USER, PASSWORD);
  return { server, dsnMx, plainMx, carrierMx };
}

async function session(server: TestServer): Promise<{ d: SmtpDialog; ehlo: Reply }> {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission });
  assert.equal((await d.read()).code, 220);
  assert.equal((await d.command('EHLO client.test')).code, 250);
  assert.equal((await d.startTls()).code, 220);
  const ehlo = await d.command('EHLO client.test');
  assert.equal(ehlo.code, 250);
  const plain = Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64');
  assert.equal((await d.command(`AUTH PLAIN ${plain}`)).code, 235);
  return { d, ehlo };
}

function assertReply(reply: Reply, code: number, enhanced?: string, text?: RegExp): void {
  const label = `${reply.code} ${reply.enhanced ?? ''} ${reply.text}`;
  assert.equal(reply.code, code, label);
  if (enhanced !== undefined) assert.equal(reply.enhanced, enhanced, label);
  if (text !== undefined) assert.match(reply.text, text, label);
}

/** Submit one message with the given MAIL parameters and RCPT lines ("addr PARAMS"); returns its queue id. */
async function submit(server: TestServer, mailParams: string, rcpts: string[], marker: string): Promise<string> {
  const { d } = await session(server);
  assertReply(await d.command(`MAIL FROM:<${USER}>${mailParams ? ` ${mailParams}` : ''}`), 250);
  for (const r of rcpts) {
    const space = r.indexOf(' ');
    const [address, params] = space === -1 ? [r, ''] : [r.slice(0, space), r.slice(space)];
    assertReply(await d.command(`RCPT TO:<${address}>${params}`), 250);
  }
  assertReply(await d.command('DATA'), 354);
  const reply = await d.command(`From: <${USER}>\r\nTo: undisclosed-recipients:;\r\nSubject: ${marker}\r\n\r\nBODY-${marker}\r\n.`);
  assertReply(reply, 250);
  await d.command('QUIT');
  await d.close();
  const id = /queued as ([0-9A-Z]+)/.exec(reply.text)?.[1];
  assert.ok(id, reply.text);
  return id;
}

/** Our notice about queue id `id`, as it arrived at the sender's MX. */
function noticeAbout(mx: SmtpSink, id: string): Promise<ReceivedMail> {
  return withTimeout(mx.waitForMessage((m) => m.mailFrom === '' && m.raw.includes(id)), `a DSN about ${id}`);
}

function delivered(mx: SmtpSink, marker: string): Promise<ReceivedMail> {
  return withTimeout(mx.waitForMessage((m) => m.mailFrom !== '' && m.raw.includes(`BODY-${marker}`)), `delivery of ${marker}`);
}

async function withTimeout<T>(p: Promise<T>, what: string, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('DSN extension (RFC 3461) and SMTPUTF8 end to end', async (t) => {
  const { server, dsnMx, plainMx, carrierMx } = await setUp(t);

  await t.test('EHLO offers DSN; bad parameters get 501 5.5.4 naming the parameter', async () => {
    const { d, ehlo } = await session(server);
    assert.ok(ehlo.lines.includes('DSN'), ehlo.lines.join('|'));
    assertReply(await d.command(`MAIL FROM:<${USER}> RET=ALL`), 501, '5.5.4', /RET/);
    assertReply(await d.command(`MAIL FROM:<${USER}> ENVID=a+0D+0ABcc:x`), 501, '5.5.4', /ENVID/);
    assertReply(await d.command(`MAIL FROM:<${USER}> ENVID=${'x'.repeat(101)}`), 501, '5.5.4', /ENVID.*100/);
    assertReply(await d.command(`MAIL FROM:<${USER}> RET=HDRS RET=FULL`), 501, '5.5.4', /RET given twice/);
    assertReply(await d.command(`MAIL FROM:<${USER}> RET=HDRS ENVID=ok`), 250);
    assertReply(await d.command('RCPT TO:<a@dsn.test> ORCPT=rfc822;a+0D+0ABcc:evil@x.test'), 501, '5.5.4', /ORCPT.*control/);
    assertReply(await d.command('RCPT TO:<a@dsn.test> ORCPT=rfc822;a+zz@x.test'), 501, '5.5.4', /ORCPT.*escape/);
    assertReply(await d.command('RCPT TO:<a@dsn.test> ORCPT=a@x.test'), 501, '5.5.4', /ORCPT/);
    assertReply(await d.command('RCPT TO:<a@dsn.test> NOTIFY=NEVER,SUCCESS'), 501, '5.5.4', /NOTIFY.*NEVER/);
    assertReply(await d.command('RCPT TO:<a@dsn.test> NOTIFY=SUCCESS,SUCCESS'), 501, '5.5.4', /NOTIFY/);
    assertReply(await d.command('RCPT TO:<a@dsn.test> NOTIFY=SOMETIMES'), 501, '5.5.4', /NOTIFY/);
    assertReply(await d.command('RCPT TO:<a@dsn.test> NOTIFY=NEVER NOTIFY=NEVER'), 501, '5.5.4', /NOTIFY given twice/);
    assertReply(await d.command('RCPT TO:<a@dsn.test> NOTIFY=success,delay ORCPT=rfc822;a+40dsn.test'), 250);
    await d.command('QUIT');
    await d.close();
  });

  await t.test('NOTIFY=SUCCESS to a hop without DSN: a "relayed" DSN with ENVID and ORCPT; nothing passed on', async () => {
    const id = await submit(server, 'RET=HDRS ENVID=order+2B42', ['alice@nodsn.test NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Alice+2BShop@old.test'], 'relayed');
    const mail = await delivered(plainMx, 'relayed');
    assert.deepEqual(Object.keys(mail.mailParams).filter((k) => k === 'RET' || k === 'ENVID'), []);
    assert.deepEqual(mail.rcptParams['alice@nodsn.test'], {});
    const notice = await noticeAbout(dsnMx, id);
    assert.deepEqual(notice.rcptTo, [USER]);
    const dsn = await parseDsn(notice.raw);
    assert.equal(dsn.reportType, 'delivery-status');
    assert.equal(dsn.perMessage['original-envelope-id'], 'order+42');
    assert.equal(dsn.recipients.length, 1);
    const r = dsn.recipients[0]!;
    assert.equal(r['action'], 'relayed');
    assert.equal(r['original-recipient'], 'rfc822; Alice+Shop@old.test');
    assert.equal(r['final-recipient'], 'rfc822; alice@nodsn.test');
    assert.match(r['status'] ?? '', /^2\.\d+\.\d+$/);
    assert.ok(dsn.text.includes('配信完了のお知らせ'), dsn.text);
    assert.ok(dsn.text.includes('宛先のメールサーバーに引き渡しました'), dsn.text);
    assert.match(dsn.text, /Handed to the receiving mail server/);
    assert.ok(dsn.returnedHeaders?.includes('Subject: relayed'), 'headers of the original');
    assert.ok(!notice.raw.includes('BODY-relayed'), 'a success report carries no body');
  });

  await t.test('to a hop with DSN: RET, ENVID, NOTIFY and ORCPT passed on, and no success DSN of ours', async () => {
    const id = await submit(
      server,
      'RET=HDRS ENVID=order+2B43',
      ['bob@dsn.test NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+2BShop@old.test', 'carol@dsn.test'],
      'passed',
    );
    const mail = await delivered(dsnMx, 'passed');
    assert.equal(mail.mailParams['RET'], 'HDRS');
    // smtp-server decodes xtext: "order+43" arrives only if "+" went out as "+2B" ("+43" alone would be "C").
    assert.equal(mail.mailParams['ENVID'], 'order+43');
    assert.equal(mail.rcptParams['bob@dsn.test']?.['NOTIFY'], 'SUCCESS,FAILURE');
    assert.equal(mail.rcptParams['bob@dsn.test']?.['ORCPT'], 'rfc822;Bob+Shop@old.test');
    // No ORCPT from the client: ours, the address as written (as Postfix adds one); NOTIFY left to the default.
    assert.deepEqual(mail.rcptParams['carol@dsn.test'], { ORCPT: 'rfc822;carol@dsn.test' });
    await sleep(1500);
    assert.equal(dsnMx.messages.filter((m) => m.mailFrom === '' && m.raw.includes(id)).length, 0, 'the next hop reports success, not we');
  });

  await t.test('NOTIFY=NEVER: no bounce for that 550; a default recipient still bounces; RET=HDRS returns headers only', async () => {
    const id = await submit(server, 'RET=HDRS', ['reject-never@dsn.test NOTIFY=NEVER', 'reject-default@dsn.test', 'reject-delay@dsn.test NOTIFY=DELAY'], 'never');
    const notice = await noticeAbout(dsnMx, id);
    const dsn = await parseDsn(notice.raw);
    assert.deepEqual(
      dsn.recipients.map((r) => r['final-recipient']),
      ['rfc822; reject-default@dsn.test'],
      'only the recipient whose NOTIFY includes FAILURE (the default) is reported',
    );
    assert.equal(dsn.recipients[0]?.['action'], 'failed');
    assert.ok(dsn.returnedHeaders?.includes('Subject: never'));
    assert.ok(!notice.raw.includes('BODY-never'), 'RET=HDRS: no body');
    await sleep(1000);
    assert.equal(dsnMx.messages.filter((m) => m.mailFrom === '' && m.raw.includes(id)).length, 1, 'one bounce only');
  });

  await t.test('RET=FULL: the bounce returns the whole message', async () => {
    const id = await submit(server, 'RET=FULL', ['reject-full@dsn.test'], 'full');
    const notice = await noticeAbout(dsnMx, id);
    const raw = notice.raw.toString('utf8');
    assert.match(raw, /Content-Type: message\/rfc822/);
    assert.ok(raw.includes('BODY-full'), 'the body is returned');
    assert.ok(raw.includes('Your whole message is attached.') || (await parseDsn(notice.raw)).text.includes('Your whole message is attached.'));
  });

  await t.test('a carrier address without ORCPT: the RCPT mailbox quoted, ORCPT the original form in xtext', async () => {
    await submit(server, '', ['taro..yamada@docomo.ne.jp NOTIFY=FAILURE', 'hanako+shop@docomo.ne.jp'], 'carrier');
    const rcpts = (): string[] => carrierMx.connections.flatMap((c) => c.commands).filter((c) => c.startsWith('RCPT'));
    const deadline = Date.now() + 10_000;
    while (rcpts().length < 2 && Date.now() < deadline) await sleep(50);
    assert.deepEqual(rcpts(), [
      'RCPT TO:<"taro..yamada"@docomo.ne.jp> NOTIFY=FAILURE ORCPT=rfc822;taro..yamada@docomo.ne.jp',
      'RCPT TO:<hanako+shop@docomo.ne.jp> ORCPT=rfc822;hanako+2Bshop@docomo.ne.jp',
    ]);
  });

  await t.test('SMTPUTF8: delivered with SMTPUTF8 where offered; 5.6.7 bounce (ja/en) where not', async () => {
    const id = await submit(server, 'SMTPUTF8', ['ユーザー@dsn.test', 'ユーザー@nodsn.test', 'ascii@nodsn.test'], 'utf8');
    const mail = await delivered(dsnMx, 'utf8');
    assert.equal(mail.mailParams['SMTPUTF8'], true);
    assert.deepEqual(mail.rcptTo, ['ユーザー@dsn.test']);
    // The ASCII recipient at the same hop is not held back by its neighbour.
    const plain = await delivered(plainMx, 'utf8');
    assert.deepEqual(plain.rcptTo, ['ascii@nodsn.test']);
    assert.equal(plain.mailParams['SMTPUTF8'], undefined);
    const notice = await noticeAbout(dsnMx, id);
    const dsn = await parseDsn(notice.raw);
    assert.equal(dsn.recipients.length, 1);
    const r = dsn.recipients[0]!;
    assert.equal(r['status'], '5.6.7');
    assert.equal(r['action'], 'failed');
    assert.match(r['final-recipient'] ?? '', /^utf-8; /);
    assert.ok(dsn.text.includes('国際化メールアドレス'), dsn.text);
    assert.match(dsn.text, /cannot accept internationalised \(non-ASCII\) email addresses/);
    assert.equal(plainMx.messages.filter((m) => m.rcptTo.some((a) => a.startsWith('ユーザー'))).length, 0, 'never sent to the hop without SMTPUTF8');
  });
});
