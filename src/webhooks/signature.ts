// The webhook signature: HMAC-SHA256 over `${t}.${body}` with the endpoint's
// secret, sent as `Hikyaku-Signature: t=<unix seconds>,v1=<hex>` (the scheme
// Stripe made familiar). `t` is the sending time of this attempt, so that a
// receiver can refuse old replays; the body is the same at every attempt.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'hikyaku-signature';

export function signatureHeader(secret: string, body: string, nowSeconds: number): string {
  const t = Math.floor(nowSeconds);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/**
 * The receiver's check (the README's snippet does the same): true when the
 * header's v1 matches and t is within `toleranceSeconds` of now.
 */
export function verifySignature(secret: string, body: string, header: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const parts = new Map(header.split(',').map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()] as const));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
