// `hikyaku domain …` as a user runs it: output, exit codes and both languages.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runDomainCommand } from '../../src/cli/domain-command.js';
import { DomainStore } from '../../src/domains/domain-store.js';
import { testConfig } from './test-config.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hikyaku-domain-cli-'));
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

async function run(args: string[], lang: 'ja' | 'en' = 'en', smarthostHost?: string): Promise<{ code: number; text: string; lines: string[] }> {
  const lines: string[] = [];
  const config = testConfig(dataDir, smarthostHost === undefined ? {} : { smarthostHost });
  const code = await runDomainCommand(args, { config, lang, out: (l) => lines.push(l) });
  return { code, text: lines.join('\n'), lines };
}

test('list with no domains explains how to add one', async () => {
  const en = await run(['list']);
  assert.equal(en.code, 0);
  assert.match(en.text, /hikyaku domain add example\.com/);
  const ja = await run(['list'], 'ja');
  assert.match(ja.text, /送信ドメインはまだありません/);
});

test('add (Japanese): every record to publish, grouped, both DKIM forms', async () => {
  const { code, text, lines } = await run(['add', 'example.com', '--ed25519', '--selector', 's1'], 'ja');
  assert.equal(code, 0, text);
  assert.match(text, /送信ドメイン example\.com を追加しました/);
  for (const heading of ['DKIM — 署名の公開鍵', 'SPF — 送信を許可するサーバー', 'DMARC — ポリシーとレポート', '逆引き (PTR)']) {
    assert.ok(lines.some((l) => l.startsWith(`■ ${heading}`)), heading);
  }
  const domain = DomainStore.open(dataDir).get('example.com');
  assert.ok(domain);
  const trimmed = lines.map((l) => l.trim());
  for (const key of domain.keys) {
    const name = `${key.selector}._domainkey.example.com`;
    const k = key.algorithm === 'rsa-sha256' ? 'rsa' : 'ed25519';
    assert.ok(trimmed.includes(`v=DKIM1; k=${k}; p=${key.publicKeyBase64}`), `${name}: one-line value`);
    assert.ok(trimmed.some((l) => l.startsWith(`${name}. 3600 IN TXT "v=DKIM1; k=${k}; p=`)), `${name}: zone line`);
  }
  assert.deepEqual(
    domain.keys.map((k) => k.selector),
    ['s1', 's1e'],
  );
  assert.ok(lines.some((l) => l.includes('_dmarc.example.com. 3600 IN TXT "v=DMARC1; p=none;')));
  assert.ok(lines.some((l) => l.includes('example.com. 3600 IN TXT "v=spf1 ip4:203.0.113.25 ~all"')));
  assert.ok(lines.some((l) => l.includes('25.113.0.203.in-addr.arpa. 3600 IN PTR mail.example.net.')));
  assert.match(text, /hikyaku doctor example\.com/);
});

test('errors: a message saying how to fix it, and a non-zero exit code', async () => {
  const cases: { args: string[]; code: number; en: RegExp }[] = [
    { args: ['add', 'example.com'], code: 1, en: /already registered.*hikyaku domain show example\.com/ },
    { args: ['add', 'not_a domain'], code: 2, en: /not a valid domain name.*example\.com/ },
    { args: ['add', 'ok.example', '--selector', 'bad selector'], code: 2, en: /not a valid DKIM selector/ },
    { args: ['add'], code: 2, en: /Give the domain name.*hikyaku domain add example\.com/ },
    { args: ['add', 'x.example', '--bogus'], code: 2, en: /Invalid arguments/ },
    { args: ['show', 'missing.example'], code: 1, en: /missing\.example is not registered.*hikyaku domain add missing\.example/ },
    { args: ['rotate-key', 'missing.example'], code: 1, en: /not registered/ },
    { args: ['activate-key', 'missing.example'], code: 1, en: /not registered/ },
    { args: ['activate-key', 'example.com'], code: 1, en: /example\.com has no pending DKIM key to activate.*rotate-key example\.com/ },
    { args: ['activate-key', 'example.com', 'nope'], code: 1, en: /No DKIM key "nope"/ },
    { args: ['retire-key', 'example.com'], code: 2, en: /Give the selector of the key to remove/ },
    { args: ['retire-key', 'example.com', 's1'], code: 1, en: /s1 is the key that signs/ },
    { args: ['remove', 'missing.example'], code: 1, en: /nothing removed/ },
    { args: ['return-path', 'example.com'], code: 2, en: /return-path domain.*none/ },
    { args: ['return-path', 'example.com', 'bad domain'], code: 2, en: /not a valid return-path domain/ },
    { args: ['frobnicate'], code: 2, en: /Unknown domain command: frobnicate/ },
    { args: [], code: 2, en: /usage: hikyaku domain add NAME/ },
  ];
  for (const c of cases) {
    const en = await run(c.args, 'en');
    assert.equal(en.code, c.code, `${c.args.join(' ')}: ${en.text}`);
    assert.match(en.text.replace(/\n/g, ' '), c.en, c.args.join(' '));
    const ja = await run(c.args, 'ja');
    assert.equal(ja.code, c.code);
    assert.match(ja.text, JAPANESE, `${c.args.join(' ')} in Japanese: ${ja.text}`);
    assert.notEqual(ja.text, en.text);
  }
  assert.equal(DomainStore.open(dataDir).get('ok.example'), undefined);
});

test('list and show', async () => {
  const list = await run(['list']);
  assert.equal(list.code, 0);
  assert.match(list.lines[0]!, /^example\.com {2}\(added \d{4}-\d\d-\d\d \d\d:\d\d UTC; return-path domain: none\)$/);
  assert.deepEqual(list.lines.slice(1), ['  s1   rsa-sha256      active (signs)', '  s1e  ed25519-sha256  active (signs)']);
  const show = await run(['show', 'EXAMPLE.com']);
  assert.equal(show.code, 0);
  assert.match(show.text, /DNS records to publish for example\.com:/);
  assert.match(show.text, /s1\._domainkey\.example\.com\. 3600 IN TXT/);
});

test('return-path: set prints the SPF record for it; none clears it', async () => {
  const set = await run(['return-path', 'example.com', 'bounces.example.com'], 'en', 'smtp.sendgrid.net');
  assert.equal(set.code, 0, set.text);
  assert.match(set.text, /Return-path domain of example\.com set to bounces\.example\.com/);
  assert.ok(set.lines.some((l) => l.trim() === 'bounces.example.com. 3600 IN TXT "v=spf1 ip4:203.0.113.25 include:sendgrid.net ~all"'), set.text);
  assert.equal(DomainStore.open(dataDir).get('example.com')?.returnPathDomain, 'bounces.example.com');
  const cleared = await run(['return-path', 'example.com', 'none'], 'ja');
  assert.equal(cleared.code, 0);
  assert.match(cleared.text, /解除しました/);
  assert.equal(DomainStore.open(dataDir).get('example.com')?.returnPathDomain, undefined);
});

test('rotate-key (Japanese): pending keys; activate-key --force; after the overlap show says retire-key; remove', async () => {
  const before = DomainStore.open(dataDir).get('example.com');
  const rotated = await run(['rotate-key', 'example.com'], 'ja');
  assert.equal(rotated.code, 0, rotated.text);
  assert.match(rotated.text, /有効化待ちです/);
  assert.match(rotated.text, /手順 1: 次のレコードを今すぐ公開してください/);
  assert.match(rotated.text, /hikyaku domain activate-key example\.com/);
  assert.match(rotated.text, /10m ごとに確認/);
  const domain = DomainStore.open(dataDir).get('example.com');
  const pending = domain?.keys.filter((k) => k.state === 'pending') ?? [];
  assert.equal(pending.length, 2);
  for (const key of pending) assert.ok(rotated.lines.some((l) => l.trim().startsWith(`${key.selector}._domainkey.example.com. 3600 IN TXT`)));
  assert.deepEqual(
    domain?.keys.filter((k) => k.state === 'active').map((k) => k.selector),
    before?.keys.map((k) => k.selector),
    'the old keys still sign',
  );
  const again = await run(['rotate-key', 'example.com']);
  assert.equal(again.code, 1);
  const [rsaPending, edPending] = pending.map((k) => k.selector);
  assert.ok(again.text.includes(`A rotation is already under way: the pending keys ${rsaPending}, ${edPending} wait`), again.text);

  const show = await run(['show', 'example.com']);
  assert.ok(show.lines.some((l) => l.startsWith(`  ${rsaPending} `) && / rsa-sha256 +pending \(does not sign yet; created .* UTC\): publish its record, then hikyaku domain activate-key example\.com$/.test(l)), show.text);
  assert.ok(show.text.includes(`NEW DKIM public key, selector ${rsaPending} (RSA 2048), pending: publish it now`), show.text);

  // With no overlap configured, the retired keys may go at once.
  const lines: string[] = [];
  const noOverlap = { ...testConfig(dataDir), domains: { ...testConfig(dataDir).domains, rotationOverlapMs: 0 } };
  const forced = await runDomainCommand(['activate-key', 'example.com', '--force'], { config: noOverlap, lang: 'en', out: (l) => lines.push(l) });
  assert.equal(forced, 0, lines.join('\n'));
  assert.match(lines.join('\n'), /Activated WITHOUT a confirmed DNS record \(--force\)/);
  const after = await run(['list']);
  assert.ok(after.lines.some((l) => /^ {2}s1 +rsa-sha256 {6}retiring \(stopped signing .* UTC\): overlap over since .* UTC, its record may be removed; then: hikyaku domain retire-key example\.com s1$/.test(l)), after.text);
  const none = await run(['activate-key', 'example.com'], 'ja');
  assert.equal(none.code, 1);
  assert.match(none.text, /有効化待ちの DKIM 鍵がありません/);
  const retired = await run(['retire-key', 'example.com', 's1'], 'ja');
  assert.equal(retired.code, 0, retired.text);
  assert.match(retired.text, /退役した DKIM 鍵 s1 を削除しました/);
  assert.ok(retired.lines.includes('  TXT  s1._domainkey.example.com'));

  const final = DomainStore.open(dataDir).get('example.com');
  const removed = await run(['remove', 'example.com']);
  assert.equal(removed.code, 0);
  assert.match(removed.text, /Removed example\.com and its DKIM private keys/);
  for (const key of final?.keys ?? []) assert.ok(removed.lines.includes(`  ${key.selector}._domainkey.example.com  TXT`));
  assert.equal(DomainStore.open(dataDir).get('example.com'), undefined);
  assert.equal(fs.existsSync(path.join(dataDir, 'domains', 'example.com.json')), false);
});

test('a damaged domain file: commands explain it, and remove still works', async () => {
  fs.mkdirSync(path.join(dataDir, 'domains'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'domains', 'broken.example.json'), 'not json');
  const show = await run(['show', 'broken.example']);
  assert.equal(show.code, 1);
  assert.match(show.text, /Cannot read the domain file .*broken\.example\.json.*hikyaku domain remove/);
  const list = await run(['list'], 'ja');
  assert.equal(list.code, 1);
  assert.match(list.text, /読めません/);
  const removed = await run(['remove', 'broken.example']);
  assert.equal(removed.code, 0, removed.text);
  assert.equal(fs.existsSync(path.join(dataDir, 'domains', 'broken.example.json')), false);
});
