// RFC 6238 TOTP (HMAC-SHA-1, 30 s steps, 6 digits) computed by the tests
// themselves, independently of the library the server uses (otpauth), so a
// misconfigured algorithm, period or digit count fails the login tests.
import { createHmac } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function totpCode(base32Secret: string, nowMs: number = Date.now()): string {
  let bits = '';
  for (const c of base32Secret.replace(/=+$/, '')) bits += BASE32.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(nowMs / 30_000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}
