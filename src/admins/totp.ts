// The console's second factor: TOTP (RFC 6238: SHA-1, 6 digits, 30 s), the
// kind every authenticator app reads from an otpauth:// URI. otpauth does
// the arithmetic; a code from the step before or after is accepted too
// (clock drift between the phone and the server).
import { Secret, TOTP } from 'otpauth';

const ISSUER = 'Hikyaku';

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totpFor(name: string, secret: string): TOTP {
  return new TOTP({ issuer: ISSUER, label: name, algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });
}

/** The otpauth:// URI an authenticator app imports (shown once, when the secret is made). */
export function totpUri(name: string, secret: string): string {
  return totpFor(name, secret).toString();
}

const PERIOD_MS = 30_000;

/**
 * The time step (RFC 6238's counter) the code belongs to, or undefined when
 * it is wrong. The caller refuses a step already used (a code seen over a
 * shoulder or in a proxy log must not log in a second time).
 */
export function totpStep(name: string, secret: string, code: string, nowMs = Date.now()): number | undefined {
  const digits = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(digits)) return undefined;
  const delta = totpFor(name, secret).validate({ token: digits, timestamp: nowMs, window: 1 });
  return delta === null ? undefined : Math.floor(nowMs / PERIOD_MS) + delta;
}
