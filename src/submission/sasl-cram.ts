// CRAM-MD5 (RFC 2195) as pure functions. The server sends a unique
// challenge; the client answers "login SP hex(HMAC-MD5(password, challenge))".
// The server must know the password itself to check that, which is why
// CRAM-MD5 is off unless the administrator switches it on (the passwords are
// then also kept encrypted: users/secret-box.ts). MD5 is weak but here only
// as HMAC over a one-time challenge; the real cost is the stored secret.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** RFC 2195 §2: a challenge in the form of an RFC 822 msg-id, `<random.timestamp@hostname>`. */
export function cramChallenge(hostname: string, random: (n: number) => Buffer = randomBytes, nowMs: number = Date.now()): string {
  const unique = random(8).readBigUInt64BE().toString();
  return `<${unique}.${nowMs}@${hostname}>`;
}

/** The decoded client response "login SP digest"; the digest is 32 hex digits, the login may contain spaces (the last one separates). */
export function parseCramResponse(decoded: string): { login: string; digestHex: string } | undefined {
  const space = decoded.lastIndexOf(' ');
  if (space <= 0) return undefined;
  const login = decoded.slice(0, space);
  const digestHex = decoded.slice(space + 1).toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(digestHex)) return undefined;
  return { login, digestHex };
}

/** True when `digestHex` is HMAC-MD5(secret, challenge); compared in constant time. */
export function verifyCram(secret: string, challenge: string, digestHex: string): boolean {
  const expected = createHmac('md5', Buffer.from(secret, 'utf8')).update(challenge, 'utf8').digest();
  const given = Buffer.from(digestHex.toLowerCase(), 'hex');
  return /^[0-9a-f]{32}$/i.test(digestHex) && given.length === expected.length && timingSafeEqual(given, expected);
}
