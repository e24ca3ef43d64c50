// SIGHUP (systemctl reload): a running server re-reads its certificate files
// at once — a new TLS connection gets the new certificate — applies
// log.level, and names the changed settings that need a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { makeTestCertificate } from '../helpers/certs.js';
import { spawnHikyaku, tempDir, writeConfigFile, type Raw } from '../helpers/hikyaku.js';

function presentedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'mail.hikyaku.test', rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.once('error', reject);
  });
}

/** Resolves with the first JSON log line on stdout that matches. */
async function logLine(stdout: () => string, match: (r: Record<string, unknown>) => boolean, exited: Promise<unknown>): Promise<Record<string, unknown>> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    for (const line of stdout().split('\n')) {
      if (!line.startsWith('{')) continue;
      const record = JSON.parse(line) as Record<string, unknown>;
      if (match(record)) return record;
    }
    if (gone) throw new Error(`hikyaku exited; stdout:\n${stdout()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('SIGHUP: the replaced certificate is served to the next connection; log.level applied; a port change needs a restart', async () => {
  const dir = tempDir('hikyaku-hup-');
  const first = await makeTestCertificate(['mail.hikyaku.test'], { days: 30 });
  const second = await makeTestCertificate(['mail.hikyaku.test'], { days: 60 });
  const certFile = join(dir, 'fullchain.pem');
  const keyFile = join(dir, 'privkey.pem');
  writeFileSync(certFile, first.cert);
  writeFileSync(keyFile, first.key);
  const raw: Raw = {
    hostname: 'mail.hikyaku.test',
    dataDir: join(dir, 'data'),
    listeners: { submission: { enabled: false }, submissions: { host: '127.0.0.1', port: 0 }, http: { enabled: false } },
    tls: { certFile, keyFile },
    log: { level: 'info' },
  };
  const configFile = writeConfigFile(dir, raw);
  const server = await spawnHikyaku(['--config', configFile]);
  try {
    const port = server.ports['submissions'] as number;
    assert.equal(await presentedFingerprint(port), new X509Certificate(first.cert).fingerprint256);

    // certbot's deploy hook: new files, then the signal.
    writeFileSync(keyFile, second.key);
    writeFileSync(certFile, second.cert);
    writeConfigFile(dir, { ...raw, listeners: { ...(raw['listeners'] as Raw), submissions: { host: '127.0.0.1', port: port + 1 } }, log: { level: 'debug' } });
    server.process.kill('SIGHUP');
    const reload = await logLine(server.stdout, (r) => r['event'] === 'reload', server.exited);
    assert.equal(reload['certificate'], 'reloaded');
    assert.deepEqual(reload['applied'], ['log.level']);
    assert.deepEqual(reload['needRestart'], ['listeners.submissions.port']);
    assert.match(String(reload['msg']), /only after a restart \(systemctl restart hikyaku\): listeners\.submissions\.port/);
    assert.equal(await presentedFingerprint(port), new X509Certificate(second.cert).fingerprint256, 'a new connection gets the new certificate');

    // A broken configuration: the signal is survived, the settings kept, the error said.
    writeFileSync(configFile, 'listeners: [oops\n');
    server.process.kill('SIGHUP');
    const broken = await logLine(server.stdout, (r) => typeof r['msg'] === 'string' && (r['msg'] as string).includes('the configuration cannot be read'), server.exited);
    assert.equal(broken['level'], 50);
    assert.equal(await presentedFingerprint(port), new X509Certificate(second.cert).fingerprint256, 'still serving after a bad reload');
  } finally {
    server.process.kill('SIGTERM');
    const { code } = await server.exited;
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, server.stderr());
  }
});
