// The certificate our listeners present on 587/465 (and STARTTLS on 25):
// parses, names the host, is in date, is trusted (not self-signed), carries
// its intermediate, and matches the private key.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tls as m } from './messages.js';
import { finding, type Finding } from './types.js';

export interface TlsCheckInput {
  readonly hostname: string;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly dataDir: string;
  readonly nowMs: number;
}

const DAY_MS = 24 * 3600_000;
const EXPIRY_WARNING_DAYS = 14;

/** Where Hikyaku keeps the certificate it generates when none is configured. */
export function selfSignedCertificatePath(dataDir: string): string {
  return path.join(dataDir, 'tls', 'selfsigned.crt');
}

export function checkTls(input: TlsCheckInput): Finding[] {
  const file = input.certFile ?? selfSignedCertificatePath(input.dataDir);
  const snippet = m.letsEncryptSnippet(input.hostname);
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    if (input.certFile === undefined && code === 'ENOENT') return [finding('tls.certificate', 'info', file, m.notYetGenerated(file), snippet)];
    return [finding('tls.certificate', 'error', file, m.unreadable(file, code))];
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  let leaf: X509Certificate;
  try {
    if (blocks.length === 0) throw new Error('no BEGIN CERTIFICATE block');
    leaf = new X509Certificate(blocks[0] as string);
  } catch (err) {
    return [finding('tls.certificate', 'error', file, m.unparsable(file, (err as Error).message))];
  }
  const out: Finding[] = [];
  out.push(hostnameFinding(leaf, input.hostname, file, snippet));
  out.push(expiryFinding(leaf, input.nowMs, file));
  const selfSigned = leaf.issuer === leaf.subject && leaf.verify(leaf.publicKey);
  if (selfSigned) out.push(finding('tls.self-signed', 'warning', file, m.selfSigned(), snippet));
  else {
    out.push(finding('tls.self-signed', 'ok', file, m.issuerOk(leaf.issuer.replace(/\n/g, ', '))));
    // A CA-issued leaf alone: clients lacking the intermediate cannot build the chain.
    if (blocks.length === 1) out.push(finding('tls.chain', 'warning', file, m.chainMissing()));
  }
  if (input.keyFile !== undefined) {
    const key = keyFinding(leaf, input.keyFile);
    if (key) out.push(key);
  }
  return out;
}

function hostnameFinding(leaf: X509Certificate, hostname: string, file: string, snippet: string): Finding {
  if (leaf.checkHost(hostname) !== undefined) return finding('tls.hostname', 'ok', file, m.hostnameOk(hostname));
  const names = (leaf.subjectAltName ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.startsWith('DNS:'))
    .map((n) => n.slice(4));
  return finding('tls.hostname', 'error', file, m.hostnameMismatch(hostname, names), snippet);
}

function expiryFinding(leaf: X509Certificate, nowMs: number, file: string): Finding {
  const validTo = new Date(leaf.validTo);
  const date = validTo.toISOString().slice(0, 10);
  const days = Math.floor((validTo.getTime() - nowMs) / DAY_MS);
  if (validTo.getTime() <= nowMs) return finding('tls.expiry', 'error', file, m.expired(date));
  if (days < EXPIRY_WARNING_DAYS) return finding('tls.expiry', 'warning', file, m.expiresSoon(days, date));
  return finding('tls.expiry', 'ok', file, m.expiresIn(days, date));
}

function keyFinding(leaf: X509Certificate, keyFile: string): Finding | undefined {
  try {
    const key = createPrivateKey(readFileSync(keyFile));
    return leaf.checkPrivateKey(key) ? undefined : finding('tls.key', 'error', keyFile, m.keyMismatch(keyFile));
  } catch (err) {
    return finding('tls.key', 'error', keyFile, m.keyUnreadable(keyFile, (err as NodeJS.ErrnoException).code ?? (err as Error).message));
  }
}
