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

test('key rotation: rotate-key keeps signing with the old key, activate-key refuses until the record is published, then switches; the old record stays', { skip: skipPython }, async () => {
  const withDns = { ...config(), delivery: { ...config().delivery, resolvers: [dns.address], dnsTimeoutMs: 2000 } };
  const run = async (args: string[]): Promise<{ code: number; lines: string[] }> => {
    const lines: string[] = [];
    const code = await runDomainCommand(args, { config: withDns, lang: 'en', out: (l) => lines.push(l) });
    return { code, lines };
  };
  const old = selectorsOf(firstSigned);

  // 1. rotate-key: new keys are pending and their records are printed; signing is unchanged.
  const rotated = await run(['rotate-key', 'example.com']);
  assert.equal(rotated.code, 0, rotated.lines.join('\n'));
  assert.match(rotated.lines.join('\n'), /They are PENDING: mail is still signed with the current keys/);
  assert.match(rotated.lines.join('\n'), /hikyaku domain activate-key example\.com/);
  const addLines = zoneLines(rotated.lines);
  assert.equal(addLines.length, 2, 'one new RSA and one new Ed25519 record');
  const fresh = addLines.map((l) => l.split('._domainkey.')[0] as string);
  for (const s of fresh) assert.ok(!old.includes(s), `new selector ${s}`);

  const stillOld = (await signer.sign(testMessage('sender@example.com', 'during rotation'), 'example.com')).signed;
  assert.deepEqual(selectorsOf(stillOld).sort(), [...old].sort(), 'the old keys go on signing while the new ones are pending');
  const [during] = await pythonVerify([stillOld], dns.port);
  assert.deepEqual(during?.map((r) => r.ok), [true, true]);

  // 2. activate-key refuses while the records are not in DNS (the doctor's check, over real DNS).
  const refused = await run(['activate-key', 'example.com']);
  assert.equal(refused.code, 1, refused.lines.join('\n'));
  const refusedText = refused.lines.join('\n');
  assert.match(refusedText, /Not activated: the DNS record of .* could not be confirmed as published and matching/);
  assert.match(refusedText, /is not published at .*_domainkey\.example\.com yet/);
  assert.match(refusedText, /--force/);
  for (const line of addLines) assert.ok(refused.lines.some((l) => l.trim() === line), `the record to publish: ${line}`);
  assert.deepEqual(
    DomainStore.open(dataDir).get('example.com')?.keys.filter((k) => k.state === 'pending').map((k) => k.selector).sort(),
    [...fresh].sort(),
  );

  // A record with the wrong key is refused too.
  const wrongKey = addLines[0]!.replace(/p=[A-Za-z0-9+/]{8}/, 'p=AAAAAAAA');
  dns.loadZoneText(wrongKey);
  const mismatch = await run(['activate-key', 'example.com']);
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.lines.join('\n'), /is not the one that matches/);

  // 3. Published: activate-key switches signing.
  dns.loadZoneText(addLines.join('\n'));
  const activated = await run(['activate-key', 'example.com', fresh[0]!]);
  assert.equal(activated.code, 0, activated.lines.join('\n'));
  assert.match(activated.lines.join('\n'), /Activated .* for example\.com: mail is signed with it from now on/);
  assert.match(activated.lines.join('\n'), /must stay published until \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  for (const s of old) assert.ok(activated.lines.some((l) => l.includes(`${s}._domainkey.example.com`)), `retiring ${s} listed`);

  const message = testMessage('sender@example.com', 'after rotation');
  const { signed, domain } = await signer.sign(message, 'example.com');
  assert.equal(domain, 'example.com');
  assert.deepEqual(selectorsOf(signed).sort(), [...fresh].sort());

  // Mail signed before the switch still verifies too: the old records stay published.
  const [now, before] = await pythonVerify([signed, stillOld], dns.port);
  assert.deepEqual(now?.map((r) => r.ok), [true, true], JSON.stringify(now));
  assert.deepEqual(before?.map((r) => r.ok), [true, true]);
  assert.deepEqual(await mailauthVerify(signed, dns.address), ['pass', 'pass']);

  // 4. show lists the states; retire-key waits for the overlap unless forced.
  const show = await run(['show', 'example.com']);
  for (const s of fresh) assert.ok(show.lines.some((l) => l.startsWith(`  ${s} `) && l.endsWith('active (signs)')), s);
  for (const s of old) assert.ok(show.lines.some((l) => l.startsWith(`  ${s} `) && /retiring \(stopped signing .* UTC\): keep published until .* UTC$/.test(l)), show.lines.join('\n'));
  const early = await run(['retire-key', 'example.com', old[0]!]);
  assert.equal(early.code, 1);
  assert.match(early.lines.join('\n'), /must stay published until .*--force/);
  const active = await run(['retire-key', 'example.com', fresh[0]!]);
  assert.equal(active.code, 1);
  assert.match(active.lines.join('\n'), /is the key that signs/);
  for (const s of old) {
    const retired = await run(['retire-key', 'example.com', s, '--force']);
    assert.equal(retired.code, 0, retired.lines.join('\n'));
    assert.ok(retired.lines.includes(`  TXT  ${s}._domainkey.example.com`));
  }
  assert.deepEqual(DomainStore.open(dataDir).get('example.com')?.keys.map((k) => `${k.selector}:${k.state}`).sort(), fresh.map((s) => `${s}:active`).sort());
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
