// The token in a one-click unsubscribe link (RFC 8058): which recipient
// leaves which sending domain's mail, signed with a key of this server so
// that nobody can unsubscribe someone else by editing the link. The link
// carries everything needed (no row per message): a server that crashed,
// was restored from a backup or runs beside others still honours it.
//
// <dataDir>/keys/unsubscribe.key: 32 random bytes (hex), created on first
// need, mode 0600. A new key (deleting the file) makes every link sent so
// far invalid: rotate it only if it leaked.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateFileExclusive, ensurePrivateDir } from '../domains/private-file.js';

const MAC_BYTES = 16;
const VERSION = 'u1';

export interface UnsubscribeSubject {
  /** The sending domain whose suppression list the recipient joins (lower-case). */
  readonly sendingDomain: string;
  readonly recipient: string;
}

export function unsubscribeKeyPath(dataDir: string): string {
  return join(dataDir, 'keys', 'unsubscribe.key');
}

/** The signing key, created (0600, in a 0700 directory) the first time it is needed. */
export function loadOrCreateUnsubscribeKey(dataDir: string): Buffer {
  const path = unsubscribeKeyPath(dataDir);
  ensurePrivateDir(join(dataDir, 'keys'));
  // Of two processes creating it at once, one wins and both read its key.
  if (!existsSync(path)) createPrivateFileExclusive(path, `${randomBytes(32).toString('hex')}\n`);
  const hex = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error(`${path}: not an unsubscribe key (expected 64 hex characters); delete it to make a new one (links already sent stop working)`);
  return Buffer.from(hex, 'hex');
}

export class UnsubscribeTokens {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  /** URL-safe: base64url of "u1 NUL domain NUL recipient", a dot, base64url of the MAC. */
  create(subject: UnsubscribeSubject): string {
    const payload = Buffer.from(`${VERSION}\0${subject.sendingDomain}\0${subject.recipient}`, 'utf8');
    return `${payload.toString('base64url')}.${this.#mac(payload).toString('base64url')}`;
  }

  /** The subject of a genuine token; undefined for anything else (edited, truncated, another server's). */
  verify(token: string): UnsubscribeSubject | undefined {
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 2048) return undefined;
    const payload = Buffer.from(token.slice(0, dot), 'base64url');
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    if (mac.length !== MAC_BYTES || !timingSafeEqual(mac, this.#mac(payload))) return undefined;
    const [version, sendingDomain, recipient, ...rest] = payload.toString('utf8').split('\0');
    if (version !== VERSION || rest.length > 0 || !sendingDomain || !recipient) return undefined;
    return { sendingDomain, recipient };
  }

  #mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.#key).update(payload).digest().subarray(0, MAC_BYTES);
  }
}
