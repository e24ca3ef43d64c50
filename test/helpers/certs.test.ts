import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { makeTestCertificate } from './certs.js';

describe('makeTestCertificate', () => {
  it('names the hostnames and 127.0.0.1, and pairs the key with the certificate', async () => {
    const { key, cert } = await makeTestCertificate(['mx.test', 'mail.example.test', '127.0.0.5']);
    const x509 = new X509Certificate(cert);
    assert.equal(x509.subject, 'CN=mx.test');
    assert.equal(x509.subjectAltName, 'DNS:mx.test, DNS:mail.example.test, IP Address:127.0.0.5, IP Address:127.0.0.1');
    assert.equal(x509.checkHost('mail.example.test'), 'mail.example.test');
    assert.equal(x509.checkHost('other.test'), undefined);
    assert.equal(x509.checkIP('127.0.0.1'), '127.0.0.1');
    assert.ok(x509.checkPrivateKey(createPrivateKey(key)));
    assert.ok(x509.verify(x509.publicKey), 'self-signed');
    const now = Date.now();
    assert.ok(new Date(x509.validFrom).getTime() <= now && now < new Date(x509.validTo).getTime());
  });

  it('returns the cached certificate for the same hostnames', async () => {
    const a = await makeTestCertificate(['cache.test']);
    const b = await makeTestCertificate(['cache.test']);
    const c = await makeTestCertificate(['cache.test'], { days: 2 });
    assert.equal(a, b);
    assert.notEqual(a.cert, c.cert);
  });

  it('makes an expired certificate for a negative number of days', async () => {
    const { cert } = await makeTestCertificate(['expired.test'], { days: -1 });
    const x509 = new X509Certificate(cert);
    assert.ok(new Date(x509.validTo).getTime() < Date.now());
    assert.ok(new Date(x509.validFrom).getTime() < new Date(x509.validTo).getTime());
  });

  it('refuses an empty hostname list', () => {
    assert.throws(() => makeTestCertificate([]), /at least one hostname/);
  });
});
