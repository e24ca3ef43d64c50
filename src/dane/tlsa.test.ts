import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { makeTestCertificate } from '../../test/helpers/certs.js';
import { tlsaMismatch, usableTlsa, type Tlsa } from './tlsa.js';

const sha = (alg: 'sha256' | 'sha512', data: Buffer): Buffer => createHash(alg).update(data).digest();

test('RFC 7672 §3.1.3: only DANE-TA(2) and DANE-EE(3) are usable for SMTP', () => {
  const r = (usage: number, selector = 1, matchingType = 1): Tlsa => ({ usage, selector, matchingType, data: Buffer.alloc(32) });
  assert.deepEqual(usableTlsa([r(0), r(1), r(2), r(3), r(3, 2), r(3, 1, 3)]).map((x) => x.usage), [2, 3]);
});

test('DANE-EE(3): the whole certificate or its key, as is, SHA-256 or SHA-512; no name check', async () => {
  const pem = (await makeTestCertificate(['mx.tlsa.test'])).cert;
  const x = new X509Certificate(pem);
  const spki = x.publicKey.export({ type: 'spki', format: 'der' });
  // A peer as Node's getPeerCertificate(true) gives it: `raw` is the DER certificate.
  const peer = { raw: x.raw } as PeerCertificate;
  const ee = (selector: number, matchingType: number, data: Buffer): Tlsa => ({ usage: 3, selector, matchingType, data });
  for (const record of [ee(0, 0, x.raw), ee(0, 1, sha('sha256', x.raw)), ee(0, 2, sha('sha512', x.raw)), ee(1, 0, spki), ee(1, 1, sha('sha256', spki)), ee(1, 2, sha('sha512', spki))]) {
    assert.equal(tlsaMismatch([record], peer, 'another-name.test'), undefined, `selector ${record.selector}, matching ${record.matchingType}`);
  }
  assert.match(tlsaMismatch([ee(0, 1, Buffer.alloc(32))], peer, 'mx.tlsa.test') ?? '', /matches none of its 1 TLSA record/);
  // PKIX-EE(1) matching the certificate is not usable: still a mismatch.
  assert.notEqual(tlsaMismatch([{ usage: 1, selector: 0, matchingType: 1, data: sha('sha256', x.raw) }], peer, 'mx.tlsa.test'), undefined);
});
