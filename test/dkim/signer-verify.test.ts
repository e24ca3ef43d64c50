// End to end: `hikyaku domain add` prints zone lines, the test DNS server
// publishes exactly those lines, our signer signs, and verifiers that are
// not ours look the keys up in that DNS server over real sockets:
// Debian's python3-dkim (with dnspython) and mailauth.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { runDomainCommand } from '../../src/cli/domain-command.js';
import { createDkimSigner, headerFromDomain, type DkimSigner } from '../../src/dkim/signer.js';
import { DomainStore } from '../../src/domains/domain-store.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { testConfig } from './test-config.js';
import { pythonVerify, skipPython } from '../helpers/python-dkim.js';

async function mailauthVerify(message: Buffer, dnsAddress: string): Promise<string[]> {
  const resolver = new Resolver();
  resolver.setServers([dnsAddress]);
  const res = await dkimVerify(message, { resolver: (name: string, type: string) => resolver.resolve(name, type as 'TXT') });
  return res.results.map((r: { status: { result: string } }) => r.status.result);
}

function selectorsOf(signed: Buffer): string[] {
  const head = signed.toString('latin1').split('\r\n\r\n')[0] as string;
  return [...head.matchAll(/^DKIM-Signature:[\s\S]*?\bs=([^;]+);/gim)].map((m) => (m[1] as string).trim());
}

function testMessage(from: string, subject: string): Buffer {
  return Buffer.from(
    [
      `From: "Sender, Test" <${from}>`,
      'To: Recipient <rcpt@example.org>',
      `Subject: ${subject}`,
      '  with a folded   line',
      'Date: Sun, 15 Nov 2026 12:00:00 +0900',
      'Message-ID: <dkim-test@mail.example.net>',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'こんにちは  trailing spaces   ',
      '\ttabbed\tline',
      '',
      '',
      '',
    ].join('\r\n'),
    'utf8',
  );
}

/** The zone-file lines the command printed, under a given section (or all). */
function zoneLines(output: string[]): string[] {
  return output.map((l) => l.trim()).filter((l) => / \d+ IN (TXT|PTR|A|AAAA) /.test(l));
}

let dataDir: string;
let dns: TestDnsServer;
let signer: DkimSigner;
const output: string[] = [];
const config = (): ReturnType<typeof testConfig> => testConfig(dataDir);

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hikyaku-dkim-'));
  dns = await startDnsServer({});
  // The signer has its own store instance, like the server process; the CLI opens another.
  signer = createDkimSigner(DomainStore.open(dataDir), pino({ level: 'silent' }));
});
after(async () => {
  await dns.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

let firstSigned: Buffer;

test('domain add --ed25519: published records verify both signatures with python3-dkim and mailauth', { skip: skipPython }, async () => {
  const code = await runDomainCommand(['add', 'example.com', '--ed25519'], { config: config(), lang: 'en', out: (l) => output.push(l) });
  assert.equal(code, 0, output.join('\n'));
  const lines = zoneLines(output);
  assert.ok(lines.some((l) => l.includes('._domainkey.example.com. ')));
  dns.loadZoneText(lines.join('\n'));

  const message = testMessage('sender@news.example.com', 'Grüße');
  const fromDomain = headerFromDomain(message);
  assert.equal(fromDomain, 'news.example.com');
  const { signed, domain } = await signer.sign(message, fromDomain as string);
  assert.equal(domain, 'example.com');
  assert.ok(signed.subarray(signed.length - message.length).equals(message), 'the message itself is unchanged');
  const selectors = selectorsOf(signed);
  assert.equal(selectors.length, 2);
  assert.match(signed.toString('latin1'), /a=rsa-sha256;/);
  assert.match(signed.toString('latin1'), /a=ed25519-sha256;/);
  assert.match(signed.toString('latin1'), /h=from:from:to:subject:date:message-id:mime-version:content-type:\r\n content-transfer-encoding;/);
  for (const line of signed.toString('latin1').split('\r\n\r\n')[0]!.split('\r\n')) assert.ok(line.length <= 78, line);

  dns.queries.length = 0;
  const [results] = await pythonVerify([signed], dns.port);
  assert.deepEqual(results, [
    { ok: true, error: null },
    { ok: true, error: null },
  ]);
  assert.deepEqual(
    new Set(dns.queries.map((q) => `${q.type} ${q.name}`)),
    new Set(selectors.map((s) => `TXT ${s}._domainkey.example.com`)),
    'python looked the keys up in the test DNS server',
  );
  assert.deepEqual(await mailauthVerify(signed, dns.address), ['pass', 'pass']);
  firstSigned = signed;
});

test('python3-dkim rejects a tampered message: an added From (over-signed) or a changed body', { skip: skipPython }, async () => {
  assert.ok(firstSigned, 'needs the signed message of the previous test');
  const text = firstSigned.toString('latin1');
  const extraFrom = Buffer.from(text.replace('\r\nFrom: ', '\r\nFrom: attacker@evil.example\r\nFrom: '), 'latin1');
  const changedBody = Buffer.from(text.replace('tabbed', 'tabbeD'), 'latin1');
  // Whitespace changes that relaxed canonicalization absorbs still verify.
  const rewrapped = Buffer.from(text.replace('tabbed\tline', 'tabbed  line   '), 'latin1');
  assert.notEqual(rewrapped.toString('latin1'), text);
  const results = await pythonVerify([extraFrom, changedBody, rewrapped], dns.port);
  assert.deepEqual(
    results.map((r) => r.map((x) => x.ok)),
    [
      [false, false],
      [false, false],
      [true, true],
    ],
  );
});

test('domain rotate-key: the running signer switches to the new selectors, which verify once the ADD records are published', { skip: skipPython }, async () => {
  const rotateOut: string[] = [];
  const code = await runDomainCommand(['rotate-key', 'example.com'], { config: config(), lang: 'en', out: (l) => rotateOut.push(l) });
  assert.equal(code, 0, rotateOut.join('\n'));
  const removeAt = rotateOut.findIndex((l) => l.startsWith('REMOVE these records after'));
  assert.ok(removeAt > 0, rotateOut.join('\n'));
  const addLines = zoneLines(rotateOut.slice(0, removeAt));
  assert.equal(addLines.length, 2, 'one new RSA and one new Ed25519 record');
  dns.loadZoneText(addLines.join('\n'));

  const message = testMessage('sender@example.com', 'after rotation');
  const { signed, domain } = await signer.sign(message, 'example.com');
  assert.equal(domain, 'example.com');
  const selectors = selectorsOf(signed);
  const old = selectorsOf(firstSigned);
  assert.equal(selectors.length, 2);
  for (const s of selectors) assert.ok(!old.includes(s), `new selector ${s}`);
  for (const s of selectors) assert.ok(addLines.some((l) => l.startsWith(`${s}._domainkey.example.com. `)));
  // The retiring selectors are listed for later removal.
  for (const s of old) assert.ok(rotateOut.slice(removeAt).some((l) => l.includes(`${s}._domainkey.example.com`)));

  // Mail signed before the rotation still verifies too: its records stay published.
  const [fresh, older] = await pythonVerify([signed, firstSigned], dns.port);
  assert.deepEqual(fresh, [
    { ok: true, error: null },
    { ok: true, error: null },
  ]);
  assert.deepEqual(
    older?.map((r) => r.ok),
    [true, true],
  );
  assert.deepEqual(await mailauthVerify(signed, dns.address), ['pass', 'pass']);
});

test('a From domain that is not registered is returned unchanged', async () => {
  const message = testMessage('someone@unrelated.example', 'x');
  const { signed, domain } = await signer.sign(message, 'unrelated.example');
  assert.equal(domain, undefined);
  assert.equal(signed, message);
});

test('a message without a From field is not signed', async () => {
  const store = DomainStore.open(dataDir);
  if (!store.get('example.com')) store.add('example.com'); // when the python tests were skipped
  const message = Buffer.from('To: rcpt@example.org\r\nSubject: no from\r\n\r\nbody\r\n');
  const { signed, domain } = await signer.sign(message, 'example.com');
  assert.equal(domain, undefined);
  assert.equal(signed, message);
});
