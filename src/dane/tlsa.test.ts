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

test('DANE-TA(2): the chain must be signed up to the matched anchor; an anchor merely sent beside another leaf does not count', async () => {
  const { generate } = await import('selfsigned');
  const { generateKeyPair } = await import('node:crypto');
  const { promisify } = await import('node:util');
  const pair = () => promisify(generateKeyPair)('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const [caKeys, leafKeys] = await Promise.all([pair(), pair()]);
  const ca = await generate([{ name: 'commonName', value: 'Test TA' }], {
    keyType: 'rsa',
    keyPair: caKeys,
    algorithm: 'sha256',
    extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, critical: true }],
  });
  const issued = await generate([{ name: 'commonName', value: 'mx.tlsa.test' }], {
    keyType: 'rsa',
    keyPair: leafKeys,
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'mx.tlsa.test' }] }],
  });
  const caCert = new X509Certificate(ca.cert);
  const ta: Tlsa = { usage: 2, selector: 0, matchingType: 1, data: sha('sha256', caCert.raw) };
  const chainPeer = (leafPem: string): PeerCertificate => {
    const anchor = { raw: caCert.raw } as PeerCertificate & { issuerCertificate?: PeerCertificate };
    const leaf = new X509Certificate(leafPem);
    return { raw: leaf.raw, subject: { CN: 'mx.tlsa.test' }, subjectaltname: 'DNS:mx.tlsa.test', issuerCertificate: anchor } as unknown as PeerCertificate;
  };
  assert.equal(tlsaMismatch([ta], chainPeer(issued.cert), 'mx.tlsa.test'), undefined, 'a leaf the anchor signed, for the MX name');
  assert.notEqual(tlsaMismatch([ta], chainPeer(issued.cert), 'other.tlsa.test'), undefined, 'the name must be the MX host');
  // A certificate for the MX name the anchor never signed, sent with the (public) anchor certificate.
  const forged = (await makeTestCertificate(['mx.tlsa.test'])).cert;
  assert.match(tlsaMismatch([ta], chainPeer(forged), 'mx.tlsa.test') ?? '', /matches none/);
});
