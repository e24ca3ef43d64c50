// REQUIRETLS (RFC 8689 §4.2.1) when sending, over real sockets: only over
// TLS with a certificate valid for the MX name, only to a server offering
// REQUIRETLS (passed on in MAIL), else the next MX or a bounce (5.7.10 /
// 5.7.30).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeliveryConfig } from '../../src/config/types.js';
import type { DeliveryRequest } from '../../src/outbound/deliverer.js';
import { makeTestCertificate } from '../helpers/certs.js';
import type { TestDnsServer } from '../helpers/dns-server.js';
import { deliverer, deliveryConfig, dnsServer, request, sinks } from './fixtures.js';

const ZONE = {
  'rt.test': { MX: [{ preference: 10, exchange: 'mx.rt.test' }] },
  'mx.rt.test': { A: ['127.0.0.2'] },
  'two.test': {
    MX: [
      { preference: 10, exchange: 'plain.two.test' },
      { preference: 20, exchange: 'mx.rt.test' },
    ],
  },
  'plain.two.test': { A: ['127.0.0.3'] },
};

async function caFile(t: TestContext): Promise<{ path: string; mxCert: { key: string; cert: string } }> {
  const mxCert = await makeTestCertificate(['mx.rt.test']);
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-requiretls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'ca.pem');
  writeFileSync(path, mxCert.cert);
  return { path, mxCert };
}

function config(dns: TestDnsServer, port: number, ca: string): DeliveryConfig {
  // MTA-STS lookups off: this is about REQUIRETLS alone (PKIX of the MX name, with the extra CA).
  return deliveryConfig(dns, port, { mtaSts: { enabled: false, caFile: ca, fetchTimeoutMs: 1000, policyPort: 443, recheckIntervalMs: 0 } });
}

function requireTls(rcpts: string[]): DeliveryRequest {
  return { ...request(rcpts), params: { requireTls: true } };
}

test('verified TLS to a server offering REQUIRETLS: delivered, with REQUIRETLS on MAIL', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const ca = await caFile(t);
  const [sink] = await sinks(t, [{ host: '127.0.0.2', name: 'mx.rt.test', tls: ca.mxCert, offerRequireTls: true }]);
  const d = deliverer(t, config(dns, sink!.port, ca.path));
  const [o] = await d.deliver(requireTls(['u@rt.test']));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  const [mail] = sink!.messages;
  assert.equal(mail?.secure, true);
  assert.equal(mail?.mailParams.REQUIRETLS, true);
});

test('a next hop without TLS: bounced 5.7.10, nothing sent', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const ca = await caFile(t);
  const [sink] = await sinks(t, [{ host: '127.0.0.2', tls: false }]);
  const d = deliverer(t, config(dns, sink!.port, ca.path));
  const [o] = await d.deliver(requireTls(['u@rt.test']));
  assert.ok(o?.kind === 'bounced', JSON.stringify(o));
  assert.equal(o.failure.status, '5.7.10');
  assert.match(o.failure.detail, /^REQUIRETLS: no verified TLS with mx\.rt\.test\[127\.0\.0\.2\]/);
  assert.equal(sink!.messages.length, 0);
});

test('a certificate not valid for the MX name: bounced 5.7.10', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const ca = await caFile(t);
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]); // certificate for mx.test, from no trusted CA
  const d = deliverer(t, config(dns, sink!.port, ca.path));
  const [o] = await d.deliver(requireTls(['u@rt.test']));
  assert.ok(o?.kind === 'bounced', JSON.stringify(o));
  assert.equal(o.failure.status, '5.7.10');
  assert.equal(sink!.messages.length, 0);
});

test('verified TLS but no REQUIRETLS offered: bounced 5.7.30', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const ca = await caFile(t);
  const [sink] = await sinks(t, [{ host: '127.0.0.2', name: 'mx.rt.test', tls: ca.mxCert }]);
  const d = deliverer(t, config(dns, sink!.port, ca.path));
  const [o] = await d.deliver(requireTls(['u@rt.test']));
  assert.ok(o?.kind === 'bounced', JSON.stringify(o));
  assert.equal(o.failure.status, '5.7.30');
  assert.match(o.failure.detail, /does not offer REQUIRETLS/);
  assert.equal(sink!.messages.length, 0);
});

test('the first MX without TLS is passed over for the next one with verified TLS', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const ca = await caFile(t);
  const [good, plain] = await sinks(t, [
    { host: '127.0.0.2', name: 'mx.rt.test', tls: ca.mxCert, offerRequireTls: true },
    { host: '127.0.0.3', tls: false },
  ]);
  const d = deliverer(t, config(dns, good!.port, ca.path));
  const [o] = await d.deliver(requireTls(['u@two.test']));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.equal(o.relay.ip, '127.0.0.2');
  assert.equal(plain!.messages.length, 0);
  assert.equal(good!.messages[0]?.mailParams.REQUIRETLS, true);
});

test('without REQUIRETLS the same plain next hop gets the message (opportunistic TLS)', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const ca = await caFile(t);
  const [sink] = await sinks(t, [{ host: '127.0.0.2', tls: false }]);
  const d = deliverer(t, config(dns, sink!.port, ca.path));
  const [o] = await d.deliver(request(['u@rt.test']));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.equal(sink!.messages[0]?.mailParams.REQUIRETLS, undefined);
});
