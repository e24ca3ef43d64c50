// `hikyaku suppression …` as an admin runs it: the built command, a config
// file whose dataDir is a temporary directory, output read back in English
// and Japanese. (That the server sees the CLI's writes at once is shown by
// the store's two-connection test; the RCPT check itself is wired elsewhere.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliRun, tempDir, writeConfigFile } from '../helpers/hikyaku.js';
import { SuppressionStore } from '../../src/policy/suppression-store.js';

const dir = tempDir('hikyaku-suppression-cli-');
const dataDir = join(dir, 'data');
const configFile = writeConfigFile(dir, { hostname: 'mail.hikyaku.test', dataDir });
after(() => rmSync(dir, { recursive: true, force: true }));


const suppression = (args: string[], lang: 'en' | 'ja' = 'en'): Promise<CliRun> => runCli(['suppression', ...args, '--config', configFile, '--lang', lang]);

interface JsonEntry {
  recipient: string;
  sendingDomain: string | null;
  source: string;
  reason: string;
  expiresAt: string | null;
}

async function listJson(...args: string[]): Promise<JsonEntry[]> {
  const run = await suppression(['list', '--json', ...args]);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  return JSON.parse(run.stdout) as JsonEntry[];
}

test('add, list, remove and purge, in English and Japanese', async () => {
  const empty = await suppression(['list']);
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(empty.stdout, /The suppression list is empty\./);
  assert.equal(statSync(join(dataDir, 'suppression.db')).mode & 0o777, 0o600);

  const add = await suppression(['add', '"taro..yamada"@Dest.TEST']);
  assert.equal(add.code, 0, add.stderr + add.stdout);
  assert.match(add.stdout, /Suppressed "taro\.\.yamada"@Dest\.TEST for mail from every sending domain, until removed/);
  const addJa = await suppression(['add', 'gone@dest.test', '--domain', 'Shop.TEST', '--for', '30d', '--reason', '550 5.1.1 no such user'], 'ja');
  assert.equal(addJa.code, 0, addJa.stderr + addJa.stdout);
  assert.match(addJa.stdout, /gone@dest\.test を送信抑止リストに追加しました \(送信ドメイン: shop\.test、期限 \d{4}-\d\d-\d\d \d\d:\d\dZ\)/);

  const entries = await listJson();
  assert.deepEqual(
    entries.map((e) => [e.recipient, e.sendingDomain, e.source, e.reason]),
    [
      ['gone@dest.test', 'shop.test', 'manual', '550 5.1.1 no such user'],
      ['"taro..yamada"@Dest.TEST', null, 'manual', 'manual'],
    ],
  );
  const days = (Date.parse(entries[0]?.expiresAt ?? '') - Date.now()) / 86_400_000;
  assert.ok(days > 29.9 && days <= 30, `expires in 30 days, not ${days}`);
  assert.equal(entries[1]?.expiresAt, null);
  assert.deepEqual((await listJson('--domain', 'other.test')).map((e) => e.recipient), ['"taro..yamada"@Dest.TEST'], 'all-domains entries apply to every domain');

  const table = await suppression(['list'], 'ja');
  assert.match(table.stdout, /^宛先\t送信ドメイン\t登録元\t登録日時\t期限\t理由$/m);
  assert.match(table.stdout, /^"taro\.\.yamada"@Dest\.TEST\t\(すべて\)\tmanual\t[^\t]+\tなし\tmanual$/m);

  // The unquoted spelling is the same mailbox.
  const remove = await suppression(['remove', 'taro..yamada@dest.test']);
  assert.equal(remove.code, 0, remove.stdout);
  assert.match(remove.stdout, /Removed 1 entry for taro\.\.yamada@dest\.test/);
  const again = await suppression(['remove', 'taro..yamada@dest.test'], 'ja');
  assert.equal(again.code, 1);
  assert.match(again.stdout, /taro\.\.yamada@dest\.test は送信抑止リストにありません/);
  const otherDomain = await suppression(['remove', 'gone@dest.test', '--domain', 'news.test']);
  assert.equal(otherDomain.code, 1);
  assert.match(otherDomain.stdout, /gone@dest\.test is not on the suppression list for news\.test; nothing removed/);

  // 1 ms: expired by the time the next command runs.
  assert.equal((await suppression(['add', 'brief@dest.test', '--for', '1ms'])).code, 0);
  assert.deepEqual((await listJson()).map((e) => e.recipient), ['gone@dest.test']);
  assert.deepEqual((await listJson('--all')).map((e) => e.recipient), ['brief@dest.test', 'gone@dest.test']);
  const purge = await suppression(['purge']);
  assert.match(purge.stdout, /Removed 1 entry whose time was up\./);
  assert.deepEqual((await listJson('--all')).map((e) => e.recipient), ['gone@dest.test']);
});

test('the store the server opens sees what the CLI wrote', async () => {
  assert.equal((await suppression(['add', 'seen@dest.test', '--domain', 'shop.test'])).code, 0);
  const store = SuppressionStore.open(dataDir);
  try {
    assert.equal(store.isSuppressed('shop.test', 'seen@dest.test', Date.now())?.source, 'manual');
    assert.equal(store.isSuppressed('news.test', 'seen@dest.test', Date.now()), undefined);
  } finally {
    store.close();
  }
});

test('bad input says what is wrong and how to fix it, in both languages', async () => {
  const cases: Array<[string[], 'en' | 'ja', RegExp]> = [
    [['add', 'taro'], 'en', /"taro" is not a usable address: there is no @ and domain\. Give the full address as it appears in the bounce, for example: taro@example\.com/],
    [['add', 'taro'], 'ja', /「taro」は使えるアドレスではありません: @ とドメインがありません。エラーメールに書かれているとおりのアドレス全体を指定してください/],
    [['add', '<taro@dest.test>'], 'en', /remove the < > around it/],
    [['add', 'taro yamada@dest.test'], 'en', /it contains a space or control character/],
    [['add', 'taro@localhost'], 'en', /"localhost" after the @ is not a domain name that mail can be sent to/],
    [['add', 'taro@dest.test', '--for', 'soon'], 'en', /"soon" is not a duration\. Write it like 30d, 12h or 1h30m, or use --forever\./],
    [['add', 'taro@dest.test', '--for', '1d', '--forever'], 'ja', /--for と --forever はどちらか一方だけを指定してください。/],
    [['add', 'taro@dest.test', '--domain', 'not a domain'], 'en', /"not a domain" is not a valid domain name\. Give the sending domain as written after @ in the From address/],
    [['add'], 'en', /Give the recipient address, for example: hikyaku suppression add taro@example\.com/],
    [['list', '--bogus'], 'en', /Invalid arguments: .*--bogus/],
    [['frobnicate'], 'ja', /使い方: hikyaku suppression list/],
  ];
  for (const [args, lang, expected] of cases) {
    const run = await suppression(args, lang);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
    assert.match(run.stdout, expected, args.join(' '));
  }
  assert.deepEqual((await listJson()).filter((e) => e.recipient.includes('taro')), [], 'nothing was added');
});
