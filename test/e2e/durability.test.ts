// The real `hikyaku start` process: kill -9 right after 250 loses nothing and
// delivers exactly once after a restart; SIGTERM stops cleanly; a certificate
// replaced on disk is served on the next connection; bind errors are explained.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { createServer } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { startDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { SmtpDialog } from '../helpers/smtp-dialog.js';
import { spawnHikyaku, tempDir, testRawConfig, writeConfigFile } from '../helpers/hikyaku.js';
import { makeTestCertificate } from '../helpers/certs.js';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function sendOne(port: number, subject: string): Promise<string> {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
  await d.read();
  await d.command('EHLO app.test');
  await d.command('MAIL FROM:<app@origin.test>');
  await d.command('RCPT TO:<user@dest.test>');
  await d.command('DATA');
  const reply = await d.command(`Subject: ${subject}\r\n\r\n${subject}\r\n.`);
  assert.equal(reply.code, 250, reply.text);
  d.write('QUIT\r\n');
  void d.close();
  return /queued as (\S+)/.exec(reply.text)?.[1] ?? '';
}

test('kill -9 right after 250: after a restart the message is delivered exactly once', async () => {
  // The MX refuses at first, so the message is certainly still queued when the process dies.
  let accepting = false;
  const mx = await startSmtpSink({ host: '127.0.0.12', onRcptTo: () => (accepting ? undefined : { code: 451, message: '4.3.0 not yet' }) });
  cleanups.push(() => mx.close());
  const dns = await startDnsServer({ 'dest.test': { MX: [{ preference: 10, exchange: 'mx.dest.test' }] }, 'mx.dest.test': { A: ['127.0.0.12'] } });
  cleanups.push(() => dns.close());
  const dir = tempDir();
  const raw = testRawConfig({ dns: dns.address, mxPort: mx.port }, join(dir, 'data'), {
    listeners: { submission: { enabled: false }, submissions: { enabled: false } },
    queue: { retry: { initialDelay: '500ms', maxDelay: '500ms' } },
  });
  const configFile = writeConfigFile(dir, raw);
  const first = await spawnHikyaku(['--config', configFile]);
  const id = await sendOne(first.ports['relay'] as number, 'survives kill -9');
  first.process.kill('SIGKILL');
  await first.exited;

  accepting = true;
  const second = await spawnHikyaku(['--config', configFile]);
  cleanups.push(async () => {
    second.process.kill('SIGTERM');
    await second.exited;
  });
  const [m] = await mx.waitForMessages(1, 15_000);
  assert.match(m!.raw.toString(), /Subject: survives kill -9/);
  assert.ok(m!.raw.toString().includes(id), 'the same queued message (its id is in the Received header)');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(mx.messages.length, 1, 'delivered exactly once');
});

test('SIGTERM: the process stops cleanly with exit code 0 and keeps queued mail', async () => {
  const dns = await startDnsServer({});
  cleanups.push(() => dns.close());
  const dir = tempDir();
  const configFile = writeConfigFile(dir, testRawConfig({ dns: dns.address, mxPort: 9 }, join(dir, 'data')));
  const child = await spawnHikyaku(['--config', configFile], { expectListeners: 3 });
  const idle = await SmtpDialog.open({ host: '127.0.0.1', port: child.ports['submission'] as number });
  await idle.read();
  child.process.kill('SIGTERM');
  const bye = await idle.read();
  assert.equal(bye.code, 421);
  assert.equal(bye.enhanced, '4.3.2');
  const exit = await child.exited;
  assert.equal(exit.code, 0, child.stderr());
  await idle.close();
});

test('a certificate file replaced on disk is served on the next connection, without a restart', async () => {
  const dns = await startDnsServer({});
  cleanups.push(() => dns.close());
  const dir = tempDir();
  const first = await makeTestCertificate(['first.hikyaku.test']);
  const second = await makeTestCertificate(['second.hikyaku.test']);
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  writeFileSync(certFile, first.cert);
  writeFileSync(keyFile, first.key);
  const configFile = writeConfigFile(
    dir,
    testRawConfig({ dns: dns.address, mxPort: 9 }, join(dir, 'data'), {
      tls: { certFile, keyFile },
      listeners: { submission: { enabled: false }, relay: { enabled: false } },
    }),
  );
  const child = await spawnHikyaku(['--config', configFile]);
  cleanups.push(async () => {
    child.process.kill('SIGTERM');
    await child.exited;
  });
  const port = child.ports['submissions'] as number;
  const peerSubject = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        const raw = s.getPeerX509Certificate();
        s.destroy();
        resolve(raw ? new X509Certificate(raw.raw).subjectAltName ?? '' : '');
      });
      s.once('error', reject);
    });
  assert.match(await peerSubject(), /first\.hikyaku\.test/);
  // As certbot does: write new files beside, then rename over the old ones.
  writeFileSync(keyFile + '.new', second.key);
  writeFileSync(certFile + '.new', second.cert);
  renameSync(keyFile + '.new', keyFile);
  renameSync(certFile + '.new', certFile);
  let served = '';
  for (let i = 0; i < 50 && !/second/.test(served); i++) {
    await new Promise((r) => setTimeout(r, 200));
    served = await peerSubject();
  }
  assert.match(served, /second\.hikyaku\.test/);
});

test('a port already in use is explained: what is wrong and how to fix it', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
  const taken = (blocker.address() as { port: number }).port;
  const dns = await startDnsServer({});
  cleanups.push(() => dns.close());
  const dir = tempDir();
  const configFile = writeConfigFile(
    dir,
    testRawConfig({ dns: dns.address, mxPort: 9 }, join(dir, 'data'), { listeners: { submission: { port: taken } } }),
  );
  await assert.rejects(spawnHikyaku(['--config', configFile]), (err: Error) => {
    assert.match(err.message, /already in use/);
    assert.match(err.message, /listeners\.submission\.port/);
    return true;
  });
});
