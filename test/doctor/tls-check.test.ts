// The certificate check against real PEM files in a temporary directory.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeTestCertificate } from '../helpers/certs.js';
import { checkTls, selfSignedCertificatePath } from '../../src/doctor/tls-check.js';
import type { CheckStatus, Finding } from '../../src/doctor/types.js';

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hikyaku-doctor-tls-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const statusOf = (findings: Finding[], id: string): CheckStatus | undefined => findings.find((f) => f.id === id)?.status;

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

test('no certificate configured and none generated yet: info with the certbot fix', () => {
  const findings = checkTls({ hostname: 'mail.example.com', certFile: undefined, keyFile: undefined, dataDir: path.join(dir, 'empty'), nowMs: Date.now() });
  assert.equal(statusOf(findings, 'tls.certificate'), 'info');
  assert.match(findings[0]?.fix?.record ?? '', /certbot certonly --standalone -d mail\.example\.com/);
});

test('the generated self-signed certificate: names ok, self-signed warning', async () => {
  const cert = await makeTestCertificate(['mail.example.com']);
  const dataDir = path.join(dir, 'data');
  mkdirSync(path.dirname(selfSignedCertificatePath(dataDir)), { recursive: true });
  writeFileSync(selfSignedCertificatePath(dataDir), cert.cert);
  const findings = checkTls({ hostname: 'mail.example.com', certFile: undefined, keyFile: undefined, dataDir, nowMs: Date.now() });
  assert.equal(statusOf(findings, 'tls.hostname'), 'ok');
  assert.equal(statusOf(findings, 'tls.expiry'), 'ok');
  assert.equal(statusOf(findings, 'tls.self-signed'), 'warning');
});

test('a certificate for another name: error listing its names', async () => {
  const cert = await makeTestCertificate(['www.example.com']);
  const findings = checkTls({ hostname: 'mail.example.com', certFile: write('other.pem', cert.cert), keyFile: undefined, dataDir: dir, nowMs: Date.now() });
  const f = findings.find((x) => x.id === 'tls.hostname');
  assert.equal(f?.status, 'error');
  assert.match(f?.explanation.en ?? '', /www\.example\.com/);
});

test('expiry: warning under 14 days, error once expired', async () => {
  const soon = await makeTestCertificate(['mail.example.com'], { days: 5 });
  const file = write('soon.pem', soon.cert);
  assert.equal(statusOf(checkTls({ hostname: 'mail.example.com', certFile: file, keyFile: undefined, dataDir: dir, nowMs: Date.now() }), 'tls.expiry'), 'warning');
  const expired = await makeTestCertificate(['mail.example.com'], { days: -1 });
  const expiredFile = write('expired.pem', expired.cert);
  assert.equal(statusOf(checkTls({ hostname: 'mail.example.com', certFile: expiredFile, keyFile: undefined, dataDir: dir, nowMs: Date.now() }), 'tls.expiry'), 'error');
});

test('a key that does not belong to the certificate: error; the right key: no finding', async () => {
  const cert = await makeTestCertificate(['mail.example.com']);
  const certFile = write('pair.pem', cert.cert);
  const rightKey = write('right.key', cert.key);
  const wrongKey = write('wrong.key', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const input = { hostname: 'mail.example.com', certFile, dataDir: dir, nowMs: Date.now() };
  assert.equal(statusOf(checkTls({ ...input, keyFile: rightKey }), 'tls.key'), undefined);
  assert.equal(statusOf(checkTls({ ...input, keyFile: wrongKey }), 'tls.key'), 'error');
});

test('an unreadable or non-PEM file: error', () => {
  const missing = checkTls({ hostname: 'mail.example.com', certFile: path.join(dir, 'nope.pem'), keyFile: undefined, dataDir: dir, nowMs: Date.now() });
  assert.equal(statusOf(missing, 'tls.certificate'), 'error');
  const garbage = checkTls({ hostname: 'mail.example.com', certFile: write('garbage.pem', 'hello'), keyFile: undefined, dataDir: dir, nowMs: Date.now() });
  assert.equal(statusOf(garbage, 'tls.certificate'), 'error');
});

test('a certificate expiring in 10 days: a warning in both languages, naming the date and the certbot check', async () => {
  const soon = await makeTestCertificate(['mail.example.com'], { days: 10 });
  const findings = checkTls({ hostname: 'mail.example.com', certFile: write('ten-days.pem', soon.cert), keyFile: undefined, dataDir: dir, nowMs: Date.now() });
  const f = findings.find((x) => x.id === 'tls.expiry');
  assert.equal(f?.status, 'warning');
  // Ten days from when it was made, a moment ago: 9 whole days left.
  assert.match(f?.explanation.en ?? '', /in 9 days/);
  assert.match(f?.explanation.ja ?? '', /残り 9 日/);
  assert.match(f?.fix?.en ?? '', /certbot renew --dry-run/);
  assert.match(f?.fix?.ja ?? '', /systemctl reload hikyaku/);
});
