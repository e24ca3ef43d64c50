// Self-signed certificates for tests: the TLS of receiving test servers and
// of Hikyaku's own listeners. selfsigned v5 generates through WebCrypto and is
// therefore async. Certificates are cached per (hostnames, days) within the
// process so a test file that starts many servers pays for key generation once.
import { generateKeyPair } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import { generate } from 'selfsigned';

export interface TestCertificate {
  /** PEM private key (PKCS#8). */
  readonly key: string;
  /** PEM certificate, self-signed; usable directly as a `ca` to trust. */
  readonly cert: string;
}

const cache = new Map<string, Promise<TestCertificate>>();

// RSA key generation is the slow part (a prime search, 100-400 ms); signing is
// not. All test certificates of a process share one key pair: tests check
// names, trust and validity dates, never key separation.
let sharedKeyPair: Promise<{ publicKey: string; privateKey: string }> | undefined;
function keyPair(): Promise<{ publicKey: string; privateKey: string }> {
  sharedKeyPair ??= promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return sharedKeyPair;
}

const DAY_MS = 24 * 3600_000;

/**
 * A self-signed certificate whose subjectAltName lists `hostnames` (DNS names,
 * or IP addresses given as such) plus IP 127.0.0.1. The first hostname is the CN.
 *
 * `days` (default 30) is the validity from now. A negative value makes a
 * certificate that expired that many days ago (valid for the 30 days before),
 * for tests of certificate verification failures.
 */
export function makeTestCertificate(hostnames: readonly string[], opts?: { days?: number }): Promise<TestCertificate> {
  if (hostnames.length === 0) throw new Error('makeTestCertificate: at least one hostname is required');
  const days = opts?.days ?? 30;
  const cacheKey = `${hostnames.join(',')}|${days}`;
  let pending = cache.get(cacheKey);
  if (!pending) {
    pending = generateCertificate(hostnames, days);
    // A failed generation must not poison the cache for the next caller.
    pending.catch(() => cache.delete(cacheKey));
    cache.set(cacheKey, pending);
  }
  return pending;
}

async function generateCertificate(hostnames: readonly string[], days: number): Promise<TestCertificate> {
  const now = Date.now();
  // Backdate by a minute so a client whose clock is a little behind still accepts it.
  const notAfter = new Date(now + days * DAY_MS);
  const notBefore = days >= 0 ? new Date(now - 60_000) : new Date(notAfter.getTime() - 30 * DAY_MS);

  const altNames: { type: 2 | 7; value?: string; ip?: string }[] = [];
  const seenIps = new Set<string>();
  for (const name of hostnames) {
    if (isIP(name)) {
      if (!seenIps.has(name)) altNames.push({ type: 7, ip: name });
      seenIps.add(name);
    } else {
      altNames.push({ type: 2, value: name });
    }
  }
  if (!seenIps.has('127.0.0.1')) altNames.push({ type: 7, ip: '127.0.0.1' });

  const keys = await keyPair();
  const pems = await generate([{ name: 'commonName', value: hostnames[0] as string }], {
    // RSA rather than EC: with the @peculiar/asn1-* versions this tree resolves,
    // selfsigned's EC path fails ("Cannot get schema for 'AlgorithmIdentifier'").
    keyType: 'rsa',
    keyPair: keys,
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    extensions: [
      // cA: true lets a client pass this very certificate as its trust anchor (`ca`).
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return Object.freeze({ key: pems.private, cert: pems.cert });
}
