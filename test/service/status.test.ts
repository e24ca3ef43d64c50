// `hikyaku status` against a real server process: the report over the
// control socket (mode 0600), and the exit status a monitoring system reads:
// 0 healthy, 1 warning (a queue message older than status.queueAgeWarning),
// 2 critical (an expired certificate), 3 not running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { makeTestCertificate } from '../helpers/certs.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { runCli, spawnHikyaku, tempDir, writeConfigFile, type ChildServer, type Raw } from '../helpers/hikyaku.js';

interface StatusJson {
  running: boolean;
  startedAtMs: number;
  listeners: { kind: string; host: string; port: number }[];
  queue: { messages: number; oldestCreatedAtMs: number | null };
  deliveries: { delivered: number; deferred: number; bounced: number };
  failingDestinations: { domain: string; failures: number; lastReply?: string }[];
  certificate: { notAfterMs: number; generated: boolean } | null;
  doctor: { checkedAtMs: number; errors: number; warnings: number } | null;
  lastErrors: { atMs: number; msg: string }[];
  errorsSinceStart: number;
  attention: { level: string; exitCode: number; reasons: { id: string; en: string; ja: string }[] };
}

function baseConfig(dir: string, dns: TestDnsServer, over: Raw): Raw {
  return {
    hostname: 'mail.hikyaku.test',
    dataDir: join(dir, 'data'),
    listeners: {
      submission: { enabled: false },
      submissions: { enabled: false },
      relay: { enabled: true, host: '127.0.0.1', port: 0, trustedNetworks: ['127.0.0.1/32'], maySendAs: ['*'] },
      http: { enabled: false },
    },
    delivery: { resolvers: [dns.address], dnsTimeout: '1s', connectTimeout: '2s' },
    queue: { retry: { initialDelay: '1h' }, pollInterval: '100ms' },
    doctor: { interval: 'off', blocklists: [] },
    log: { level: 'info' },
    ...over,
  };
}

async function send(port: number, to: string): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  await transport.sendMail({ from: 'web@shop.test', to, subject: 'status test', text: 'hello' });
  transport.close();
}

async function status(configFile: string, ...extra: string[]): Promise<{ code: number | null; json: StatusJson; stdout: string; stderr: string }> {
  const r = await runCli(['status', '--json', '--config', configFile, ...extra]);
  return { code: r.code, json: JSON.parse(r.stdout) as StatusJson, stdout: r.stdout, stderr: r.stderr };
}

async function stop(server: ChildServer): Promise<void> {
  server.process.kill('SIGTERM');
  assert.equal((await server.exited).code, 0);
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('status: a healthy server answers 0 with its listeners, queue and deliveries; stopped, status answers 3', async (t) => {
  const dir = tempDir('hikyaku-status-');
  const dns = await startDnsServer({});
  const sink = await startSmtpSink({ tls: false });
  t.after(async () => {
    await sink.close();
    await dns.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const configFile = writeConfigFile(dir, baseConfig(dir, dns, { delivery: { resolvers: [dns.address], smarthost: { host: sink.host, port: sink.port, tls: 'none' } } }));
  const server = await spawnHikyaku(['--config', configFile]);
  try {
    const relay = server.ports['relay'] as number;
    await send(relay, 'rcpt@dest.test');
    await sink.waitForMessages(1);
    await until('the delivery in the history', async () => (await status(configFile)).json.deliveries.delivered === 1);

    const socket = statSync(join(dir, 'data', 'control.sock'));
    assert.ok(socket.isSocket());
    assert.equal(socket.mode & 0o777, 0o600, 'the control socket is the owner\'s only');

    const s = await status(configFile);
    assert.equal(s.code, 0, s.stdout);
    assert.equal(s.json.running, true);
    assert.equal(s.json.attention.level, 'ok');
    assert.deepEqual(s.json.attention.reasons, []);
    assert.deepEqual(s.json.listeners, [{ kind: 'relay', host: '127.0.0.1', port: relay }]);
    assert.deepEqual(s.json.queue, { messages: 0, oldestCreatedAtMs: null });
    assert.deepEqual(s.json.deliveries, { ...s.json.deliveries, delivered: 1, deferred: 0, bounced: 0 });
    assert.ok(s.json.startedAtMs <= Date.now());
    assert.equal(s.json.certificate?.generated, true);
    assert.equal(s.json.doctor, null, 'doctor.interval: off');
    assert.deepEqual(s.json.lastErrors, []);
    assert.equal(s.json.errorsSinceStart, 0);

    const en = await runCli(['status', '--config', configFile, '--lang', 'en']);
    assert.equal(en.code, 0);
    assert.match(en.stdout, /up since:/);
    assert.match(en.stdout, /relay 127\.0\.0\.1:\d+/);
    assert.match(en.stdout, /delivered 1, deferred 0, bounced 0/);
    assert.match(en.stdout, /OK: nothing needs attention/);
    const ja = await runCli(['status', '--config', configFile, '--lang', 'ja']);
    assert.equal(ja.code, 0);
    assert.match(ja.stdout, /正常: 対応が必要なことはありません/);
  } finally {
    await stop(server);
  }
  assert.equal(existsSync(join(dir, 'data', 'control.sock')), false, 'the socket is removed at stop');
  const down = await runCli(['status', '--config', configFile, '--lang', 'en']);
  assert.equal(down.code, 3);
  assert.match(down.stderr, /Hikyaku is not running with the data directory .*data .*systemctl start hikyaku/);
  const downJson = await status(configFile);
  assert.equal(downJson.code, 3);
  assert.equal(downJson.json.running, false);
  // A configuration it cannot read: "unknown" too, with the problem named.
  writeFileSync(join(dir, 'broken.yaml'), 'listeners: [oops\n');
  const broken = await runCli(['status', '--config', join(dir, 'broken.yaml')]);
  assert.equal(broken.code, 3);
  assert.match(broken.stderr, /the configuration has problems/);
});

test('status: a message queued longer than status.queueAgeWarning is a warning (1); the failing destination is named', async (t) => {
  const dir = tempDir('hikyaku-status-');
  const dns = await startDnsServer({});
  // Refuses every message for a while: the message stays queued (deferred).
  const sink = await startSmtpSink({ tls: false, onRcptTo: () => ({ code: 451, message: '4.3.0 try again later' }) });
  t.after(async () => {
    await sink.close();
    await dns.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const configFile = writeConfigFile(
    dir,
    baseConfig(dir, dns, { delivery: { resolvers: [dns.address], smarthost: { host: sink.host, port: sink.port, tls: 'none' } }, status: { queueAgeWarning: '1s', queueAgeCritical: '1h' } }),
  );
  const server = await spawnHikyaku(['--config', configFile]);
  try {
    await send(server.ports['relay'] as number, 'stuck@dest.test');
    let s = await status(configFile);
    await until('the message to be older than 1 s and its failure recorded', async () => {
      s = await status(configFile);
      return s.code === 1 && s.json.deliveries.deferred === 1;
    });
    assert.equal(s.json.attention.level, 'warning');
    assert.deepEqual(s.json.attention.reasons.map((r) => r.id), ['queue.old']);
    assert.equal(s.json.queue.messages, 1);
    assert.ok(s.json.queue.oldestCreatedAtMs !== null && Date.now() - s.json.queue.oldestCreatedAtMs > 1000);
    assert.equal(s.json.failingDestinations[0]?.domain, 'dest.test');
    assert.match(s.json.failingDestinations[0]?.lastReply ?? '', /451 4\.3\.0 try again later/);
    const ja = await runCli(['status', '--config', configFile, '--lang', 'ja']);
    assert.equal(ja.code, 1);
    assert.match(ja.stdout, /警告: 対応が必要です:\n {2}- キューで最も古いメールは/);
  } finally {
    await stop(server);
  }
});

test('status: an expired certificate is critical (2); the periodic doctor\'s last result is reported', async (t) => {
  const dir = tempDir('hikyaku-status-');
  const dns = await startDnsServer({});
  t.after(async () => {
    await dns.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const expired = await makeTestCertificate(['mail.hikyaku.test'], { days: -2 });
  const certFile = join(dir, 'fullchain.pem');
  const keyFile = join(dir, 'privkey.pem');
  writeFileSync(certFile, expired.cert);
  writeFileSync(keyFile, expired.key);
  const configFile = writeConfigFile(dir, baseConfig(dir, dns, { tls: { certFile, keyFile }, doctor: { interval: '1s', blocklists: [] } }));
  const server = await spawnHikyaku(['--config', configFile]);
  try {
    await until('the doctor\'s first run', () => existsSync(join(dir, 'data', 'doctor-last.json')));
    const s = await status(configFile);
    assert.equal(s.code, 2, s.stdout);
    assert.equal(s.json.attention.level, 'critical');
    assert.equal(s.json.attention.reasons[0]?.id, 'certificate.expired');
    assert.ok(s.json.certificate !== null && s.json.certificate.notAfterMs < Date.now() && !s.json.certificate.generated);
    assert.ok(s.json.doctor !== null && s.json.doctor.checkedAtMs <= Date.now());
    // The doctor's errors (this test DNS has no PTR for us) are attention too.
    assert.equal(s.json.attention.reasons.some((r) => r.id === 'doctor.errors'), s.json.doctor.errors > 0);
    // The error the certificate loader logged at start is among the last errors.
    assert.ok(s.json.lastErrors.some((e) => /the certificate has EXPIRED/.test(e.msg)), JSON.stringify(s.json.lastErrors));
    assert.ok(s.json.attention.reasons.some((r) => r.id === 'log.errors'));
    const en = await runCli(['status', '--config', configFile, '--lang', 'en']);
    assert.equal(en.code, 2);
    assert.match(en.stdout, /CRITICAL: needs attention now:\n {2}- the TLS certificate expired on/);
    assert.match(en.stdout, /doctor: {5}\d{4}-\d\d-\d\dT[\d:]+Z: \d+ error\(s\)/);
  } finally {
    await stop(server);
  }
});
