// MTA-STS through the whole server: a receiving domain publishing an enforce
// policy (real DNS server, real HTTPS policy host with a test CA) whose MX
// shows a certificate for another name. The message waits in the queue; the
// delivery log line and `hikyaku queue show` say why; the session is counted
// for TLS-RPT in tlsrpt.db.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { TlsReportStore } from '../../src/tlsrpt/tlsrpt-store.js';
import { makeTestCertificate } from '../helpers/certs.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { runCli, startHikyaku, tempDir, testRawConfig, writeConfigFile } from '../helpers/hikyaku.js';
import { startPolicyServer } from '../helpers/policy-server.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

test('enforce: the message is deferred with the reason in the log and in queue show; TLS-RPT counts the failure', async (t) => {
  const dir = tempDir('hikyaku-mtasts-e2e-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const policyCert = await makeTestCertificate(['mta-sts.sts.test']);
  const otherCert = await makeTestCertificate(['other.sts.test']);
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, policyCert.cert + otherCert.cert);
  const policy = await startPolicyServer({ host: '127.0.0.9', ...policyCert, policy: 'version: STSv1\nmode: enforce\nmx: mx.sts.test\nmax_age: 86400\n' });
  t.after(() => policy.close());
  const mx = await startSmtpSink({ host: '127.0.0.2', tls: otherCert });
  t.after(() => mx.close());
  const dns = await startDnsServer({
    'sts.test': { MX: [{ preference: 10, exchange: 'mx.sts.test' }] },
    'mx.sts.test': { A: ['127.0.0.2'] },
    '_mta-sts.sts.test': { TXT: ['v=STSv1; id=7'] },
    'mta-sts.sts.test': { A: ['127.0.0.9'] },
  });
  t.after(() => dns.close());
  const env = { dns: dns.address, mxPort: mx.port };
  const over = { delivery: { mtaSts: { caFile, policyPort: policy.port } }, queue: { retry: { initialDelay: '1h', maxDelay: '1h' } } };
  const dataDir = join(dir, 'data');
  const configFile = writeConfigFile(dir, testRawConfig(env, dataDir, over));
  const server = await startHikyaku(env, over, { dataDir });
  let stopped = false;
  t.after(() => (stopped ? undefined : server.stop()));
  await server.addUser('app@shop.test', 'sts-password-1');

  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.ports.submission, requireTLS: true, auth: { user: 'app@shop.test', pass: 'sts-password-1' }, tls: { rejectUnauthorized: false } });
  const info = await transport.sendMail({ from: 'app@shop.test', to: 'user@sts.test', subject: 'policy test', text: 'hello' });
  transport.close();
  const id = /queued as (\S+)/.exec(info.response)?.[1] ?? '';
  const line = await server.waitForLog((r) => r['event'] === 'delivery' && r['queueId'] === id);
  assert.equal(line['status'], 'deferred');
  assert.match(String(line['reply']), /MTA-STS policy of sts\.test \(enforce\) requires a valid certificate: TLS failed: certificate not valid for mx\.sts\.test/);
  assert.equal(mx.messages.length, 0);

  const show = await runCli(['queue', 'show', id, '--config', configFile, '--lang', 'en']);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /user@sts\.test: mx\.sts\.test\[127\.0\.0\.2\]: MTA-STS policy of sts\.test \(enforce\) requires a valid certificate/);

  await server.stop();
  stopped = true;
  const store = TlsReportStore.open(dataDir);
  t.after(() => store.close());
  const [day] = store.day(new Date().toISOString().slice(0, 10));
  assert.equal(day?.policyDomain, 'sts.test');
  assert.equal(day?.failures, 1);
  assert.equal(day?.failureDetails[0]?.resultType, 'certificate-host-mismatch');
});
