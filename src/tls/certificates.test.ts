import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { generate } from 'selfsigned';
import { CertificateError, openCertificates, type TlsMaterial } from './certificates.js';

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** A real pino logger whose lines the test can read and wait for. */
function captureLogger(): {
  logger: Logger;
  lines: LogLine[];
  /** The first line from index `from` on that matches. */
  waitFor: (match: (line: LogLine) => boolean, from?: number) => Promise<LogLine>;
} {
  const lines: LogLine[] = [];
  const waiters: Array<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const line = JSON.parse(text) as LogLine;
        lines.push(line);
        for (const w of waiters.filter((w) => w.match(line))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
      callback();
    },
  });
  const waitFor = (match: (line: LogLine) => boolean, from = 0): Promise<LogLine> => {
    const seen = lines.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => waiters.push({ match, resolve }));
  };
  return { logger: pino({ level: 'debug' }, stream), lines, waitFor };
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function makePair(hostname: string, notAfter?: Date): Promise<TlsMaterial> {
  const pems = await generate([{ name: 'commonName', value: hostname }], {
    keyType: 'rsa',
    algorithm: 'sha256',
    ...(notAfter ? { notBeforeDate: new Date(notAfter.getTime() - 86_400_000), notAfterDate: notAfter } : {}),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: hostname }] }],
  });
  return { key: `${pems.private}\n`, cert: `${pems.cert}\n` };
}

/** Replace `path` the way certbot and editors do: write a new file, rename it over the old one. */
function replaceByRename(path: string, content: string): void {
  writeFileSync(`${path}.new`, content);
  renameSync(`${path}.new`, path);
}

const TLS_DEFAULTS = { certFile: undefined, keyFile: undefined, minVersion: 'TLSv1.2' } as const;

let pairA: TlsMaterial;
let pairB: TlsMaterial;
before(async () => {
  [pairA, pairB] = await Promise.all([makePair('a.example.test'), makePair('b.example.test')]);
});

test('self-signed: generated on first start with a 0600 key, reused later, replaced when the hostname changes', async (t) => {
  const dataDir = tempDir(t);
  const { logger, lines } = captureLogger();

  const first = await openCertificates(TLS_DEFAULTS, { hostname: 'mail.example.test', dataDir, logger });
  t.after(() => first.close());
  assert.equal(first.generated, true);
  const keyPath = join(dataDir, 'tls', 'selfsigned.key');
  const certPath = join(dataDir, 'tls', 'selfsigned.crt');
  assert.equal(statSync(keyPath).mode & 0o777, 0o600);
  assert.equal(readFileSync(keyPath, 'utf8'), first.current().key);
  assert.equal(readFileSync(certPath, 'utf8'), first.current().cert);
  const cert = new X509Certificate(first.current().cert);
  assert.equal(cert.checkHost('mail.example.test'), 'mail.example.test');
  assert.ok(cert.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(first.current().key))));
  const validDays = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
  assert.ok(validDays > 360 && validDays < 367, `valid for ${validDays} days`);
  // ECDSA P-256 first, with an RSA 2048 certificate beside it for old clients.
  assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const fallback = first.current().fallback;
  assert.ok(fallback);
  const rsaCert = new X509Certificate(fallback.cert);
  assert.equal(rsaCert.publicKey.asymmetricKeyType, 'rsa');
  assert.equal(rsaCert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  assert.equal(rsaCert.checkHost('mail.example.test'), 'mail.example.test');
  assert.equal(readFileSync(join(dataDir, 'tls', 'selfsigned-rsa.crt'), 'utf8'), fallback.cert);
  assert.equal(statSync(join(dataDir, 'tls', 'selfsigned-rsa.key')).mode & 0o777, 0o600);
  const warning = lines.find((l) => l.level === 40 && /SELF-SIGNED/.test(l.msg));
  assert.ok(warning, 'a warning about the self-signed certificate');
  assert.match(warning.msg, /tls\.certFile and tls\.keyFile/);

  const again = await openCertificates(TLS_DEFAULTS, { hostname: 'mail.example.test', dataDir, logger });
  t.after(() => again.close());
  assert.deepEqual(again.current(), first.current());

  const renamed = await openCertificates(TLS_DEFAULTS, { hostname: 'smtp.example.test', dataDir, logger });
  t.after(() => renamed.close());
  assert.notDeepEqual(renamed.current(), first.current());
  assert.equal(new X509Certificate(renamed.current().cert).checkHost('smtp.example.test'), 'smtp.example.test');
  assert.equal(readFileSync(certPath, 'utf8'), renamed.current().cert);
});

test('self-signed: the RSA certificate of an earlier version becomes the RSA fallback, and an ECDSA one is made', async (t) => {
  const dataDir = tempDir(t);
  const legacy = await makePair('mail.example.test');
  mkdirSync(join(dataDir, 'tls'));
  writeFileSync(join(dataDir, 'tls', 'selfsigned.key'), legacy.key, { mode: 0o600 });
  writeFileSync(join(dataDir, 'tls', 'selfsigned.crt'), legacy.cert);
  const source = await openCertificates(TLS_DEFAULTS, { hostname: 'mail.example.test', dataDir, logger: captureLogger().logger });
  t.after(() => source.close());
  assert.equal(new X509Certificate(source.current().cert).publicKey.asymmetricKeyType, 'ec');
  assert.deepEqual(source.current().fallback, legacy);
  assert.equal(readFileSync(join(dataDir, 'tls', 'selfsigned-rsa.crt'), 'utf8'), legacy.cert);
  assert.equal(readFileSync(join(dataDir, 'tls', 'selfsigned.crt'), 'utf8'), source.current().cert);
});

test('self-signed: an expired certificate in the data directory is replaced', async (t) => {
  const dataDir = tempDir(t);
  const expired = await makePair('mail.example.test', new Date(Date.now() - 86_400_000));
  mkdirSync(join(dataDir, 'tls'));
  writeFileSync(join(dataDir, 'tls', 'selfsigned.key'), expired.key, { mode: 0o600 });
  writeFileSync(join(dataDir, 'tls', 'selfsigned.crt'), expired.cert);
  const source = await openCertificates(TLS_DEFAULTS, { hostname: 'mail.example.test', dataDir, logger: captureLogger().logger });
  t.after(() => source.close());
  assert.notEqual(source.current().cert, expired.cert);
  assert.ok(Date.parse(new X509Certificate(source.current().cert).validTo) > Date.now());
});

test('configured files: a certificate replaced on disk is reloaded; a broken one is refused and the old one kept', async (t) => {
  const dir = tempDir(t);
  const certFile = join(dir, 'fullchain.pem');
  const keyFile = join(dir, 'privkey.pem');
  writeFileSync(certFile, pairA.cert);
  writeFileSync(keyFile, pairA.key);
  const { logger, lines, waitFor } = captureLogger();
  // The watcher deliberately does not keep a process alive (a server's
  // listeners do that); this test has no listeners, so hold the loop open.
  const keepAlive = setInterval(() => undefined, 60_000);
  t.after(() => clearInterval(keepAlive));

  const source = await openCertificates(
    { certFile, keyFile, minVersion: 'TLSv1.2' },
    { hostname: 'a.example.test', dataDir: dir, logger, pollIntervalMs: 50 },
  );
  t.after(() => source.close());
  assert.equal(source.generated, false);
  assert.deepEqual(source.current(), pairA);

  const changed = new Promise<TlsMaterial>((resolve) => source.onChange(resolve));
  replaceByRename(keyFile, pairB.key);
  replaceByRename(certFile, pairB.cert);
  assert.deepEqual(await changed, pairB);
  assert.deepEqual(source.current(), pairB);

  // A broken file: logged, the previous certificate stays in use.
  const logged = lines.length;
  replaceByRename(certFile, 'not a certificate\n');
  const error = await waitFor((l) => l.level === 50 && /keeping the previous certificate/.test(l.msg), logged);
  assert.match(JSON.stringify(error), /tls\.certFile .*no PEM certificate found/);
  assert.deepEqual(source.current(), pairB);
});

test('configured files: a certificate for another name is used, with a warning', async (t) => {
  const dir = tempDir(t);
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  writeFileSync(certFile, pairA.cert);
  writeFileSync(keyFile, pairA.key);
  for (const hostname of ['mail.other.test', '192.0.2.25']) {
    const { logger, lines } = captureLogger();
    const source = await openCertificates({ certFile, keyFile, minVersion: 'TLSv1.2' }, { hostname, dataDir: dir, logger });
    source.close();
    assert.deepEqual(source.current(), pairA);
    assert.ok(lines.some((l) => l.level === 40 && /does not name this server's hostname/.test(l.msg)), hostname);
  }
});

test('configured files: a key that does not match, an unreadable file or a non-certificate is a clear error', async (t) => {
  const dir = tempDir(t);
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const garbage = join(dir, 'garbage.pem');
  writeFileSync(certFile, pairA.cert);
  writeFileSync(keyFile, pairB.key);
  writeFileSync(garbage, 'hello\n');
  const options = { hostname: 'a.example.test', dataDir: dir, logger: captureLogger().logger };

  await assert.rejects(openCertificates({ certFile, keyFile, minVersion: 'TLSv1.2' }, options), (err: unknown) => {
    assert.ok(err instanceof CertificateError);
    assert.match(err.message, new RegExp(`^tls\\.keyFile "${keyFile}": this private key does not belong to the certificate in tls\\.certFile "${certFile}"`));
    return true;
  });
  await assert.rejects(openCertificates({ certFile: join(dir, 'missing.pem'), keyFile, minVersion: 'TLSv1.2' }, options), {
    name: 'CertificateError',
    message: `tls.certFile "${join(dir, 'missing.pem')}": cannot read: no such file`,
  });
  await assert.rejects(openCertificates({ certFile: garbage, keyFile, minVersion: 'TLSv1.2' }, options), {
    message: `tls.certFile "${garbage}": no PEM certificate found (expected "-----BEGIN CERTIFICATE-----")`,
  });
  await assert.rejects(openCertificates({ certFile, keyFile: garbage, minVersion: 'TLSv1.2' }, options), (err: unknown) => {
    assert.match((err as Error).message, new RegExp(`^tls\\.keyFile "${garbage}": not an unencrypted PEM private key`));
    return true;
  });
});
