// Bulk mail end to end (issue 12, point 10): a message marked bulk arrives
// at the MX with List-Unsubscribe and List-Unsubscribe-Post, both covered by
// a DKIM signature that python3-dkim verifies; the one-click POST (RFC 8058)
// puts the recipient on the sending domain's suppression list, so the next
// RCPT to them is refused; a GET only shows the page; an altered token
// changes nothing; a bulk message with two recipients is refused; the API's
// `bulk: true` does the same as the header.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startHikyaku, tempDir, type TestServer } from '../helpers/hikyaku.js';
import { SmtpDialog } from '../helpers/smtp-dialog.js';
import { pythonVerify, skipPython } from '../helpers/python-dkim.js';
import { DomainStore } from '../../src/domains/domain-store.js';
import { recordsToPublish } from '../../src/domains/records.js';
import { ApiKeyStore } from '../../src/users/api-keys.js';

let dns: TestDnsServer;
let mx: SmtpSink;
let server: TestServer;
const dataDir = tempDir();

before(async () => {
  mx = await startSmtpSink({ host: '127.0.0.2' });
  dns = await startDnsServer({
    'example.net': { MX: [{ preference: 10, exchange: 'mx.example.net' }] },
    'mx.example.net': { A: ['127.0.0.2'] },
  });
  const store = DomainStore.open(dataDir);
  store.add('shop.test', {});
  const domain = store.get('shop.test');
  store.close();
  assert.ok(domain);
  const records = recordsToPublish(domain, { hostname: 'mail.hikyaku.test', outboundAddresses: ['127.0.0.1'], smarthost: undefined, nowMs: Date.now() });
  dns.loadZoneText(records.filter((r) => r.purpose === 'dkim').map((r) => r.zoneLine).join('\n'));
  server = await startHikyaku({ dns: dns.address, mxPort: mx.port }, { bulk: { unsubscribeUrl: 'https://mail.shop.test/' } }, { dataDir });
});

after(async () => {
  await server?.stop();
  await mx?.close();
  await dns?.close();
});

/** One SMTP transaction on the trusted relay port; the reply after DATA (or the first refusal). */
async function send(rcpts: readonly string[], header: string, body = 'Our news\r\n'): Promise<{ code: number; text: string }> {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.relay, localAddress: '127.0.0.2' });
  try {
    await d.read();
    await d.command('EHLO app.shop.test');
    await d.command('MAIL FROM:<news@shop.test>');
    for (const r of rcpts) {
      const reply = await d.command(`RCPT TO:<${r}>`);
      if (reply.code !== 250) return reply;
    }
    await d.command('DATA');
    return await d.command(`From: Shop <news@shop.test>\r\nTo: <${rcpts[0]}>\r\nSubject: News\r\n${header}\r\n${body}.`);
  } finally {
    await d.command('QUIT').catch(() => undefined);
    d.close();
  }
}

function field(raw: Buffer, name: string): string | undefined {
  const m = new RegExp(`^${name}:[ \\t]*(.*(?:\\r\\n[ \\t].*)*)`, 'im').exec(raw.toString('latin1'));
  return m?.[1]?.replace(/\r\n/g, '');
}

let link: string;

test('a message marked bulk arrives with a signed one-click List-Unsubscribe, the marker gone', async () => {
  const before = mx.messages.length;
  const reply = await send(['fan@example.net'], 'X-Hikyaku-Bulk: yes\r\n');
  assert.equal(reply.code, 250, reply.text);
  const [m] = (await mx.waitForMessages(before + 1)).slice(before);
  assert.ok(m);
  const unsubscribe = field(m.raw, 'List-Unsubscribe');
  assert.match(unsubscribe ?? '', /^<https:\/\/mail\.shop\.test\/unsubscribe\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+>$/);
  link = (unsubscribe as string).slice(1, -1);
  assert.equal(field(m.raw, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
  assert.equal(field(m.raw, 'X-Hikyaku-Bulk'), undefined, 'our marker does not leave');
  const signed = (field(m.raw, 'DKIM-Signature') ?? '').replace(/\s+/g, '');
  const h = /(?:^|;)h=([^;]+)/.exec(signed)?.[1]?.toLowerCase().split(':') ?? [];
  assert.ok(h.includes('list-unsubscribe') && h.includes('list-unsubscribe-post'), `signed fields: ${h.join(':')}`);
});

test('python3-dkim verifies the signature over the added fields', { skip: skipPython }, async () => {
  const m = mx.messages.find((x) => field(x.raw, 'List-Unsubscribe') !== undefined);
  assert.ok(m);
  const [results] = await pythonVerify([m.raw], Number(dns.address.split(':')[1]));
  assert.deepEqual(results?.map((r) => r.ok), [true], JSON.stringify(results));
});

test('GET shows the page only; an altered token is refused; the one-click POST suppresses the recipient', async () => {
  const local = link.replace('https://mail.shop.test', `http://127.0.0.1:${server.ports.http}`);
  const page = await fetch(local);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /fan@example\.net/);
  assert.match(html, /<form method="post"/);
  assert.equal((await send(['fan@example.net'], '')).code, 250, 'a GET unsubscribes nobody');

  const token = local.slice(local.lastIndexOf('/') + 1);
  const [payload, mac] = token.split('.') as [string, string];
  const other = Buffer.from('u1\0shop.test\0other@example.net').toString('base64url');
  const forged = await fetch(local.replace(token, `${other}.${mac}`), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  assert.equal(forged.status, 400);
  assert.equal((await send(['other@example.net'], '')).code, 250, 'an altered link suppresses nobody');
  assert.ok(payload);

  const post = await fetch(local, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  assert.equal(post.status, 200, await post.text());
  const refused = await send(['fan@example.net'], '');
  assert.equal(refused.code, 550);
  assert.match(refused.text, /5\.7\.1 <fan@example\.net> unsubscribed/);
  await server.waitForLog((r) => r.event === 'unsubscribed' && r['rcptTo'] === 'fan@example.net');
});

test('a bulk message with two recipients is refused with 550 5.5.3, saying why', async () => {
  const reply = await send(['a@example.net', 'b@example.net'], 'X-Hikyaku-Bulk: yes\r\n');
  assert.equal(reply.code, 550);
  assert.match(reply.text, /5\.5\.3 .*exactly one recipient/);
});

test('the API flag bulk: true adds the same fields', async () => {
  await server.addUser('news@shop.test', 'bulk api password');
  const keys = ApiKeyStore.open(server.dataDir);
  const { key } = keys.create('news@shop.test', 'newsletter');
  keys.close();
  const before = mx.messages.length;
  const answer = await fetch(`http://127.0.0.1:${server.ports.http}/api/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ from: 'news@shop.test', to: 'reader@example.net', subject: 'Newsletter', text: 'hello', bulk: true }),
  });
  assert.equal(answer.status, 202, await answer.text());
  const [m] = (await mx.waitForMessages(before + 1)).slice(before);
  assert.ok(m);
  assert.match(field(m.raw, 'List-Unsubscribe') ?? '', /^<https:\/\/mail\.shop\.test\/unsubscribe\//);
  assert.equal(field(m.raw, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
});
