// `hikyaku user …` for sender patterns, limits, flags and app passwords,
// run as the built CLI against a running server that shares its data
// directory: an app password made by the CLI logs in over SMTP at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliRun, startHikyaku, tempDir, testRawConfig, writeConfigFile, type TestServer } from '../helpers/hikyaku.js';
import { canLogIn as canLogInAt } from '../helpers/can-log-in.js';

let server: TestServer;
let configFile: string;
let dir: string;

before(async () => {
  dir = tempDir('hikyaku-user-cli-');
  // Nothing is delivered here: no DNS server or MX is needed, only the submission listener.
  const env = { dns: '127.0.0.1:9', mxPort: 9 };
  configFile = writeConfigFile(dir, testRawConfig(env, join(dir, 'data')));
  server = await startHikyaku(env, {}, { dataDir: join(dir, 'data') });
});

after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const hikyaku = (args: string[], input = ''): Promise<CliRun> => runCli([...args, '--config', configFile], input);

const canLogIn = (user: string, pass: string): Promise<boolean> => canLogInAt(server.ports.submission, user, pass);

test('user add with sender patterns and limits; user set; user show in English and Japanese', async () => {
  const add = await hikyaku(['user', 'add', 'web@shop.test', '--password-stdin', '--may-send-as', '*@shop.test', '--may-send-as', 'news@mail.shop.test', '--messages-per-hour', '100'], 'web-password\n');
  assert.equal(add.code, 0, add.stderr);
  let show = await hikyaku(['user', 'show', 'web@shop.test']);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /^User: web@shop\.test$/m);
  assert.match(show.stdout, /^May send as: \*@shop\.test, news@mail\.shop\.test$/m);
  assert.match(show.stdout, /^Sender check: on$/m);
  assert.match(show.stdout, /^Limits: 100 messages\/hour, default messages\/day, default recipients\/message$/m);
  assert.match(show.stdout, /^Flagged: no$/m);
  assert.match(show.stdout, /^SCRAM-SHA-256: ready$/m);
  assert.match(show.stdout, /^CRAM-MD5 secret: none$/m);
  assert.match(show.stdout, /^App passwords \(0\):$/m);

  const set = await hikyaku(['user', 'set', 'web@shop.test', '--clear-may-send-as', '--sender-check', 'off', '--messages-per-hour', 'default', '--recipients-per-message', '20']);
  assert.equal(set.code, 0, set.stderr);
  show = await hikyaku(['user', 'show', 'web@shop.test', '--lang', 'ja']);
  assert.match(show.stdout, /^送信元として使えるアドレス: 既定/m);
  assert.match(show.stdout, /^送信元チェック: 無効/m);
  assert.match(show.stdout, /^送信上限: 既定値 通\/時, 既定値 通\/日, 20 宛先\/通$/m);

  for (const [args, message] of [
    [['--may-send-as', '*'], /invalid sender pattern/],
    [['--sender-check', 'maybe'], /--sender-check/],
    [['--messages-per-day', 'lots'], /--messages-per-day/],
    [['--messages-per-day', '0'], /invalid messagesPerDay/],
  ] as const) {
    const bad = await hikyaku(['user', 'set', 'web@shop.test', ...args]);
    assert.equal(bad.code, 1, args.join(' '));
    assert.match(bad.stderr, message);
  }
  const missing = await hikyaku(['user', 'show', 'nobody@shop.test']);
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, /No such user/);
});

test('app passwords: printed once, log in at once, listed without secrets, revoked', async () => {
  await server.addUser('owner@shop.test', 'owner-password');
  const add = await hikyaku(['user', 'app-password', 'add', 'owner@shop.test', '--label', 'wordpress-shop', '--may-send-as', 'orders@shop.test', '--network', '127.0.0.0/8', '--messages-per-day', '500']);
  assert.equal(add.code, 0, add.stderr);
  const password = /^ {2}([a-z2-7]{4}(?:-[a-z2-7]{4}){6})$/m.exec(add.stdout)?.[1];
  assert.ok(password, add.stdout);
  assert.match(add.stdout, /shown only now/);
  // Until the session policy passes the client address (authenticatePrincipal), a
  // network-limited app password is refused; this one has no network limit.
  const phoneAdd = await hikyaku(['user', 'app-password', 'add', 'owner@shop.test', '--label', 'phone']);
  const phone = /^ {2}([a-z2-7-]{34})$/m.exec(phoneAdd.stdout)?.[1] ?? '';
  assert.equal(await canLogIn('owner@shop.test', phone), true, 'the app password works on the running server');
  assert.equal(await canLogIn('owner', phone.replace(/-/g, '')), true, 'local part, without dashes');
  assert.equal(await canLogIn('owner@shop.test', 'owner-password'), true, 'the main password still works');

  const duplicate = await hikyaku(['user', 'app-password', 'add', 'owner@shop.test', '--label', 'wordpress-shop']);
  assert.equal(duplicate.code, 1);
  assert.match(duplicate.stderr, /already has an app password labelled wordpress-shop/);

  for (const args of [['user', 'app-password', 'list', 'owner@shop.test'], ['user', 'show', 'owner@shop.test']]) {
    const listed = await hikyaku(args);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^ {2}phone {2}Created: /m);
    assert.match(listed.stdout, /^ {2}wordpress-shop {2}Created: \d{4}-/m);
    assert.match(listed.stdout, /^ {4}networks: 127\.0\.0\.0\/8$/m);
    assert.match(listed.stdout, /^ {4}May send as: orders@shop\.test$/m);
    assert.match(listed.stdout, /^ {4}Limits: the user's messages\/hour, 500 messages\/day, the user's recipients\/message$/m);
    assert.equal(listed.stdout.includes(password), false, 'never shown again');
    assert.equal(listed.stdout.includes(password.replace(/-/g, '')), false);
  }

  const flag = await hikyaku(['user', 'flag', 'owner@shop.test', '--app-password', 'wordpress-shop', '--reason', 'spam burst']);
  assert.equal(flag.code, 0, flag.stderr);
  assert.match((await hikyaku(['user', 'show', 'owner@shop.test'])).stdout, /^ {4}Flagged: yes, since \d{4}-.* — spam burst$/m);
  assert.match((await hikyaku(['user', 'show', 'owner@shop.test', '--lang', 'ja'])).stdout, /^ {4}停止フラグ: あり/m);
  const unflag = await hikyaku(['user', 'unflag', 'owner@shop.test', '--app-password', 'wordpress-shop']);
  assert.equal(unflag.code, 0, unflag.stderr);
  assert.match((await hikyaku(['user', 'show', 'owner@shop.test'])).stdout, /^ {4}Flagged: no$/m);
  assert.equal((await hikyaku(['user', 'unflag', 'owner@shop.test', '--app-password', 'nothing'])).code, 1);

  const revoke = await hikyaku(['user', 'app-password', 'revoke', 'owner@shop.test', 'wordpress-shop']);
  assert.equal(revoke.code, 0, revoke.stderr);
  assert.equal((await hikyaku(['user', 'app-password', 'revoke', 'owner@shop.test', 'phone'])).code, 0);
  assert.equal(await canLogIn('owner@shop.test', phone), false, 'revoked at once');
  assert.match((await hikyaku(['user', 'app-password', 'list', 'owner@shop.test'])).stdout, /No app passwords for owner@shop\.test/);
  const again = await hikyaku(['user', 'app-password', 'revoke', 'owner@shop.test', 'wordpress-shop', '--lang', 'ja']);
  assert.equal(again.code, 1);
  assert.match(again.stdout, /アプリパスワード wordpress-shop はありません/);
});
