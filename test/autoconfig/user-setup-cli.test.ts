// `hikyaku user setup ADDRESS`, the real command: the settings to type into a
// mail client or WordPress, in Japanese and English, from the configured
// listeners (only the enabled ones); an unknown user is a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli, tempDir, writeConfigFile } from '../helpers/hikyaku.js';
import { UserStore } from '../../src/users/user-store.js';

async function setup(listeners: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<{ config: string }> {
  const dir = tempDir('hikyaku-user-setup-');
  const dataDir = join(dir, 'data');
  const users = UserStore.open(dataDir);
  try {
    await users.add('web@shop.test', 'a long enough password 1');
  } finally {
    users.close();
  }
  return { config: writeConfigFile(dir, { hostname: 'mail.shop.test', dataDir, listeners, ...extra }) };
}

test('both submission ports: server, 465 SSL/TLS and 587 STARTTLS, authentication, username and password, in both languages', async () => {
  const { config } = await setup({ submission: { port: 587 }, submissions: { port: 465 } });
  const run = await runCli(['user', 'setup', 'web@shop.test', '--config', config]);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const lines = run.stdout.split('\n');
  const row = (label: RegExp): string => {
    const found = lines.find((l) => label.test(l));
    assert.ok(found, `no line for ${label} in:\n${run.stdout}`);
    return found;
  };
  assert.match(row(/送信 \(SMTP\) サーバー \/ Outgoing \(SMTP\) server/), /mail\.shop\.test$/);
  assert.match(row(/ポートと暗号化 \/ Port and encryption/), /465、SSL\/TLS \(接続直後から暗号化\) \/ 465 with SSL\/TLS/);
  assert.match(row(/または \/ or/), /587、STARTTLS \/ 587 with STARTTLS$/);
  assert.match(row(/認証 \(SMTP 認証\) \/ Authentication/), /オン \(必須\).* \/ on \(required\)/);
  assert.match(row(/ユーザー名 \/ Username/), /web@shop\.test$/);
  assert.match(row(/パスワード \/ Password/), /アプリパスワード \/ the user's password or an app password$/);
  assert.ok(lines.some((l) => /WP Mail SMTP/.test(l) && /SSL \+ 465 \/ TLS \+ 587/.test(l)), run.stdout);
  assert.ok(lines.some((l) => /受信 \(IMAP\/POP\) サーバー/.test(l)), 'says the incoming server is not Hikyaku');
});

test('only the enabled port is offered, the configured incoming server is named, and the output is the same whatever --lang', async () => {
  const { config } = await setup({ submission: { port: 2587 }, submissions: { enabled: false } }, { autoconfig: { smtpHost: 'smtp.shop.test', imapHost: 'imap.shop.test', imapPort: 143 } });
  const en = await runCli(['user', 'setup', 'web@shop.test', '--config', config, '--lang', 'en']);
  const ja = await runCli(['user', 'setup', 'web@shop.test', '--config', config, '--lang', 'ja']);
  assert.equal(en.code, 0, en.stderr);
  assert.equal(en.stdout, ja.stdout);
  assert.match(en.stdout, /smtp\.shop\.test/);
  assert.match(en.stdout, /2587 with STARTTLS/);
  assert.doesNotMatch(en.stdout, /SSL\/TLS \(/);
  assert.match(en.stdout, /受信 \(IMAP\) サーバー \/ Incoming \(IMAP\) server\s+imap\.shop\.test、143、STARTTLS \/ imap\.shop\.test, 143 with STARTTLS/);
});

test('an unknown user: exit 1 and how to list the users', async () => {
  const { config } = await setup({});
  const run = await runCli(['user', 'setup', 'nobody@shop.test', '--config', config]);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /No such user: nobody@shop\.test \(see: hikyaku user list\)/);
});
