// `hikyaku backup` while a real server accepts mail, and `hikyaku restore` on
// "another machine" (another data directory and configuration file): every
// message accepted before the backup began is in the restored queue, and the
// restored server delivers each queued message exactly once, signed with the
// restored DKIM key, with the restored user able to log in. Encrypted
// backups: no key material in the clear, a wrong passphrase restores
// nothing, and a non-empty data directory is not overwritten without --force.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import nodemailer from 'nodemailer';
import { parse as parseYaml } from 'yaml';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { runCli, spawnHikyaku, tempDir, writeConfigFile, type ChildServer } from '../helpers/hikyaku.js';

/** Machine A: relays to a smarthost that is down, so that what it accepts stays queued. */
async function machineA(dir: string): Promise<{ configFile: string; server: ChildServer }> {
  const configFile = writeConfigFile(dir, {
    hostname: 'mail.shop.test',
    dataDir: join(dir, 'data'),
    listeners: {
      submission: { host: '127.0.0.1', port: 0 },
      submissions: { enabled: false },
      relay: { enabled: true, host: '127.0.0.1', port: 0, trustedNetworks: ['127.0.0.1/32'], maySendAs: ['*'] },
      http: { enabled: false },
    },
    delivery: { smarthost: { host: '127.0.0.1', port: 9, tls: 'none' }, connectTimeout: '1s' },
    queue: { retry: { initialDelay: '1h' }, pollInterval: '100ms' },
    doctor: { interval: 'off' },
  });
  for (const args of [['user', 'add', 'web@shop.test', '--password-stdin'], ['domain', 'add', 'shop.test']]) {
    const r = await runCli([...args, '--config', configFile], 'web-password-123\n');
    assert.equal(r.code, 0, r.stderr);
  }
  return { configFile, server: await spawnHikyaku(['--config', configFile], { expectListeners: 2 }) };
}

async function stop(server: ChildServer): Promise<void> {
  server.process.kill('SIGTERM');
  assert.equal((await server.exited).code, 0, server.stderr());
}

function subjectOf(raw: Buffer): string {
  return /^Subject: (.*)$/m.exec(raw.toString())?.[1] ?? '';
}

/** Machine B: restores FILE, starts on it with the sink as smarthost, delivers the queue; returns the ids that were restored. */
async function restoreAndDeliver(dir: string, file: string, sink: SmtpSink, extra: string[] = []): Promise<{ queued: string[]; configFile: string }> {
  const dataDir = join(dir, 'data');
  const configFile = join(dir, 'etc', 'hikyaku.yaml');
  const r = await runCli(['restore', file, '--data-dir', dataDir, '--config', configFile, '--lang', 'en', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Restored the backup of mail\\.shop\\.test .* into ${dataDir}`));
  assert.equal((parseYaml(readFileSync(configFile, 'utf8')) as { dataDir: string }).dataDir, dataDir, 'the restored configuration points at the new data directory');
  const list = await runCli(['queue', 'list', '--json', '--config', configFile]);
  const queued = (JSON.parse(list.stdout) as { id: string }[]).map((m) => m.id);
  const users = await runCli(['user', 'list', '--config', configFile]);
  assert.match(users.stdout, /web@shop\.test/);

  const server = await spawnHikyaku(['--config', configFile, '--relayhost', `${sink.host}:${sink.port}`], { expectListeners: 2 });
  try {
    // Not even --force restores over a data directory a running server uses.
    const busy = await runCli(['restore', file, '--data-dir', dataDir, '--config', join(dir, 'other.yaml'), '--force', '--lang', 'en', ...extra]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /a Hikyaku server is running on .*data: stop it first \(systemctl stop hikyaku\)/);
    const retry = await runCli(['queue', 'retry', '--all', '--config', configFile]);
    assert.equal(retry.code, 0, retry.stderr);
    await sink.waitForMessages(queued.length, 60_000);
    // The restored user logs in and the restored DKIM key signs new mail.
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.ports['submission'] as number, requireTLS: true, auth: { user: 'web@shop.test', pass: 'web-password-123' }, tls: { rejectUnauthorized: false } });
    await transport.sendMail({ from: 'web@shop.test', to: 'after@dest.test', subject: 'after restore', text: 'hello' });
    transport.close();
    const after = await sink.waitForMessage((m) => subjectOf(m.raw) === 'after restore');
    assert.match(after.raw.toString(), /^DKIM-Signature:[^]*d=shop\.test/m);
    // Everything handed over: the restored queue is empty.
    for (;;) {
      const left = await runCli(['queue', 'list', '--json', '--config', configFile]);
      if ((JSON.parse(left.stdout) as unknown[]).length === 0) break;
      await new Promise((ok) => setTimeout(ok, 100));
    }
  } finally {
    await stop(server);
  }
  return { queued, configFile };
}

test('backup while the server accepts mail; restored on another machine, each message accepted before the backup is delivered once', async (t) => {
  const dirA = tempDir('hikyaku-backup-a-');
  const dirB = tempDir('hikyaku-backup-b-');
  const sink = await startSmtpSink({ tls: false });
  t.after(async () => {
    await sink.close();
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  });
  const { configFile, server } = await machineA(dirA);
  const file = join(dirA, 'hikyaku.backup');
  const accepted: { subject: string; id: string }[] = [];
  let beforeBackup: string[] = [];
  try {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.ports['relay'] as number, secure: false, ignoreTLS: true, pool: true, maxConnections: 2, maxMessages: Infinity });
    let stopSending = false;
    const sender = async (lane: number): Promise<void> => {
      for (let i = 0; !stopSending; i++) {
        const subject = `m-${lane}-${i}`;
        const info = (await transport.sendMail({ from: 'web@shop.test', to: `rcpt${i}@dest.test`, subject, text: `message ${subject}` })) as { response: string };
        accepted.push({ subject, id: /queued as (\S+)/.exec(info.response)?.[1] ?? '' });
      }
    };
    const sending = Promise.all([sender(0), sender(1)]);
    // The figure: the backup is taken in the middle of 1,000 messages being submitted.
    while (accepted.length < 300) await new Promise((ok) => setTimeout(ok, 20));
    beforeBackup = accepted.map((a) => a.subject);
    const backup = await runCli(['backup', file, '--config', configFile, '--lang', 'en']);
    const sentDuringBackup = accepted.length - beforeBackup.length;
    while (accepted.length < 1000) await new Promise((ok) => setTimeout(ok, 20));
    stopSending = true;
    await sending;
    transport.close();
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /Backup written: .*hikyaku\.backup \(\d+ files, \d+ databases/);
    assert.match(backup.stdout, /Not encrypted: it holds the DKIM and TLS private keys in the clear/);
    assert.deepEqual(readdirSync(join(dirA, 'data')).filter((n) => n.startsWith('.backup-')), [], 'the staging copies are gone');
    t.diagnostic(`accepted before the backup: ${beforeBackup.length}, during it: ${sentDuringBackup}, in all: ${accepted.length}`);
  } finally {
    await stop(server);
  }

  const { queued } = await restoreAndDeliver(dirB, file, sink);
  const bySubject = new Map(accepted.map((a) => [a.subject, a.id]));
  const queuedSet = new Set(queued);
  for (const subject of beforeBackup) assert.ok(queuedSet.has(bySubject.get(subject) ?? ''), `${subject}, accepted before the backup, is in the restored queue`);
  assert.ok(queued.length < accepted.length, 'mail accepted after the backup is not in it');
  const delivered = sink.messages.map((m) => subjectOf(m.raw)).filter((s) => s.startsWith('m-'));
  assert.equal(delivered.length, queued.length, 'each restored message delivered once');
  assert.equal(new Set(delivered).size, delivered.length, 'no message delivered twice');
  for (const m of sink.messages) assert.match(m.raw.toString(), /^DKIM-Signature:[^]*d=shop\.test/m);
});

test('an encrypted backup: no key in the clear; a wrong passphrase restores nothing; --force moves a non-empty data directory aside', async (t) => {
  const dirA = tempDir('hikyaku-backup-a-');
  const dirB = tempDir('hikyaku-backup-b-');
  const sink = await startSmtpSink({ tls: false });
  t.after(async () => {
    await sink.close();
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  });
  const { configFile, server } = await machineA(dirA);
  const passFile = join(dirA, 'passphrase');
  writeFileSync(passFile, 'correct horse battery staple\n');
  const file = join(dirA, 'hikyaku.backup');
  try {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.ports['relay'] as number, secure: false, ignoreTLS: true });
    for (let i = 0; i < 5; i++) await transport.sendMail({ from: 'web@shop.test', to: `rcpt${i}@dest.test`, subject: `e-${i}`, text: 'hello' });
    transport.close();
    const backup = await runCli(['backup', file, '--config', configFile, '--passphrase-file', passFile, '--lang', 'ja']);
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /暗号化しました \(AES-256-GCM/);
  } finally {
    await stop(server);
  }
  const bytes = readFileSync(file);
  assert.match(bytes.toString('latin1', 0, 60), /^HIKYAKU-BACKUP 1 aes-256-gcm scrypt /);
  const body = bytes.subarray(bytes.indexOf(0x0a) + 1);
  assert.throws(() => gunzipSync(body), 'the body is not a readable gzip stream');
  assert.equal(bytes.includes('PRIVATE KEY'), false);
  const dkimKey = (JSON.parse(readFileSync(join(dirA, 'data', 'domains', 'shop.test.json'), 'utf8')) as { keys: { privateKeyPem: string }[] }).keys[0]?.privateKeyPem ?? '';
  assert.ok(dkimKey.length > 100);
  assert.equal(bytes.includes(dkimKey.split('\n')[1] ?? 'x'), false, 'no line of the DKIM private key in the file');

  const wrong = join(dirB, 'wrong');
  writeFileSync(wrong, 'not the passphrase\n');
  const bad = await runCli(['restore', file, '--data-dir', join(dirB, 'data'), '--config', join(dirB, 'etc', 'hikyaku.yaml'), '--passphrase-file', wrong, '--lang', 'en']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /cannot decrypt .*hikyaku\.backup: the passphrase is wrong, or the file is damaged \(nothing was restored\)/);
  assert.equal(existsSync(join(dirB, 'data')), false);
  assert.equal(existsSync(join(dirB, 'etc')), false);
  const none = await runCli(['restore', file, '--data-dir', join(dirB, 'data'), '--lang', 'en']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /is encrypted: give its passphrase with --passphrase-file FILE/);

  const { queued } = await restoreAndDeliver(dirB, file, sink, ['--passphrase-file', passFile]);
  assert.equal(queued.length, 5);
  assert.deepEqual(sink.messages.map((m) => subjectOf(m.raw)).filter((s) => s.startsWith('e-')).sort(), ['e-0', 'e-1', 'e-2', 'e-3', 'e-4']);

  // Again into the now non-empty directory: refused, then moved aside with --force.
  const again = ['restore', file, '--data-dir', join(dirB, 'data'), '--config', join(dirB, 'etc', 'hikyaku.yaml'), '--passphrase-file', passFile];
  const refused = await runCli([...again, '--lang', 'ja']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /データディレクトリ .*data は空ではありません。.*--force で今のものを別名に退避してください/);
  const forced = await runCli([...again, '--force', '--lang', 'en']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /Moved aside \(--force\): .*data\.before-restore-/);
  assert.equal(readdirSync(dirB).filter((n) => n.startsWith('data.before-restore-')).length, 1);
});
