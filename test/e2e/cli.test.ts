// The `hikyaku` command as a user runs it, against a running server that
// shares its data directory: users and queue changes take effect without a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { runCli, type CliRun, startHikyaku, tempDir, testRawConfig, writeConfigFile, type TestServer } from '../helpers/hikyaku.js';
import { canLogIn as canLogInAt } from '../helpers/can-log-in.js';

let dns: TestDnsServer;
let mx: SmtpSink;
let server: TestServer;
let configFile: string;
let refuse = true;

before(async () => {
  mx = await startSmtpSink({ host: '127.0.0.2', onRcptTo: () => (refuse ? { code: 450, message: '4.2.1 try later' } : undefined) });
  dns = await startDnsServer({ 'dest.test': { MX: [{ preference: 10, exchange: 'mx.dest.test' }] }, 'mx.dest.test': { A: ['127.0.0.2'] } });
  const dir = tempDir();
  const env = { dns: dns.address, mxPort: mx.port };
  // Retries an hour apart: only `queue retry` brings a deferred message back quickly.
  const over = { queue: { retry: { initialDelay: '1h', maxDelay: '1h' } } };
  configFile = writeConfigFile(dir, testRawConfig(env, join(dir, 'data'), over));
  server = await startHikyaku(env, over, { dataDir: join(dir, 'data') });
});

after(async () => {
  await server?.stop();
  await mx?.close();
  await dns?.close();
});

const hikyaku = (args: string[], input?: string): Promise<CliRun> => runCli(args, input);

const canLogIn = (user: string, pass: string): Promise<boolean> => canLogInAt(server.ports.submission, user, pass);

test('user add / passwd / remove from the CLI take effect on the running server at once', async () => {
  const add = await hikyaku(['user', 'add', 'staff@shop.test', '--password-stdin', '--config', configFile], 'first-password\n');
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /User added: staff@shop\.test/);
  assert.equal(await canLogIn('staff@shop.test', 'first-password'), true);
  assert.equal(await canLogIn('staff', 'first-password'), true, 'local part alone');

  const passwd = await hikyaku(['user', 'passwd', 'staff@shop.test', '--password-stdin', '--config', configFile], 'second-password\n');
  assert.equal(passwd.code, 0, passwd.stderr);
  assert.equal(await canLogIn('staff@shop.test', 'first-password'), false);
  assert.equal(await canLogIn('staff@shop.test', 'second-password'), true);

  const list = await hikyaku(['user', 'list', '--config', configFile]);
  assert.match(list.stdout, /^staff@shop\.test\t/m);

  const remove = await hikyaku(['user', 'remove', 'staff@shop.test', '--config', configFile]);
  assert.equal(remove.code, 0);
  assert.equal(await canLogIn('staff@shop.test', 'second-password'), false);

  const weak = await hikyaku(['user', 'add', 'x@shop.test', '--password-stdin', '--config', configFile], 'short\n');
  assert.notEqual(weak.code, 0);
  assert.match(weak.stderr, /password/i);
  const ja = await hikyaku(['user', 'remove', 'nobody@shop.test', '--lang', 'ja', '--config', configFile]);
  assert.equal(ja.code, 1);
  assert.match(ja.stdout, /ユーザーが見つかりません/);
});

test('queue list / hold / release / retry / delete while the server runs', async () => {
  await server.addUser('queue@shop.test', 'queue-password');
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.ports.submission, requireTLS: true, auth: { user: 'queue@shop.test', pass: 'queue-password' }, tls: { rejectUnauthorized: false } });
  const info = await transport.sendMail({ from: 'queue@shop.test', to: ['held@dest.test'], subject: 'queue test', text: 'hello' });
  transport.close();
  const id = /queued as (\S+)/.exec(info.response)?.[1] ?? '';
  await server.waitForLog((r) => r['event'] === 'delivery' && r['queueId'] === id && r['status'] === 'deferred');

  const list = await hikyaku(['queue', 'list', '--config', configFile]);
  assert.equal(list.code, 0, list.stderr);
  const line = list.stdout.split('\n').find((l) => l.startsWith(id));
  assert.ok(line, list.stdout);
  assert.match(line, /queue@shop\.test\theld@dest\.test\t\d+\t/);
  assert.match(line, /450 4\.2\.1 try later/);

  assert.equal((await hikyaku(['queue', 'hold', id, '--config', configFile])).code, 0);
  refuse = false;
  const retry = await hikyaku(['queue', 'retry', id, '--config', configFile]);
  assert.equal(retry.code, 0, retry.stdout);
  const attemptsBefore = server.logs.filter((r) => r['queueId'] === id && r['event'] === 'delivery').length;
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(server.logs.filter((r) => r['queueId'] === id && r['event'] === 'delivery').length, attemptsBefore, 'no attempt while held, even when due');
  const json = JSON.parse((await hikyaku(['queue', 'list', '--json', '--config', configFile])).stdout) as { id: string; held: boolean }[];
  assert.equal(json.find((m) => m.id === id)?.held, true);

  const show = await hikyaku(['queue', 'show', id, '--config', configFile]);
  assert.match(show.stdout, /Subject: queue test/);

  assert.equal((await hikyaku(['queue', 'release', id, '--config', configFile])).code, 0);
  await mx.waitForMessages(1);
  await server.waitForLog((r) => r['event'] === 'delivery' && r['queueId'] === id && r['status'] === 'sent');
  const missing = await hikyaku(['queue', 'delete', id, '--config', configFile]);
  assert.equal(missing.code, 1, 'a delivered message is no longer in the queue');
  assert.match(missing.stdout, /No message/);
});

test('check-config prints every problem with its key and what is allowed; init writes a valid file', async () => {
  const dir = tempDir();
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'listeners:\n  submission:\n    port: 99999\ndelivery:\n  tls: maybe\n  conectTimeout: 5s\n');
  const result = await hikyaku(['check-config', '--config', bad]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /listeners\.submission\.port: .*99999/);
  assert.match(result.stderr, /delivery\.tls: "maybe" is not allowed \(allowed: none, opportunistic, required\)/);
  assert.match(result.stderr, /conectTimeout.*connectTimeout/);

  const written = join(dir, 'hikyaku.yaml');
  const init = await hikyaku(['init', written]);
  assert.equal(init.code, 0, init.stderr);
  const check = await hikyaku(['check-config', '--config', written]);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /valid/);
});
