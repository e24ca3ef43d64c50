// The server certificate for the listeners: the configured PEM files,
// reloaded when they change on disk (certbot renews by replacing them), or
// else a self-signed certificate generated once into the data directory.
//
// The generated certificate is ECDSA P-256 (smaller and faster handshakes
// than RSA, what current clients prefer), with a second, RSA 2048 one beside
// it for old clients that only verify RSA signatures (some printers, scanners
// and old phones): the listeners offer both and OpenSSL picks, per
// handshake, the one the client's signature algorithms allow.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { generate } from 'selfsigned';
import type { TlsConfig } from '../config/types.js';

export interface TlsMaterial {
  readonly key: string;
  readonly cert: string;
  /** A second pair of another key type (the generated RSA one), for clients that cannot use the first. */
  readonly fallback?: { readonly key: string; readonly cert: string };
}

export type GeneratedKeyType = 'ecdsa' | 'rsa';

export interface CertificateSource {
  current(): TlsMaterial;
  /** True when a self-signed certificate was generated (now or on an earlier start) and is in use. */
  readonly generated: boolean;
  onChange(listener: (material: TlsMaterial) => void): void;
  /** Re-read the files now (SIGHUP) instead of at the next poll; true when the certificate changed. */
  reload(): Promise<boolean>;
  close(): void;
}

export interface CertificateOptions {
  readonly hostname: string;
  readonly dataDir: string;
  readonly logger: Logger;
  /** How often the configured files are polled for changes (default 1 s). */
  readonly pollIntervalMs?: number;
}

/** A certificate or key that cannot be used; the message names the file. */
export class CertificateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CertificateError';
  }
}

const DAY_MS = 86_400_000;
/** Replace a generated certificate this long before it expires. */
const RENEW_BEFORE_MS = 30 * DAY_MS;
const SELF_SIGNED_VALIDITY_MS = 365 * DAY_MS;
/** How often a running server checks whether its generated certificate needs renewing. */
const RENEWAL_CHECK_MS = 12 * 3600_000;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * Check that `material` is a usable pair: the first certificate of the chain
 * (the leaf, RFC 8446 §4.4.2) parses, the key parses and belongs to it.
 * Returns the leaf certificate.
 */
export function checkMaterial(material: TlsMaterial, names: { readonly cert: string; readonly key: string }): X509Certificate {
  const leafPem = PEM_CERTIFICATE.exec(material.cert)?.[0];
  if (leafPem === undefined) throw new CertificateError(`${names.cert}: no PEM certificate found (expected "-----BEGIN CERTIFICATE-----")`);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafPem);
  } catch (err) {
    throw new CertificateError(`${names.cert}: the certificate cannot be parsed: ${(err as Error).message}`, { cause: err });
  }
  let key;
  try {
    key = createPrivateKey(material.key);
  } catch (err) {
    throw new CertificateError(`${names.key}: not an unencrypted PEM private key: ${(err as Error).message}`, { cause: err });
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new CertificateError(`${names.key}: this private key does not belong to the certificate in ${names.cert} (${leaf.subject.replace(/\n/g, ', ')})`);
  }
  return leaf;
}

/** True when the certificate is valid for `hostname` (a DNS name or an IP address). */
function namesHost(leaf: X509Certificate, hostname: string): boolean {
  return isIP(hostname) !== 0 ? leaf.checkIP(hostname) !== undefined : leaf.checkHost(hostname) !== undefined;
}

function expiresAtMs(cert: X509Certificate): number {
  return Date.parse(cert.validTo);
}

function describe(cert: X509Certificate): Record<string, string> {
  return { subject: cert.subject.replace(/\n/g, ', '), validTo: new Date(expiresAtMs(cert)).toISOString(), fingerprint256: cert.fingerprint256 };
}

async function readPair(certFile: string, keyFile: string): Promise<TlsMaterial> {
  const read = async (path: string, setting: string): Promise<string> => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
      throw new CertificateError(`${setting} "${path}": cannot read: ${reason}`, { cause: err });
    }
  };
  const [cert, key] = await Promise.all([read(certFile, 'tls.certFile'), read(keyFile, 'tls.keyFile')]);
  return { cert, key };
}

class Listeners {
  private readonly listeners: Array<(material: TlsMaterial) => void> = [];
  constructor(private readonly logger: Logger) {}
  add(listener: (material: TlsMaterial) => void): void {
    this.listeners.push(listener);
  }
  emit(material: TlsMaterial): void {
    for (const listener of this.listeners) {
      try {
        listener(material);
      } catch (err) {
        this.logger.error({ err }, 'certificate change listener failed');
      }
    }
  }
}

/** Open the certificate source for `config`: the configured files, or a generated self-signed certificate. */
export async function openCertificates(config: TlsConfig, options: CertificateOptions): Promise<CertificateSource> {
  if (config.certFile !== undefined && config.keyFile !== undefined) {
    return openFiles(config.certFile, config.keyFile, options);
  }
  if (config.certFile !== undefined || config.keyFile !== undefined) {
    throw new CertificateError('tls.certFile and tls.keyFile must be set together');
  }
  return openSelfSigned(options);
}

async function openFiles(certFile: string, keyFile: string, options: CertificateOptions): Promise<CertificateSource> {
  const logger = options.logger.child({ component: 'tls' });
  const names = { cert: `tls.certFile "${certFile}"`, key: `tls.keyFile "${keyFile}"` };
  let material = await readPair(certFile, keyFile);
  const leaf = checkMaterial(material, names);
  warnAboutExpiry(leaf, logger, names.cert);
  if (!namesHost(leaf, options.hostname)) {
    logger.warn({ hostname: options.hostname, ...describe(leaf) }, 'the certificate does not name this server\'s hostname: clients that verify it will refuse to connect');
  }
  logger.info({ certFile, keyFile, ...describe(leaf) }, 'loaded TLS certificate');

  const listeners = new Listeners(logger);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let reloading = Promise.resolve();

  const reload = async (): Promise<boolean> => {
    let next: TlsMaterial;
    let nextLeaf: X509Certificate;
    try {
      next = await readPair(certFile, keyFile);
      nextLeaf = checkMaterial(next, names);
    } catch (err) {
      logger.error({ err }, 'the certificate files changed but cannot be used; keeping the previous certificate');
      return false;
    }
    if (closed || (next.cert === material.cert && next.key === material.key)) return false;
    material = next;
    warnAboutExpiry(nextLeaf, logger, names.cert);
    logger.info({ certFile, keyFile, ...describe(nextLeaf) }, 'reloaded TLS certificate');
    listeners.emit(material);
    return true;
  };
  /** One reload at a time, in order: the poll's and SIGHUP's never interleave. */
  const queueReload = (): Promise<boolean> => {
    const next = reloading.then(reload);
    reloading = next.then(() => undefined);
    return next;
  };

  // Polling the paths (not watching inodes) survives replacement by rename
  // and certbot's symlink swaps. Both files usually change together, so
  // wait one more poll before reloading to read the new pair, not half of it.
  const pollMs = options.pollIntervalMs ?? 1000;
  const onStat = (curr: Stats, prev: Stats): void => {
    if (curr.mtimeMs === prev.mtimeMs && curr.ino === prev.ino && curr.size === prev.size) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void queueReload();
    }, pollMs);
    timer.unref();
  };
  for (const path of [certFile, keyFile]) watchFile(path, { interval: pollMs, persistent: false }, onStat);
  // watchFile takes its baseline with a first stat that runs later: a file
  // replaced before that is the baseline itself and never "changes". One
  // reload after the baseline exists closes that gap (unchanged files: no-op).
  timer = setTimeout(() => {
    timer = undefined;
    void queueReload();
  }, 2 * pollMs);
  timer.unref();

  return {
    current: () => material,
    generated: false,
    onChange: (listener) => listeners.add(listener),
    reload: queueReload,
    close: () => {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const path of [certFile, keyFile]) unwatchFile(path, onStat);
    },
  };
}

function warnAboutExpiry(leaf: X509Certificate, logger: Logger, name: string): void {
  const left = expiresAtMs(leaf) - Date.now();
  if (left <= 0) logger.error({ ...describe(leaf) }, `${name}: the certificate has EXPIRED; clients that verify it will refuse to connect`);
  else if (left < 14 * DAY_MS) logger.warn({ ...describe(leaf) }, `${name}: the certificate expires in less than 14 days; is renewal (e.g. certbot) working?`);
}

// ---------------------------------------------------------------------------
// Self-signed.

async function generateSelfSigned(hostname: string, keyType: GeneratedKeyType): Promise<TlsMaterial> {
  const now = Date.now();
  const san = isIP(hostname) !== 0 ? { type: 7 as const, ip: hostname } : { type: 2 as const, value: hostname };
  const pems = await generate([{ name: 'commonName', value: hostname }], {
    ...(keyType === 'ecdsa' ? { keyType: 'ec' as const, curve: 'P-256' as const } : { keyType: 'rsa' as const, keySize: 2048 }),
    algorithm: 'sha256',
    // An hour of slack for clients whose clock is a little behind.
    notBeforeDate: new Date(now - 3600_000),
    notAfterDate: new Date(now + SELF_SIGNED_VALIDITY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      // keyEncipherment is RSA key transport (TLS 1.2 RSA suites); an ECDSA key only signs (RFC 5480 §3).
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: keyType === 'rsa', critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [san] },
    ],
  });
  return { key: pems.private.endsWith('\n') ? pems.private : `${pems.private}\n`, cert: pems.cert.endsWith('\n') ? pems.cert : `${pems.cert}\n` };
}

/** 'ecdsa' for a P-256 key, 'rsa' for RSA, undefined for anything else. */
export function keyTypeOf(cert: X509Certificate): GeneratedKeyType | undefined {
  const key = cert.publicKey;
  if (key.asymmetricKeyType === 'rsa') return 'rsa';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa';
  return undefined;
}

/** Write via a temporary file and rename, so a crash never leaves half a key. */
async function writeAtomically(path: string, content: string, mode: number): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, content, { mode });
  await rename(temp, path);
}

/** Why the stored self-signed certificate cannot be reused, or undefined when it can. */
function reasonToRegenerate(leaf: X509Certificate, hostname: string, keyType: GeneratedKeyType): string | undefined {
  const found = keyTypeOf(leaf);
  if (found !== keyType) return `it has ${found === undefined ? 'another kind of' : found === 'rsa' ? 'an RSA' : 'an ECDSA'} key (wanted: ${keyType === 'rsa' ? 'RSA' : 'ECDSA P-256'})`;
  if (!namesHost(leaf, hostname)) return `it was made for another hostname (${leaf.subject.replace(/\n/g, ', ')})`;
  if (expiresAtMs(leaf) - Date.now() < RENEW_BEFORE_MS) return `it expires soon or has expired (${leaf.validTo})`;
  return undefined;
}

/** One generated certificate of the data directory: its files, and how to (re)create it. */
interface GeneratedSlot {
  readonly keyType: GeneratedKeyType;
  readonly keyFile: string;
  readonly certFile: string;
  readonly names: { readonly cert: string; readonly key: string };
}

async function openSelfSigned(options: CertificateOptions): Promise<CertificateSource> {
  const logger = options.logger.child({ component: 'tls' });
  const dir = join(options.dataDir, 'tls');
  const slot = (keyType: GeneratedKeyType, base: string): GeneratedSlot => {
    const keyFile = join(dir, `${base}.key`);
    const certFile = join(dir, `${base}.crt`);
    return { keyType, keyFile, certFile, names: { cert: `"${certFile}"`, key: `"${keyFile}"` } };
  };
  // selfsigned.crt keeps its name (the doctor reads it); before ECDSA it held the RSA certificate.
  const ecdsa = slot('ecdsa', 'selfsigned');
  const rsa = slot('rsa', 'selfsigned-rsa');
  const certFile = ecdsa.certFile;

  const create = async (s: GeneratedSlot, reason: string): Promise<TlsMaterial> => {
    const material = await generateSelfSigned(options.hostname, s.keyType);
    await store(s, material);
    logger.info({ certFile: s.certFile, keyType: s.keyType, reason, ...describe(checkMaterial(material, s.names)) }, 'generated a self-signed TLS certificate');
    return material;
  };
  const store = async (s: GeneratedSlot, material: TlsMaterial): Promise<void> => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeAtomically(s.keyFile, material.key, 0o600);
    await writeAtomically(s.certFile, material.cert, 0o644);
  };
  /** The stored pair of a slot when it can be used as it is; else why not. */
  const load = async (s: GeneratedSlot): Promise<{ material: TlsMaterial } | { reason: string; material?: TlsMaterial }> => {
    try {
      const material = await readPair(s.certFile, s.keyFile);
      const reason = reasonToRegenerate(checkMaterial(material, s.names), options.hostname, s.keyType);
      return reason === undefined ? { material } : { reason: `the previous self-signed certificate cannot be reused: ${reason}`, material };
    } catch (err) {
      const missing = err instanceof CertificateError && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
      return { reason: missing ? 'first start' : `the stored self-signed certificate is unusable: ${(err as Error).message}` };
    }
  };

  const primary = await load(ecdsa);
  let fallback = await load(rsa);
  // Upgrade from the RSA-only versions: the RSA pair they made (which clients
  // may have been told to trust) becomes the RSA fallback rather than being lost.
  if ('reason' in fallback && primary.material !== undefined && 'reason' in primary) {
    const old = checkMaterial(primary.material, ecdsa.names);
    if (keyTypeOf(old) === 'rsa' && reasonToRegenerate(old, options.hostname, 'rsa') === undefined) {
      await store(rsa, primary.material);
      logger.info({ certFile: rsa.certFile }, 'kept the previous (RSA) self-signed certificate as the RSA certificate for old clients');
      fallback = { material: primary.material };
    }
  }
  const ecMaterial = 'reason' in primary ? await create(ecdsa, primary.reason) : primary.material;
  const rsaMaterial = 'reason' in fallback ? await create(rsa, fallback.reason) : fallback.material;
  let material: TlsMaterial = combine(ecMaterial, rsaMaterial);
  logger.warn(
    { certFile, hostname: options.hostname },
    'using a SELF-SIGNED certificate: mail clients will not trust it (they warn, or refuse with certificate verification on). ' +
      `For a trusted certificate set tls.certFile and tls.keyFile, e.g. from certbot: certFile: /etc/letsencrypt/live/${options.hostname}/fullchain.pem, keyFile: /etc/letsencrypt/live/${options.hostname}/privkey.pem`,
  );

  // A long-running server renews its generated certificates before they expire.
  const listeners = new Listeners(logger);
  let closed = false;
  const check = async (): Promise<boolean> => {
    let ec: TlsMaterial = { key: material.key, cert: material.cert };
    let rs = material.fallback as TlsMaterial;
    const ecReason = reasonToRegenerate(checkMaterial(ec, ecdsa.names), options.hostname, 'ecdsa');
    const rsaReason = reasonToRegenerate(checkMaterial(rs, rsa.names), options.hostname, 'rsa');
    if ((ecReason === undefined && rsaReason === undefined) || closed) return false;
    if (ecReason !== undefined) ec = await create(ecdsa, `renewal: ${ecReason}`);
    if (rsaReason !== undefined) rs = await create(rsa, `renewal: ${rsaReason}`);
    if (closed) return false;
    material = combine(ec, rs);
    listeners.emit(material);
    return true;
  };
  const interval = setInterval(() => {
    check().catch((err: unknown) => logger.error({ err }, 'renewing the self-signed certificate failed'));
  }, RENEWAL_CHECK_MS);
  interval.unref();

  return {
    current: () => material,
    generated: true,
    onChange: (listener) => listeners.add(listener),
    // A generated certificate has no files to re-read: only the renewal check.
    reload: check,
    close: () => {
      closed = true;
      clearInterval(interval);
    },
  };
}

/** The ECDSA pair first (preferred by OpenSSL when the client allows it), the RSA pair as the fallback. */
function combine(ecdsa: TlsMaterial, rsa: TlsMaterial): TlsMaterial {
  return { key: ecdsa.key, cert: ecdsa.cert, fallback: { key: rsa.key, cert: rsa.cert } };
}
