// SCRAM-SHA-256 keys (RFC 5802 §3, RFC 7677): what the server keeps so a
// client can prove it knows the password without sending it, and without
// the server storing anything a thief could log in with directly (the
// StoredKey is a hash of the ClientKey; only the password gives the ClientKey).
//   SaltedPassword = PBKDF2-HMAC-SHA-256(SASLprep(password), salt, i)
//   StoredKey = SHA-256(HMAC(SaltedPassword, "Client Key"))
//   ServerKey = HMAC(SaltedPassword, "Server Key")
// Stored as PostgreSQL does: SCRAM-SHA-256$<i>:<salt>$<StoredKey>:<ServerKey> (base64).
import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import { saslprep } from './saslprep.js';

/**
 * RFC 7677 §4 asks for at least 4096. The client pays PBKDF2 at every
 * login (the server never runs it after the password is set), and phones
 * and WordPress plug-ins are the clients, so we stay moderate.
 */
// Stored beside the scrypt hash, these keys are a second way to attack a
// stolen users.db offline; 100,000 rounds of PBKDF2-SHA-256 (RFC 7677 asks
// for at least 4,096) keeps that way about as slow as a cheap scrypt. The
// server never runs PBKDF2 during a SCRAM login, only when a password is set.
export const SCRAM_ITERATIONS = 100_000;
const MIN_ITERATIONS = 4096;
/** Bounds a tampered database: clients would refuse or hang on absurd counts. */
const MAX_ITERATIONS = 10_000_000;
const SALT_BYTES = 16;

export interface ScramKeys {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/** What a SCRAM exchange needs for one user: the canonical address and its keys. */
export interface ScramCredentials extends ScramKeys {
  readonly user: string;
}

export const hmacSha256 = (key: Buffer, text: string | Buffer): Buffer => createHmac('sha256', key).update(text).digest();
export const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

/** The keys for `password`; undefined when SASLprep refuses it (then SCRAM is not available to this user). */
export async function deriveScramKeys(password: string, salt: Buffer = randomBytes(SALT_BYTES), iterations = SCRAM_ITERATIONS): Promise<ScramKeys | undefined> {
  const prepared = saslprep(password);
  if (prepared === undefined) return undefined;
  const salted = await new Promise<Buffer>((resolve, reject) => {
    pbkdf2(prepared, salt, iterations, 32, 'sha256', (err, key) => (err ? reject(err) : resolve(key)));
  });
  return { salt, iterations, storedKey: sha256(hmacSha256(salted, 'Client Key')), serverKey: hmacSha256(salted, 'Server Key') };
}

export function encodeScramKeys(keys: ScramKeys): string {
  const b64 = (b: Buffer): string => b.toString('base64');
  return `SCRAM-SHA-256$${keys.iterations}:${b64(keys.salt)}$${b64(keys.storedKey)}:${b64(keys.serverKey)}`;
}

const ENCODED = /^SCRAM-SHA-256\$(\d{1,8}):([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*):([A-Za-z0-9+/]+=*)$/;

/** The stored keys, or undefined when the text is not a usable encoding. */
export function decodeScramKeys(encoded: string): ScramKeys | undefined {
  const m = ENCODED.exec(encoded);
  if (!m) return undefined;
  const iterations = Number(m[1]);
  const [salt, storedKey, serverKey] = [m[2], m[3], m[4]].map((s) => Buffer.from(s as string, 'base64')) as [Buffer, Buffer, Buffer];
  if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS || salt.length < 8 || storedKey.length !== 32 || serverKey.length !== 32) return undefined;
  return { salt, iterations, storedKey, serverKey };
}
