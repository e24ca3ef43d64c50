// TLS policy towards MX hosts, and the smarthost (STARTTLS + AUTH, implicit
// TLS, certificate verification, chosen domains only), over real sockets.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SmarthostConfig } from '../../src/config/types.js';
import { makeTestCertificate } from '../helpers/certs.js';
import { deliverer, deliveryConfig, dnsServer, request, sinks, summary } from './fixtures.js';

const ZONE = {
  'tls.test': { MX: [{ preference: 10, exchange: 'mx.tls.test' }] },
  'mx.tls.test': { A: ['127.0.0.2'] },
  'relay.test': { A: ['127.0.0.5'] },
};

function caFile(t: TestContext, pem: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-outbound-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'ca.pem');
  writeFileSync(path, pem);
  return path;
}

function smarthost(port: number, over: Partial<SmarthostConfig> = {}): SmarthostConfig {
  return {
    host: 'relay.test',
    port,
    tls: 'starttls',
    username: undefined,
    password: undefined,
    domains: [],
    caFile: undefined,
    verifyCertificate: true,
    ...over,
  };
}

test('opportunistic: STARTTLS used when offered, certificate not checked; relay reports version and cipher', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]); // self-signed 'mx.test' certificate
  const d = deliverer(t, deliveryConfig(dns, sink!.port, { tls: 'opportunistic' }));
  const [o] = await d.deliver(request(['u@tls.test']));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.match(o.relay.tls?.version ?? '', /^TLSv1\.[23]$/);
  assert.ok((o.relay.tls?.cipher ?? '').length > 0);
  const [mail] = sink!.messages;
  assert.equal(mail?.secure, true);
  assert.equal(mail?.tlsVersion, o.relay.tls?.version);
});

test('opportunistic: plain text when STARTTLS is not offered', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const [sink] = await sinks(t, [{ host: '127.0.0.2', tls: false }]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port, { tls: 'opportunistic' }));
  const [o] = await d.deliver(request(['u@tls.test']));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.equal(o.relay.tls, undefined);
  assert.equal(sink!.messages[0]?.secure, false);
});

test("policy 'none': no STARTTLS even when offered", async (t) => {
  const dns = await dnsServer(t, ZONE);
  const [sink] = await sinks(t, [{ host: '127.0.0.2' }]);
  const d = deliverer(t, deliveryConfig(dns, sink!.port, { tls: 'none' }));
  const [o] = await d.deliver(request(['u@tls.test']));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.equal(sink!.messages[0]?.secure, false);
});

test("policy 'required': deferred 4.7.5 when STARTTLS is not offered; delivered (unverified) when it is", async (t) => {
  const dns = await dnsServer(t, {
    ...ZONE,
    'plain.test': { MX: [{ preference: 10, exchange: 'mx.plain.test' }] },
    'mx.plain.test': { A: ['127.0.0.3'] },
  });
  const [tlsSink, plainSink] = await sinks(t, [{ host: '127.0.0.2' }, { host: '127.0.0.3', tls: false }]);
  const d = deliverer(t, deliveryConfig(dns, tlsSink!.port, { tls: 'required' }));

  const [refused] = await d.deliver(request(['u@plain.test']));
  assert.ok(refused?.kind === 'deferred', JSON.stringify(refused));
  assert.equal(refused.failure.status, '4.7.5');
  assert.equal(refused.failure.stage, 'tls');
  assert.equal(plainSink!.connectionCount, 1);
  assert.equal(plainSink!.messages.length, 0);

  const [ok] = await d.deliver(request(['u@tls.test']));
  assert.ok(ok?.kind === 'delivered', JSON.stringify(ok));
  assert.equal(tlsSink!.messages[0]?.secure, true);
});

test('smarthost with STARTTLS + AUTH, certificate verified against caFile: all domains in one transaction', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const cert = await makeTestCertificate(['relay.test']);
  const [relay] = await sinks(t, [{ host: '127.0.0.5', name: 'relay.test', tls: cert, auth: { username: 'relayuser', password: 's3cret' } }]);
  const config = deliveryConfig(dns, 9, {
    smarthost: smarthost(relay!.port, { username: 'relayuser', password: 's3cret', caFile: caFile(t, cert.cert) }),
  });
  const d = deliverer(t, config);
  const outcomes = await d.deliver(request(['a@one.example', 'b@two.example']));
  assert.deepEqual(outcomes.map((o) => [o.kind, o.relay?.host, o.relay?.ip]), [
    ['delivered', 'relay.test', '127.0.0.5'],
    ['delivered', 'relay.test', '127.0.0.5'],
  ]);
  assert.equal(relay!.messages.length, 1);
  const [mail] = relay!.messages;
  assert.deepEqual(mail?.rcptTo, ['a@one.example', 'b@two.example']);
  assert.equal(mail?.authUser, 'relayuser');
  assert.equal(mail?.secure, true);
  // The recipient domains were never looked up: everything goes to the smarthost.
  assert.ok(!dns.queries.some((q) => q.name.endsWith('.example')));
});

test('smarthost certificate that does not verify → deferred 4.7.5, nothing sent', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const cert = await makeTestCertificate(['relay.test']);
  const [relay] = await sinks(t, [{ host: '127.0.0.5', name: 'relay.test', tls: cert }]);
  // No caFile: the self-signed certificate is not trusted.
  const d = deliverer(t, deliveryConfig(dns, 9, { smarthost: smarthost(relay!.port) }));
  const [o] = await d.deliver(request(['a@one.example']));
  assert.ok(o?.kind === 'deferred', JSON.stringify(o));
  assert.equal(o.failure.status, '4.7.5');
  assert.equal(o.failure.stage, 'tls');
  assert.equal(relay!.messages.length, 0);
});

test('smarthost refusing our credentials → deferred (never bounced) 4.7.8', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const [relay] = await sinks(t, [{ host: '127.0.0.5', name: 'relay.test', auth: { username: 'relayuser', password: 's3cret' } }]);
  const d = deliverer(
    t,
    deliveryConfig(dns, 9, { smarthost: smarthost(relay!.port, { username: 'relayuser', password: 'wrong', verifyCertificate: false }) }),
  );
  const outcomes = await d.deliver(request(['a@one.example']));
  assert.deepEqual(summary(outcomes), [['a@one.example', 'deferred', '4.7.8']]);
  assert.ok(outcomes[0]?.kind === 'deferred' && outcomes[0].failure.stage === 'auth');
  assert.equal(relay!.messages.length, 0);
});

test('smarthost with implicit TLS (port-465 style)', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const [relay] = await sinks(t, [{ host: '127.0.0.5', name: 'relay.test', implicitTls: true }]);
  const d = deliverer(t, deliveryConfig(dns, 9, { smarthost: smarthost(relay!.port, { tls: 'implicit', verifyCertificate: false }) }));
  const [o] = await d.deliver(request(['a@one.example']));
  assert.ok(o?.kind === 'delivered', JSON.stringify(o));
  assert.ok(o.relay.tls !== undefined);
  assert.equal(relay!.messages[0]?.secure, true);
});

test('smarthost for chosen domains only; other domains go to their MX', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const [mx, relay] = await sinks(t, [{ host: '127.0.0.2' }, { host: '127.0.0.5', name: 'relay.test' }]);
  const d = deliverer(
    t,
    deliveryConfig(dns, mx!.port, { smarthost: smarthost(relay!.port, { domains: ['relayed.example', '.sub.example'], verifyCertificate: false }) }),
  );
  const outcomes = await d.deliver(request(['r@relayed.example', 'direct@tls.test', 's@x.sub.example']));
  assert.deepEqual(outcomes.map((o) => [o.rcptTo, o.kind, o.relay?.ip]), [
    ['r@relayed.example', 'delivered', '127.0.0.5'],
    ['direct@tls.test', 'delivered', '127.0.0.2'],
    ['s@x.sub.example', 'delivered', '127.0.0.5'],
  ]);
  assert.deepEqual(relay!.messages.map((m) => m.rcptTo), [['r@relayed.example', 's@x.sub.example']]);
  assert.deepEqual(mx!.messages.map((m) => m.rcptTo), [['direct@tls.test']]);
});

test('smarthost name that does not resolve → deferred 4.4.3', async (t) => {
  const dns = await dnsServer(t, ZONE);
  const d = deliverer(t, deliveryConfig(dns, 9, { smarthost: smarthost(9, { host: 'missing-relay.test' }) }));
  const outcomes = await d.deliver(request(['a@one.example']));
  assert.deepEqual(summary(outcomes), [['a@one.example', 'deferred', '4.4.3']]);
});
