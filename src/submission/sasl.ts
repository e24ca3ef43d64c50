// Decoding the SASL mechanisms we offer over SMTP AUTH (RFC 4954):
// PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login). The exchanges
// of SCRAM-SHA-256 (sasl-scram.ts) and CRAM-MD5 (sasl-cram.ts) are written
// and tested but not yet offered by the session: CRAM-MD5 needs the
// password recoverable on the server, so it will only ever be an opt-in.

export type SaslMechanism = 'PLAIN' | 'LOGIN';

export const SASL_MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'LOGIN'];

export function saslMechanism(name: string): SaslMechanism | undefined {
  const upper = name.toUpperCase();
  return upper === 'PLAIN' || upper === 'LOGIN' ? upper : undefined;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 (Buffer.from would silently skip bad characters); undefined when malformed. */
export function decodeBase64(text: string): string | undefined {
  if (!BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64').toString('utf8');
}

export interface Credentials {
  readonly login: string;
  readonly password: string;
}

/**
 * RFC 4616 §2: message = [authzid] NUL authcid NUL passwd. An authorization
 * identity different from the login (acting for another user) is refused.
 */
export function parsePlain(decoded: string): Credentials | undefined {
  const parts = decoded.split('\0');
  if (parts.length !== 3) return undefined;
  const [authzid, login, password] = parts as [string, string, string];
  if (login === '' || (authzid !== '' && authzid !== login)) return undefined;
  return { login, password };
}

/** The base64 prompts of the LOGIN mechanism. */
export const LOGIN_USERNAME_PROMPT = Buffer.from('Username:').toString('base64');
export const LOGIN_PASSWORD_PROMPT = Buffer.from('Password:').toString('base64');
