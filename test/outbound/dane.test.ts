// DANE (RFC 7672) over real sockets: a zone signed by ldns-signzone, served
// by the test DNS server, validated by a local Unbound (the AD bit); the MX
// sinks show certificates that match their TLSA record or not. A match
// delivers (the certificate is no CA's), a mismatch defers, a TLSA record
// whose signature fails to validate (bogus) defers, an unsigned domain goes
// on with opportunistic TLS.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Answer } from 'dns-packet';
import type { DeliveryRequest } from '../../src/outbound/deliverer.js';
import { makeTestCertificate } from '../helpers/certs.js';
import { signZone } from '../helpers/signed-zone.js';
import { startUnbound } from '../helpers/unbound.js';
import { createDeliverer } from '../../src/outbound/deliverer.js';
import type { TlsSessionResult } from '../../src/tlsrpt/session-result.js';
import { deliveryConfig, dnsServer, HOSTNAME, request, silentLogger, sinks } from './fixtures.js';

/** TLSA 3 0 1: SHA-256 of the whole certificate (the test certificates share one key, so not of the key). */
function tlsaFor(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

async function setUp(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-dane-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const mxCert = await makeTestCertificate(['mx.dane.test']);
  const otherCert = await makeTestCertificate(['other.dane.test']);
  const hash = tlsaFor(mxCert.cert);
  const signed = await signZone(dir, 'dane.test', [
    'dane.test. 3600 IN MX 10 mx.dane.test.',
    'mx.dane.test. 3600 IN A 127.0.0.2',
    `_25._tcp.mx.dane.test. 3600 IN TLSA 3 0 1 ${hash}`,
    'bad.dane.test. 3600 IN MX 10 mxbad.dane.test.',
    'mxbad.dane.test. 3600 IN A 127.0.0.3',
    `_25._tcp.mxbad.dane.test. 3600 IN TLSA 3 0 1 ${hash}`,
    'bogus.dane.test. 3600 IN MX 10 mxbogus.dane.test.',
    'mxbogus.dane.test. 3600 IN A 127.0.0.4',
    `_25._tcp.mxbogus.dane.test. 3600 IN TLSA 3 0 1 ${hash}`,
    'notls.dane.test. 3600 IN MX 10 mxnotls.dane.test.',
    'mxnotls.dane.test. 3600 IN A 127.0.0.6',
    `_25._tcp.mxnotls.dane.test. 3600 IN TLSA 3 0 1 ${hash}`,
  ]);
  // After signing, the bogus host's TLSA record is changed: its RRSIG no longer validates.
  const bogus = signed.zone['_25._tcp.mxbogus.dane.test']!;
  bogus.DNSSEC = bogus.DNSSEC!.map((r: Answer) =>
    r.type === 'TLSA' ? ({ ...r, data: { ...(r as unknown as { data: object }).data, certificate: Buffer.alloc(32, 7) } } as unknown as Answer) : r,
  );
  const dns = await dnsServer(t, {
    ...signed.zone,
    'plain.test': { MX: [{ preference: 10, exchange: 'mx.plain.test' }] },
    'mx.plain.test': { A: ['127.0.0.5'] },
  });
  const unbound = await startUnbound({ dir, zone: 'dane.test', trustAnchor: signed.trustAnchor, authority: dns.address, unsignedZones: ['plain.test'] });
  t.after(() => unbound.close());
  const [good, bad, bogusMx, plain, noTls] = await sinks(t, [
    { host: '127.0.0.2', name: 'mx.dane.test', tls: mxCert, offerRequireTls: true },
    { host: '127.0.0.3', name: 'mxbad.dane.test', tls: otherCert },
    { host: '127.0.0.4', name: 'mxbogus.dane.test', tls: mxCert },
    { host: '127.0.0.5', tls: false },
    { host: '127.0.0.6', tls: false },
  ]);
  const config = deliveryConfig(dns, good!.port, { dane: { enabled: true, resolver: unbound.address, timeoutMs: 3000 } });
  const recorded: TlsSessionResult[] = [];
  const d = createDeliverer(config, { hostname: HOSTNAME, logger: silentLogger, tlsReport: { record: (r) => void recorded.push(r) } });
  t.after(() => d.close());
  return { d, recorded, hash, good: good!, bad: bad!, bogusMx: bogusMx!, plain: plain!, noTls: noTls! };
}

test('DANE: a TLSA match delivers; a mismatch, or a bogus TLSA record, defers; an unsigned domain is not affected', async (t) => {
  const { d, recorded, hash, good, bad, bogusMx, plain, noTls } = await setUp(t);

  const [match] = await d.deliver(request(['u@dane.test']));
  assert.ok(match?.kind === 'delivered', JSON.stringify(match));
  assert.equal(good.messages[0]?.secure, true);

  const [mismatch] = await d.deliver(request(['u@bad.dane.test']));
  assert.ok(mismatch?.kind === 'deferred', JSON.stringify(mismatch));
  assert.equal(mismatch.failure.status, '4.7.5');
  assert.match(mismatch.failure.detail, /^DANE: the certificate of mxbad\.dane\.test matches none of its 1 TLSA record\(s\)/);
  assert.equal(bad.messages.length, 0);

  const [bogus] = await d.deliver(request(['u@bogus.dane.test']));
  assert.ok(bogus?.kind === 'deferred', JSON.stringify(bogus));
  assert.match(bogus.failure.detail, /TLSA lookup of _25\._tcp\.mxbogus\.dane\.test: SERVFAIL/);
  assert.equal(bogusMx.connectionCount, 0);

  const [cleartext] = await d.deliver(request(['u@notls.dane.test']));
  assert.ok(cleartext?.kind === 'deferred', JSON.stringify(cleartext));
  assert.match(cleartext.failure.detail, /^DANE: the TLSA records of mxnotls\.dane\.test require TLS: .*STARTTLS/);
  assert.equal(noTls.messages.length, 0);

  const [unsigned] = await d.deliver(request(['u@plain.test']));
  assert.ok(unsigned?.kind === 'delivered', JSON.stringify(unsigned));
  assert.equal(plain.messages.length, 1);

  // TLS-RPT (RFC 8460): DANE hosts are reported under policy-type tlsa, with the TLSA record as policy-string.
  assert.deepEqual(
    recorded.map((r) => [r.policyDomain, r.policyType, r.receivingMxHostname, r.failure?.resultType]),
    [
      ['dane.test', 'tlsa', 'mx.dane.test', undefined],
      ['bad.dane.test', 'tlsa', 'mxbad.dane.test', 'tlsa-invalid'],
      ['bogus.dane.test', 'tlsa', 'mxbogus.dane.test', 'dnssec-invalid'],
      ['notls.dane.test', 'tlsa', 'mxnotls.dane.test', 'starttls-not-supported'],
      ['plain.test', 'no-policy-found', 'mx.plain.test', 'starttls-not-supported'],
    ],
  );
  assert.deepEqual(recorded[0]?.policyStrings, [`3 0 1 ${hash}`]);
});

test('DANE counts as verified TLS for REQUIRETLS: delivered with REQUIRETLS; a mismatch bounces 5.7.10', async (t) => {
  const { d, good, bad } = await setUp(t);
  const requireTls = (rcpts: string[]): DeliveryRequest => ({ ...request(rcpts), params: { requireTls: true } });
  const [ok] = await d.deliver(requireTls(['u@dane.test']));
  assert.ok(ok?.kind === 'delivered', JSON.stringify(ok));
  assert.equal(good.messages[0]?.mailParams.REQUIRETLS, true);
  const [refused] = await d.deliver(requireTls(['u@bad.dane.test']));
  assert.ok(refused?.kind === 'bounced', JSON.stringify(refused));
  assert.equal(refused.failure.status, '5.7.10');
  assert.equal(bad.messages.length, 0);
});
