// DKIM end to end: a message submitted on 587 arrives at the MX signed, and
// Debian's python3-dkim (not the code that signed it) verifies it against the
// records Hikyaku tells the user to publish — RSA and Ed25519, and again after
// a key rotation with the new selector.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startHikyaku, tempDir, type TestServer } from '../helpers/hikyaku.js';
import { pythonVerify, skipPython } from '../helpers/python-dkim.js';
import { DomainStore } from '../../src/domains/domain-store.js';
import { recordsToPublish } from '../../src/domains/records.js';

let dns: TestDnsServer;
let mx: SmtpSink;
let server: TestServer;
let store: DomainStore;
const dataDir = tempDir();

function publish(): void {
  const domain = store.get('shop.test');
  assert.ok(domain);
  const records = recordsToPublish(domain, { hostname: 'mail.hikyaku.test', outboundAddresses: ['127.0.0.1'], smarthost: undefined, nowMs: Date.now() });
  dns.loadZoneText(records.filter((r) => r.purpose === 'dkim').map((r) => r.zoneLine).join('\n'));
}

before(async () => {
  mx = await startSmtpSink({ host: '127.0.0.2' });
  dns = await startDnsServer({
    'example.net': { MX: [{ preference: 10, exchange: 'mx.example.net' }] },
    'mx.example.net': { A: ['127.0.0.2'] },
  });
  store = DomainStore.open(dataDir);
  store.add('shop.test', { ed25519: true });
  publish();
  server = await startHikyaku({ dns: dns.address, mxPort: mx.port }, {}, { dataDir });
  // A relay account (a web app sending for several domains): these tests are about signing and alignment.
  await server.addUser('info@shop.test', 'dkim test password', { senderCheck: false });
});

after(async () => {
  await server?.stop();
  await mx?.close();
  await dns?.close();
});

async function submit(from: string, subject: string, envelopeFrom?: string): Promise<Buffer> {
  return (await submitFull(from, subject, envelopeFrom)).raw;
}

async function submitFull(from: string, subject: string, envelopeFrom?: string) {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: server.ports.submission,
    requireTLS: true,
    auth: { user: 'info@shop.test', pass: 'dkim test password' },
    tls: { rejectUnauthorized: false },
  });
  const before = mx.messages.length;
  await transport.sendMail({
    from,
    to: 'someone@example.net',
    subject,
    text: `DKIM test: ${subject}\n`,
    ...(envelopeFrom ? { envelope: { from: envelopeFrom, to: 'someone@example.net' } } : {}),
  });
  transport.close();
  const [m] = (await mx.waitForMessages(before + 1)).slice(before);
  assert.ok(m);
  return m;
}

function selectors(raw: Buffer): string[] {
  return [...raw.toString().matchAll(/^DKIM-Signature:[^]*?\bs=([^;\s]+)/gim)].map((m) => m[1] as string);
}

test('submitted on 587, signed with RSA and Ed25519 at acceptance, verified by python3-dkim', { skip: skipPython }, async () => {
  const raw = await submit('Shop <info@shop.test>', 'dual');
  assert.equal(selectors(raw).length, 2, 'two signatures');
  assert.match(raw.toString(), /a=rsa-sha256/);
  assert.match(raw.toString(), /a=ed25519-sha256/);
  const [results] = await pythonVerify([raw], Number(dns.address.split(':')[1]));
  assert.deepEqual(results?.map((r) => r.ok), [true, true], JSON.stringify(results));
  const accepted = await server.waitForLog((r) => r.event === 'accepted' && r['dkim'] === 'shop.test');
  assert.equal(accepted['user'], 'info@shop.test');
});

test('after a key rotation the new selector signs, and still verifies', { skip: skipPython }, async () => {
  const old = selectors(await submit('info@shop.test', 'before rotation'));
  const rotation = store.rotate('shop.test');
  publish();
  store.activate('shop.test', { overlapMs: 7 * 86_400_000 });
  const raw = await submit('info@shop.test', 'after rotation');
  const now = selectors(raw);
  assert.equal(now.length, 2);
  for (const s of now) assert.ok(!old.includes(s), `new selector ${s} differs from ${old.join(',')}`);
  assert.deepEqual(now.sort(), rotation.added.map((k) => k.selector).sort());
  const [results] = await pythonVerify([raw], Number(dns.address.split(':')[1]));
  assert.deepEqual(results?.map((r) => r.ok), [true, true], JSON.stringify(results));
});

test('a From domain that is not registered goes out unsigned, with a warning in the log', async () => {
  const raw = await submit('someone@unregistered.test', 'unsigned');
  assert.equal(selectors(raw).length, 0);
  await server.waitForLog((r) => r['fromDomain'] === 'unregistered.test' && r['level'] === 40);
});

test('the envelope sender is moved into the From domain for DMARC alignment, or to its return-path domain', async () => {
  const aligned = await submitFull('info@shop.test', 'alignment', 'www-data@vps-1234.provider.test');
  assert.equal(aligned.mailFrom, 'info@shop.test');
  await server.waitForLog((r) => r['event'] === 'return-path' && r['from'] === 'www-data@vps-1234.provider.test');
  store.setReturnPathDomain('shop.test', 'bounce.shop.test');
  await new Promise((r) => setTimeout(r, 20));
  const bounced = await submitFull('info@shop.test', 'bounce domain', 'www-data@vps-1234.provider.test');
  assert.equal(bounced.mailFrom, 'info@bounce.shop.test');
  const untouched = await submitFull('someone@unregistered.test', 'not registered', 'www-data@vps-1234.provider.test');
  assert.equal(untouched.mailFrom, 'www-data@vps-1234.provider.test');
});
