// App passwords: one generated secret per device or application (a
// WordPress shop, a phone), each revocable on its own and limited on its
// own, so that the main password never has to be typed into a web app.
//
// 28 characters of RFC 4648 base32 (lower-case, 5 bits each) = 140 bits
// from the CSPRNG, shown in 7 groups of 4 joined by '-' so it is easy to
// read out and paste. Grouping and case are ignored on input.
//
// Stored hash: HMAC-SHA-256, not scrypt. A slow hash protects *guessable*
// secrets; a 140-bit random secret cannot be guessed however fast the hash
// (as GitHub does for its tokens), and a fast keyed hash lets a login find
// the matching app password with one indexed lookup instead of one scrypt
// run per app password of the user. The key (kept in users.db) stops
// precomputation across installations; the user's address is part of the
// hashed input, so equal secrets of two users would not collide.
import { createHmac, randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
export const APP_PASSWORD_CHARS = 28;
const GROUP = 4;

/** A new app password, grouped for display: `abcd-efgh-…` (7 groups). */
export function generateAppPassword(random: (n: number) => Buffer = randomBytes): string {
  // One byte per character, keeping the low 5 bits: 256 is a multiple of 32, so every character is uniform.
  const bytes = random(APP_PASSWORD_CHARS);
  let chars = '';
  for (const byte of bytes) chars += ALPHABET[byte & 31];
  return chars.match(new RegExp(`.{1,${GROUP}}`, 'g'))?.join('-') ?? chars;
}

/** The canonical form of what a client sent, or undefined when it cannot be an app password (then it may be the main password). */
export function canonicalAppPassword(text: string): string | undefined {
  const compact = text.replace(/[\s-]/g, '').toLowerCase();
  return compact.length === APP_PASSWORD_CHARS && /^[a-z2-7]+$/.test(compact) ? compact : undefined;
}

/** The stored lookup hash (hex) of a canonical app password for this user. */
export function appPasswordLookupHash(key: Buffer, user: string, canonical: string): string {
  return createHmac('sha256', key).update(`${user}\0${canonical}`, 'utf8').digest('hex');
}

/** Labels name a device or application: short, printable, no spaces, so they read well in logs (`app-password:LABEL`). */
export function validLabel(label: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(label);
}
