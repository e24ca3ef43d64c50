// MTA-STS when sending (RFC 8461), over real sockets: the policy's TXT
// record and MX from the test DNS server, the policy file from a real HTTPS
// server with a test CA, receiving sinks with and without a certificate
// valid for the MX name.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeliveryConfig } from '../../src/config/types.js';
import { createDeliverer, type Deliverer } from '../../src/outbound/deliverer.js';
import type { TlsSessionRecorder, TlsSessionResult } from '../../src/tlsrpt/session-result.js';
import { makeTestCertificate } from '../helpers/certs.js';
import type { TestDnsServer } from '../helpers/dns-server.js';
import { startPolicyServer, type PolicyServer } from '../helpers/policy-server.js';
import { deliveryConfig, dnsServer, HOSTNAME, request, silentLogger, sinks } from './fixtures.js';

const ENFORCE = 'version: STSv1\r\nmode: enforce\r\nmx: mx.sts.test\r\nmax_age: 86400\r\n';
const TESTING = 'version: STSv1\r\nmode: testing\r\nmx: mx.sts.test\r\nmax_age: 86400\r\n';

function zone(): Parameters<typeof dnsServer>[1] {
  return {
    'sts.test': { MX: [{ preference: 10, exchange: 'mx.sts.test' }] },
    'mx.sts.test': { A: ['127.0.0.2'] },
    '_mta-sts.sts.test': { TXT: ['v=STSv1; id=20261204'] },
    'mta-sts.sts.test': { A: ['127.0.0.9'] },
  };
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-mtasts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Setup {
  dns: TestDnsServer;
  policy: PolicyServer;
  caFile: string;
  dataDir: string;
  mxCert: { key: string; cert: string };
  /** Trusted (in the CA file) but for another name. */
  wrongNameCert: { key: string; cert: string };
}

/** DNS, the policy server (certificate for mta-sts.sts.test) and a CA file trusting it and the good MX certificate. */
async function setup(t: TestContext, policyText: string): Promise<Setup> {
  const dns = await dnsServer(t, zone());
  const policyCert = await makeTestCertificate(['mta-sts.sts.test']);
  const mxCert = await makeTestCertificate(['mx.sts.test']);
  const wrongNameCert = await makeTestCertificate(['other.sts.test']);
  const policy = await startPolicyServer({ host: '127.0.0.9', key: policyCert.key, cert: policyCert.cert, policy: policyText });
  t.after(() => policy.close());
  const dataDir = tempDir(t);
  const caFile = join(dataDir, 'test-ca.pem');
  writeFileSync(caFile, policyCert.cert + mxCert.cert + wrongNameCert.cert);
  return { dns, policy, caFile, dataDir, mxCert, wrongNameCert };
}

function config(s: Setup, mxPort: number, over: Partial<DeliveryConfig> = {}): DeliveryConfig {
  return deliveryConfig(s.dns, mxPort, {
    mtaSts: { enabled: true, caFile: s.caFile, fetchTimeoutMs: 5_000, policyPort: s.policy.port, recheckIntervalMs: 60_000 },
    ...over,
  });
}

class Recorded implements TlsSessionRecorder {
  readonly results: TlsSessionResult[] = [];
  record(r: TlsSessionResult): void {
    this.results.push(r);
  }
}

function start(t: TestContext, c: DeliveryConfig, dataDir: string, recorder?: TlsSessionRecorder): Deliverer {
  const d = createDeliverer(c, { hostname: HOSTNAME, logger: silentLogger, dataDir, tlsReport: recorder });
  t.after(() => d.close());
  return d;
}

test('enforce: an MX whose certificate is valid for its name gets the message over verified TLS', async (t) => {
  const s = await setup(t, ENFORCE);
  const [sink] = await sinks(t, [{ host: '127.0.0.2', name: 'mx.sts.test', tls: s.mxCert }]);
  const recorder = new Recorded();
  const d = start(t, config(s, sink!.port), s.dataDir, recorder);
  const [o] = await d.deliver(request(['u@sts.test']));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.equal(sink!.messages[0]?.secure, true);
  assert.equal(s.policy.requests, 1);
  assert.deepEqual(recorder.results.map((r) => [r.policyDomain, r.policyType, r.failure]), [['sts.test', 'sts', undefined]]);
  assert.deepEqual(recorder.results[0]?.mxPatterns, ['mx.sts.test']);
  assert.ok(recorder.results[0]?.policyStrings.includes('mode: enforce'));
});

test('enforce: an MX without a certificate valid for its name is refused; deferred with the reason', async (t) => {
  const s = await setup(t, ENFORCE);
  // A trusted certificate, but for other.sts.test, not mx.sts.test.
  const [sink] = await sinks(t, [{ host: '127.0.0.2', tls: s.wrongNameCert }]);
  const recorder = new Recorded();
  const d = start(t, config(s, sink!.port), s.dataDir, recorder);
  const [o] = await d.deliver(request(['u@sts.test']));
  assert.ok(o?.kind === 'deferred', JSON.stringify(o));
  assert.equal(o.failure.status, '4.7.5');
  assert.equal(o.failure.stage, 'tls');
  assert.match(o.failure.detail, /MTA-STS policy of sts\.test \(enforce\) requires a valid certificate/);
  assert.match(o.failure.detail, /mx\.sts\.test/);
  assert.equal(sink!.messages.length, 0);
  assert.equal(recorder.results[0]?.failure?.resultType, 'certificate-host-mismatch');
});

test('enforce: an MX without STARTTLS is refused; deferred', async (t) => {
  const s = await setup(t, ENFORCE);
  const [sink] = await sinks(t, [{ host: '127.0.0.2', tls: false }]);
  const recorder = new Recorded();
  const d = start(t, config(s, sink!.port), s.dataDir, recorder);
  const [o] = await d.deliver(request(['u@sts.test']));
  assert.ok(o?.kind === 'deferred', JSON.stringify(o));
  assert.match(o.failure.detail, /MTA-STS policy of sts\.test \(enforce\).*STARTTLS/);
  assert.equal(sink!.messages.length, 0);
  assert.equal(recorder.results[0]?.failure?.resultType, 'starttls-not-supported');
});

test('enforce: MX hosts the policy does not list are not contacted', async (t) => {
  const s = await setup(t, 'version: STSv1\nmode: enforce\nmx: *.elsewhere.test\nmax_age: 86400\n');
  const [sink] = await sinks(t, [{ host: '127.0.0.2', name: 'mx.sts.test', tls: s.mxCert }]);
  const d = start(t, config(s, sink!.port), s.dataDir);
  const [o] = await d.deliver(request(['u@sts.test']));
  assert.ok(o?.kind === 'deferred', JSON.stringify(o));
  assert.match(o.failure.detail, /MTA-STS policy of sts\.test \(enforce\) allows none of its MX hosts: mx\.sts\.test/);
  assert.equal(sink!.connectionCount, 0);
});

test('enforce: an MX whose certificate no trusted CA signed is refused', async (t) => {
  const s = await setup(t, ENFORCE);
  // The sink's default certificate (mx.test) is in no CA file.
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]);
  const recorder = new Recorded();
  const d = start(t, config(s, sink!.port), s.dataDir, recorder);
  const [o] = await d.deliver(request(['u@sts.test']));
  assert.ok(o?.kind === 'deferred', JSON.stringify(o));
  assert.match(o.failure.detail, /\(enforce\) requires a valid certificate/);
  assert.equal(sink!.messages.length, 0);
  assert.equal(recorder.results[0]?.failure?.resultType, 'certificate-not-trusted');
});

test('testing: delivered despite a certificate for another name, and the failure is recorded for TLS-RPT', async (t) => {
  const s = await setup(t, TESTING);
  const [sink] = await sinks(t, [{ host: '127.0.0.2', tls: s.wrongNameCert }]);
  const recorder = new Recorded();
  const d = start(t, config(s, sink!.port), s.dataDir, recorder);
  const [o] = await d.deliver(request(['u@sts.test']));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.equal(sink!.messages.length, 1);
  assert.equal(recorder.results.length, 1);
  assert.equal(recorder.results[0]?.failure?.resultType, 'certificate-host-mismatch');
  assert.equal(recorder.results[0]?.receivingMxHostname, 'mx.sts.test');
});

test('the policy is cached in dataDir: after a restart, enforce holds while the policy host is down', async (t) => {
  const s = await setup(t, ENFORCE);
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]);
  const first = createDeliverer(config(s, sink!.port), { hostname: HOSTNAME, logger: silentLogger, dataDir: s.dataDir });
  const [o1] = await first.deliver(request(['u@sts.test']));
  await first.close();
  assert.equal(o1?.kind, 'deferred');
  assert.equal(s.policy.requests, 1);
  await s.policy.close();

  const second = start(t, config(s, sink!.port), s.dataDir);
  const [o2] = await second.deliver(request(['u@sts.test']));
  assert.ok(o2?.kind === 'deferred', JSON.stringify(o2));
  assert.match(o2.failure.detail, /\(enforce\)/);
  assert.equal(sink!.messages.length, 0);
});

test('without a cache, a policy host that cannot be reached means no policy (delivered) and sts-policy-fetch-error', async (t) => {
  const s = await setup(t, ENFORCE);
  s.policy.policy = undefined; // 404
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]);
  const recorder = new Recorded();
  const d = start(t, config(s, sink!.port), s.dataDir, recorder);
  const [o] = await d.deliver(request(['u@sts.test']));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.equal(recorder.results[0]?.failure?.resultType, 'sts-policy-fetch-error');
  assert.match(recorder.results[0]?.failure?.detail ?? '', /HTTP 404/);
});

test('a policy host whose certificate is not trusted: sts-webpki-invalid, no policy', async (t) => {
  const s = await setup(t, ENFORCE);
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]);
  const recorder = new Recorded();
  // No extra CA: the policy host's test certificate is not trusted.
  const d = start(t, config(s, sink!.port, { mtaSts: { enabled: true, caFile: undefined, fetchTimeoutMs: 5_000, policyPort: s.policy.port, recheckIntervalMs: 60_000 } }), s.dataDir, recorder);
  const [o] = await d.deliver(request(['u@sts.test']));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.equal(recorder.results[0]?.failure?.resultType, 'sts-webpki-invalid');
});

test('RFC 8689 §5: "TLS-Required: No" delivers despite an enforce policy the MX fails', async (t) => {
  const s = await setup(t, ENFORCE);
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]);
  const d = start(t, config(s, sink!.port), s.dataDir);
  const [o] = await d.deliver(request(['u@sts.test'], 'Subject: not secret\r\nTLS-Required: No\r\n\r\nHello\r\n'));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.equal(sink!.messages.length, 1);
  assert.equal(s.policy.requests, 0);
});

test('MTA-STS off (delivery.mtaSts.enabled false): no policy lookup at all', async (t) => {
  const s = await setup(t, ENFORCE);
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]);
  const d = start(t, config(s, sink!.port, { mtaSts: { enabled: false, caFile: undefined, fetchTimeoutMs: 5_000, policyPort: s.policy.port, recheckIntervalMs: 0 } }), s.dataDir);
  const [o] = await d.deliver(request(['u@sts.test']));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.ok(!s.dns.queries.some((q) => q.name === '_mta-sts.sts.test'));
});
