// Decoding the SASL mechanisms we offer over SMTP AUTH (RFC 4954):
// PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login), SCRAM-SHA-256
// (RFC 7677; its exchange is sasl-scram.ts) and, only when the
// configuration enables it, CRAM-MD5 (RFC 2195, sasl-cram.ts): it needs the
// password recoverable on the server, so it is an opt-in.

export type SaslMechanism = 'PLAIN' | 'LOGIN' | 'SCRAM-SHA-256' | 'CRAM-MD5';

/** What we offer, strongest last as clients pick from the list themselves. */
export function saslMechanisms(options: { readonly cramMd5: boolean }): readonly SaslMechanism[] {
  return options.cramMd5 ? ['PLAIN', 'LOGIN', 'SCRAM-SHA-256', 'CRAM-MD5'] : ['PLAIN', 'LOGIN', 'SCRAM-SHA-256'];
}

/** The mechanism named by an AUTH command, when it is one we offer. */
export function saslMechanism(name: string, offered: readonly SaslMechanism[]): SaslMechanism | undefined {
  const upper = name.toUpperCase();
  return offered.find((m) => m === upper);
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
