// `hikyaku admin …` as a user runs it: the real CLI in a child process,
// against a data directory; the result is read back from console.db.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openAdminDatabase } from '../../src/admins/admin-database.js';
import { verifyPassword } from '../../src/users/password.js';
import { runCli, tempDir, writeConfigFile, type CliRun } from '../helpers/hikyaku.js';
import { totpCode } from './totp-code.js';
import { totpStep } from '../../src/admins/totp.js';

const dir = tempDir();
const dataDir = join(dir, 'data');
const configFile = writeConfigFile(dir, { hostname: 'mail.hikyaku.test', dataDir });
after(() => rmSync(dir, { recursive: true, force: true }));

const admin = (args: string[], input = '', lang: 'en' | 'ja' = 'en'): Promise<CliRun> => runCli(['admin', ...args, '--config', configFile, '--lang', lang], input);

function stored<T>(read: (db: ReturnType<typeof openAdminDatabase>) => T): T {
  const db = openAdminDatabase(dataDir);
  try {
    return read(db);
  } finally {
    db.close();
  }
}

test('admin add stores a scrypt hash of the password read from stdin; list shows the admin', async () => {
  const added = await admin(['add', 'director', '--password-stdin'], 'correct horse battery\n');
  assert.equal(added.code, 0, added.stdout + added.stderr);
  assert.match(added.stdout, /Added admin director/);
  const hash = stored((db) => db.admins.get('director')?.passwordHash);
  assert.match(hash ?? '', /^\$scrypt\$/);
  assert.equal(await verifyPassword('correct horse battery', hash as string), true);
  const list = await admin(['list']);
  assert.match(list.stdout, /^director\toff\t\d{4}-\d\d-\d\d \d\d:\d\d$/m);
  const again = await admin(['add', 'director', '--password-stdin'], 'another password\n');
  assert.equal(again.code, 1);
  assert.match(again.stdout, /already exists.*hikyaku admin passwd director/);
});

test('bad names and short passwords are refused with what to do, in Japanese too', async () => {
  const badName = await admin(['add', 'no spaces', '--password-stdin'], 'long enough pw\n');
  assert.equal(badName.code, 1);
  assert.match(badName.stdout, /invalid admin name/);
  const short = await admin(['add', 'shorty', '--password-stdin'], 'short\n', 'ja');
  assert.equal(short.code, 2);
  assert.match(short.stdout, /パスワードが短すぎます。8 文字以上/);
  assert.equal(stored((db) => db.admins.get('shorty')), undefined);
  const usage = await admin(['frobnicate'], '', 'ja');
  assert.equal(usage.code, 2);
  assert.match(usage.stdout, /使い方: hikyaku admin add 名前/);
});

test('admin totp on prints the secret once with an otpauth URI; a code computed from it is accepted', async () => {
  const on = await admin(['totp', 'director', 'on']);
  assert.equal(on.code, 0, on.stdout);
  const secret = /secret: ([A-Z2-7]+)/.exec(on.stdout)?.[1];
  assert.ok(secret, on.stdout);
  const uri = /URI: +(\S+)/.exec(on.stdout)?.[1] ?? '';
  const parsed = new URL(uri);
  assert.equal(parsed.protocol, 'otpauth:');
  assert.equal(parsed.host, 'totp');
  assert.equal(parsed.searchParams.get('secret'), secret);
  assert.equal(parsed.searchParams.get('issuer'), 'Hikyaku');
  assert.equal(stored((db) => db.admins.get('director')?.totpSecret), secret);
  assert.notEqual(totpStep('director', secret, totpCode(secret)), undefined);
  assert.match((await admin(['list'])).stdout, /^director\ton\t/m);
  const off = await admin(['totp', 'director', 'off']);
  assert.match(off.stdout, /Two-factor login is off/);
  assert.equal(stored((db) => db.admins.get('director')?.totpSecret), undefined);
});

test('admin passwd changes the password and ends the sessions; admin remove deletes the admin', async () => {
  stored((db) => db.sessions.create('director'));
  const passwd = await admin(['passwd', 'director', '--password-stdin'], 'a new long password\n');
  assert.equal(passwd.code, 0, passwd.stdout);
  assert.equal(await verifyPassword('a new long password', stored((db) => db.admins.get('director')?.passwordHash) as string), true);
  assert.equal(stored((db) => db.sessions.count('director')), 0);
  const missing = await admin(['passwd', 'nobody', '--password-stdin'], 'whatever password\n');
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, /no admin named "nobody".*hikyaku admin list/);
  const removed = await admin(['remove', 'director']);
  assert.equal(removed.code, 0);
  assert.match((await admin(['list'])).stdout, /There are no admins yet/);
});
