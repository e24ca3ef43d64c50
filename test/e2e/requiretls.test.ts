// REQUIRETLS (RFC 8689) end to end: advertised at submission once TLS is
// up, accepted on MAIL only over TLS, kept with the message, passed on to a
// next hop with verified TLS, and bounced (5.7.10, Japanese and English)
// when the next hop has no TLS; the notice itself goes back under
// REQUIRETLS, headers only.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCertificate } from '../helpers/certs.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { parseDsn } from '../helpers/dsn-parse.js';
import { startHikyaku, type TestServer } from '../helpers/hikyaku.js';
import { SmtpDialog } from '../helpers/smtp-dialog.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../helpers/smtp-sink.js';

const USER = 'web@shop.test';
const PASSWORD = 'require horse battery';

interface Setup {
  server: TestServer;
  /** mx.secure.test: certificate valid for its name, offers REQUIRETLS; also the sender's MX. */
  secureMx: SmtpSink;
  /** No STARTTLS. */
  plainMx: SmtpSink;
}

async function setUp(t: TestContext): Promise<Setup> {
  const cert = await makeTestCertificate(['mx.secure.test']);
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-requiretls-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ca.pem'), cert.cert);
  const secureMx = await startSmtpSink({ host: '127.0.0.2', name: 'mx.secure.test', tls: cert, offerRequireTls: true });
  t.after(() => secureMx.close());
  const plainMx = await startSmtpSink({ host: '127.0.0.3', port: secureMx.port, tls: false });
  t.after(() => plainMx.close());
  const dns = await startDnsServer({
    'secure.test': { MX: [{ preference: 10, exchange: 'mx.secure.test' }] },
    'shop.test': { MX: [{ preference: 10, exchange: 'mx.secure.test' }] },
    'mx.secure.test': { A: ['127.0.0.2'] },
    'plain.test': { MX: [{ preference: 10, exchange: 'mx.plain.test' }] },
    'mx.plain.test': { A: ['127.0.0.3'] },
  });
  t.after(() => dns.close());
  const server = await startHikyaku({ dns: dns.address, mxPort: secureMx.port }, { delivery: { mtaSts: { caFile: join(dir, 'ca.pem') } } });
  t.after(() => server.stop());
  await server.addUser(USER, PASSWORD);
  return { server, secureMx, plainMx };
}

async function submit(server: TestServer, rcpt: string, marker: string): Promise<string> {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission });
  assert.equal((await d.read()).code, 220);
  const plainEhlo = await d.command('EHLO client.test');
  assert.ok(!plainEhlo.lines.includes('REQUIRETLS'), 'REQUIRETLS is offered only over TLS');
  const early = await d.command(`MAIL FROM:<${USER}> REQUIRETLS`);
  assert.equal(early.code, 530, early.text);
  assert.equal(early.enhanced, '5.7.10');
  assert.equal((await d.startTls()).code, 220);
  const ehlo = await d.command('EHLO client.test');
  assert.ok(ehlo.lines.includes('REQUIRETLS'), ehlo.text);
  assert.equal((await d.command(`AUTH PLAIN ${Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64')}`)).code, 235);
  assert.equal((await d.command(`MAIL FROM:<${USER}> REQUIRETLS=yes`)).code, 501);
  assert.equal((await d.command(`MAIL FROM:<${USER}> REQUIRETLS`)).code, 250);
  assert.equal((await d.command(`RCPT TO:<${rcpt}>`)).code, 250);
  assert.equal((await d.command('DATA')).code, 354);
  const reply = await d.command(`From: <${USER}>\r\nTo: <${rcpt}>\r\nSubject: ${marker}\r\n\r\nBODY-${marker}\r\n.`);
  assert.equal(reply.code, 250, reply.text);
  await d.command('QUIT');
  await d.close();
  const id = /queued as ([0-9A-Z]+)/.exec(reply.text)?.[1];
  assert.ok(id, reply.text);
  return id;
}

function waitFor(mx: SmtpSink, match: (m: ReceivedMail) => boolean, what: string): Promise<ReceivedMail> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 15_000)));
  return Promise.race([mx.waitForMessage(match), late]).finally(() => clearTimeout(timer));
}

test('REQUIRETLS: to a next hop with verified TLS it goes on with REQUIRETLS; to one without TLS it bounces 5.7.10', async (t) => {
  const { server, secureMx, plainMx } = await setUp(t);

  await submit(server, 'alice@secure.test', 'SECURE');
  const delivered = await waitFor(secureMx, (m) => m.raw.includes('BODY-SECURE'), 'the delivery to secure.test');
  assert.equal(delivered.secure, true);
  assert.equal(delivered.mailParams.REQUIRETLS, true);

  const id = await submit(server, 'bob@plain.test', 'PLAIN');
  const notice = await waitFor(secureMx, (m) => m.mailFrom === '' && m.raw.includes(id), 'the bounce');
  assert.equal(plainMx.messages.length, 0, 'nothing sent in the clear');
  // RFC 8689 §5: the notice goes back under REQUIRETLS, and returns the headers only.
  assert.equal(notice.mailParams.REQUIRETLS, true);
  assert.ok(!notice.raw.includes('BODY-PLAIN'), 'the body is not returned');
  const dsn = await parseDsn(notice.raw);
  assert.equal(dsn.recipients[0]?.status, '5.7.10');
  assert.match(dsn.recipients[0]?.['diagnostic-code'] ?? '', /REQUIRETLS/);
  assert.match(dsn.text, /TLS 必須 \(REQUIRETLS\)/);
  assert.match(dsn.text, /The sender required TLS \(REQUIRETLS\)/);
  assert.match(dsn.returnedHeaders ?? '', /Subject: PLAIN/);
});
