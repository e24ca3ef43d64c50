// Password hashing with scrypt (RFC 7914). Hashes are self-describing:
//   $scrypt$N=32768,r=8,p=1$<salt base64>$<hash base64>
// so the parameters can be raised later without breaking stored hashes.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const N = 2 ** 15;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;

// Upper bounds when verifying, so a tampered database cannot make one login
// attempt allocate gigabytes or run for minutes.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Memory scrypt needs is 128·N·r bytes; Node's default limit (32 MiB) is exactly that for N=2^15, r=8, and too tight. */
function maxmem(n: number, r: number): number {
  return 128 * n * r * 2;
}

/**
 * Passwords are compared after Unicode NFC normalization (as RFC 8265's
 * OpaqueString profile does), so the same password typed on systems that
 * compose characters differently still matches.
 */
function normalize(password: string): string {
  return password.normalize('NFC');
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scrypt(normalize(password), salt, HASH_BYTES, { N, r: R, p: P, maxmem: maxmem(N, R) });
  return `$scrypt$N=${N},r=${R},p=${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

const ENCODED = /^\$scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$/;

export interface ParsedHash {
  readonly n: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/** The parts of an encoded hash, or undefined when it is not one this module can verify. */
export function parseHash(encoded: string): ParsedHash | undefined {
  const m = ENCODED.exec(encoded);
  if (!m) return undefined;
  const [n, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (n < 2 || n > MAX_N || (n & (n - 1)) !== 0 || r < 1 || r > MAX_R || p < 1 || p > MAX_P) return undefined;
  const salt = Buffer.from(m[4] as string, 'base64');
  const hash = Buffer.from(m[5] as string, 'base64');
  if (salt.length < 8 || hash.length < 16) return undefined;
  return { n, r, p, salt, hash };
}

/** True when `password` matches `encoded`; false for a wrong password or an unusable hash. Constant-time comparison. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parseHash(encoded);
  if (!parsed) return false;
  const actual = await scrypt(normalize(password), parsed.salt, parsed.hash.length, {
    N: parsed.n,
    r: parsed.r,
    p: parsed.p,
    maxmem: maxmem(parsed.n, parsed.r),
  });
  return timingSafeEqual(actual, parsed.hash);
}

let dummyHash: Promise<string> | undefined;

/** Compute the dummy hash ahead of time, so the first unknown login is not slower than the rest. */
export function prepareDummyHash(): void {
  if (dummyHash) return;
  dummyHash = hashPassword(randomBytes(16).toString('base64'));
  // A failure surfaces in verifyDummy, which awaits it; not as an unhandled rejection here.
  dummyHash.catch(() => undefined);
}

/**
 * Spend the time of one verification without a real user, so that a login
 * for an unknown user takes as long as one with a wrong password.
 */
export async function verifyDummy(password: string): Promise<false> {
  prepareDummyHash();
  await verifyPassword(password, await (dummyHash as Promise<string>));
  return false;
}
