// Key pairs for DKIM and the p= value published for them.
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

export type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256';

export interface GeneratedKeyPair {
  readonly privateKeyPem: string;
  readonly publicKeyBase64: string;
}

// RFC 8301 §3.2: signers MUST use RSA keys of at least 1024 bits and SHOULD
// use 2048; 2048 is also the largest whose p= fits common DNS web panels.
const RSA_BITS = 2048;

export function generateDkimKeyPair(algorithm: DkimAlgorithm): GeneratedKeyPair {
  const { privateKey, publicKey } =
    algorithm === 'rsa-sha256'
      ? generateKeyPairSync('rsa', { modulusLength: RSA_BITS })
      : generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyBase64: publicKeyBase64(publicKey),
  };
}

/**
 * The p= value: for RSA the DER SubjectPublicKeyInfo (RFC 6376 §3.6.1);
 * for Ed25519 the bare 32-byte public key (RFC 8463 §4.2), which is the
 * tail of the SubjectPublicKeyInfo after its fixed 12-byte prefix.
 */
export function publicKeyBase64(publicKey: KeyObject): string {
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  if (publicKey.asymmetricKeyType === 'ed25519') return spki.subarray(spki.length - 32).toString('base64');
  if (publicKey.asymmetricKeyType === 'rsa') return spki.toString('base64');
  throw new Error(`unsupported DKIM key type ${String(publicKey.asymmetricKeyType)}`);
}

/** The p= value for a stored private key (used to check a stored key pair is consistent). */
export function publicKeyBase64FromPrivatePem(privateKeyPem: string): string {
  return publicKeyBase64(createPublicKey(privateKeyPem));
}

/**
 * Default selector from the creation month, e.g. `hk202611`: dated selectors
 * make it obvious in DNS which record is old. Ed25519 keys add `e`.
 */
export function dateSelector(nowMs: number): string {
  const d = new Date(nowMs);
  return `hk${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

export function selectorForAlgorithm(base: string, algorithm: DkimAlgorithm): string {
  return algorithm === 'ed25519-sha256' ? `${base}e` : base;
}

/**
 * The first of base, base+"b", base+"c", … whose selectors (for every
 * algorithm) are not taken yet, so a rotation never reuses a published name.
 */
export function freeSelectorBase(base: string, taken: ReadonlySet<string>, algorithms: readonly DkimAlgorithm[]): string {
  const free = (candidate: string): boolean => algorithms.every((a) => !taken.has(selectorForAlgorithm(candidate, a)));
  if (free(base)) return base;
  for (let n = 1; n < 26 * 27; n++) {
    const candidate = base + suffix(n);
    if (free(candidate)) return candidate;
  }
  throw new Error(`no free DKIM selector left after ${base}`);
}

// 1 → "b", 2 → "c", … 25 → "z", 26 → "bb", … (bijective base 25 over b–z; no "a",
// because base+"a" reads like a typo of base).
function suffix(n: number): string {
  const letters = 'bcdefghijklmnopqrstuvwxyz';
  let out = '';
  let i = n - 1;
  do {
    out = letters[i % letters.length] + out;
    i = Math.floor(i / letters.length) - 1;
  } while (i >= 0);
  return out;
}
