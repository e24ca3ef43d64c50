// The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as pure message
// handling: the SMTP session feeds it the decoded client messages and sends
// back what it returns (RFC 4954 base64 framing is the session's job).
//
//   C: n,,n=user,r=<client nonce>                          clientFirst
//   S: r=<client nonce><server nonce>,s=<salt>,i=<count>    serverFirst
//   C: c=biws,r=<both nonces>,p=<ClientProof>               clientFinal
//   S: v=<ServerSignature>
//
// No channel binding (SCRAM-SHA-256-PLUS is not offered): a gs2 flag of
// `n` or `y` is accepted (RFC 5802 §6: `y` means "the client could bind but
// thinks the server cannot", true here), `p=` is refused.
// Unknown users get a server-first message like anyone else, with a salt
// derived from the name and a server key, so the same name always gets the
// same salt and the answer does not tell whether the name exists; the
// exchange then fails at the proof, as a wrong password does.
// Only the main password's keys are used: the username alone cannot say
// which app password the client holds (see users/user-store.ts).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hmacSha256, SCRAM_ITERATIONS, sha256, type ScramCredentials } from '../users/scram-keys.js';
import { normalizeAddress } from '../core/address.js';

export type ScramFailure = 'malformed' | 'channel-binding-not-supported' | 'extension-not-supported' | 'authzid-mismatch' | 'out-of-order';

export type ClientFirstResult = { readonly ok: true; readonly username: string } | { readonly ok: false; readonly error: ScramFailure };
export type ClientFinalResult =
  | { readonly ok: true; readonly user: string; readonly serverFinal: string }
  | { readonly ok: false; readonly error: ScramFailure | 'invalid-proof' };

export interface ScramServerOptions {
  /** Key for the salts of unknown users (any stable secret; see UserStore.scramFakeSaltKey). */
  readonly fakeSaltKey: Buffer;
  /** The server's nonce part; random unless a test fixes it. */
  readonly serverNonce?: string;
}

/** RFC 5802 §5.1: saslname encodes ',' as =2C and '=' as =3D; any other '=' is an error. */
function decodeSaslname(text: string): string | undefined {
  if (/=(?!2C|3D)/.test(text)) return undefined;
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** Splits `a=…,b=…` into [name, value] pairs; undefined when an attribute is malformed. */
function attributes(text: string): [string, string][] | undefined {
  const pairs: [string, string][] = [];
  for (const part of text.split(',')) {
    const m = /^([A-Za-z])=(.*)$/s.exec(part);
    if (!m) return undefined;
    pairs.push([m[1] as string, m[2] as string]);
  }
  return pairs;
}

// RFC 5802 §7: printable = %x21-2B / %x2D-7E (no comma).
const NONCE = /^[\x21-\x2B\x2D-\x7E]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class ScramServer {
  readonly #options: ScramServerOptions;
  #gs2Header = '';
  #clientFirstBare = '';
  #clientNonce = '';
  #username = '';
  #serverFirst = '';
  #credentials: ScramCredentials | undefined;
  #state: 'start' | 'client-first' | 'server-first' | 'done' = 'start';

  /** The name the client gave in its first message ('' before it). */
  get username(): string {
    return this.#username;
  }

  constructor(options: ScramServerOptions) {
    this.#options = options;
  }

  /** RFC 5802 §7: client-first-message = gs2-header client-first-message-bare. */
  clientFirst(message: string): ClientFirstResult {
    if (this.#state !== 'start') return { ok: false, error: 'out-of-order' };
    this.#state = 'done'; // until proven otherwise: a failed step ends the exchange
    const m = /^([npy])(=[^,]*)?,(a=[^,]*)?,(.*)$/s.exec(message);
    if (!m) return { ok: false, error: 'malformed' };
    if (m[1] === 'p') return { ok: false, error: 'channel-binding-not-supported' };
    if (m[2] !== undefined) return { ok: false, error: 'malformed' };
    const bare = m[4] as string;
    const attrs = attributes(bare);
    if (!attrs || attrs.length < 2) return { ok: false, error: 'malformed' };
    const [[nName, nValue], [rName, rValue]] = attrs as [[string, string], [string, string]];
    // `m=` (reserved-mext) before the username means an extension we must refuse (§7).
    if (nName === 'm') return { ok: false, error: 'extension-not-supported' };
    if (nName !== 'n' || rName !== 'r' || !NONCE.test(rValue)) return { ok: false, error: 'malformed' };
    const username = decodeSaslname(nValue);
    if (username === undefined || username === '') return { ok: false, error: 'malformed' };
    if (m[3] !== undefined) {
      const authzid = decodeSaslname(m[3].slice(2));
      // As for PLAIN: acting as another user is not supported.
      if (authzid !== username) return { ok: false, error: 'authzid-mismatch' };
    }
    this.#gs2Header = message.slice(0, message.length - bare.length);
    this.#clientFirstBare = bare;
    this.#clientNonce = rValue;
    this.#username = username;
    this.#state = 'client-first';
    return { ok: true, username };
  }

  /** The server-first message for the keys of `credentials`; undefined for an unknown user (a fake, stable salt is used). */
  serverFirst(credentials: ScramCredentials | undefined): string {
    if (this.#state !== 'client-first') throw new Error('ScramServer.serverFirst called out of order');
    this.#credentials = credentials;
    const nonce = this.#clientNonce + (this.#options.serverNonce ?? randomBytes(18).toString('base64'));
    const salt = credentials?.salt ?? hmacSha256(this.#options.fakeSaltKey, `scram-salt\0${normalizeAddress(this.#username)}`).subarray(0, 16);
    const iterations = credentials?.iterations ?? SCRAM_ITERATIONS;
    this.#serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
    this.#state = 'server-first';
    return this.#serverFirst;
  }

  /** RFC 5802 §3: checks the ClientProof; on success, the server-final message with the ServerSignature. */
  clientFinal(message: string): ClientFinalResult {
    if (this.#state !== 'server-first') return { ok: false, error: 'out-of-order' };
    this.#state = 'done';
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) return { ok: false, error: 'malformed' };
    const withoutProof = message.slice(0, proofAt);
    const proofText = message.slice(proofAt + 3);
    const attrs = attributes(withoutProof);
    if (!attrs || attrs.length < 2 || !BASE64.test(proofText)) return { ok: false, error: 'malformed' };
    const [[cName, cValue], [rName, rValue]] = attrs as [[string, string], [string, string]];
    if (cName !== 'c' || rName !== 'r') return { ok: false, error: 'malformed' };
    // The channel binding echoes the gs2 header (no binding data for `n`/`y`), so a downgrade shows.
    if (cValue !== Buffer.from(this.#gs2Header, 'utf8').toString('base64')) return { ok: false, error: 'malformed' };
    if (rValue !== /^r=([^,]*)/.exec(this.#serverFirst)?.[1]) return { ok: false, error: 'malformed' };

    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
    // An unknown user runs the same computation against random keys, so it costs the same.
    const keys = this.#credentials ?? { storedKey: randomBytes(32), serverKey: randomBytes(32) };
    const proof = Buffer.from(proofText, 'base64');
    const clientSignature = hmacSha256(keys.storedKey, authMessage);
    if (proof.length !== clientSignature.length) return { ok: false, error: 'invalid-proof' };
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = (proof[i] ?? 0) ^ (clientSignature[i] ?? 0);
    if (!timingSafeEqual(sha256(clientKey), keys.storedKey) || !this.#credentials) return { ok: false, error: 'invalid-proof' };
    const serverSignature = hmacSha256(keys.serverKey, authMessage);
    return { ok: true, user: this.#credentials.user, serverFinal: `v=${serverSignature.toString('base64')}` };
  }
}
