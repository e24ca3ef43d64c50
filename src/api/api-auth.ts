// `Authorization: Bearer KEY` → the principal the key acts as: its user, as
// that user's SMTP login would be (sender identities, quotas, brake), named
// `api-key:LABEL` in the logs. Failures are counted by the sending policy's
// brute-force limits, per client address and per key id, like SMTP AUTH.
//
// A key that authenticated is remembered in memory (VerifiedKeys) until
// users.db changes, so that a keep-alive client's next request costs a
// SHA-256 and a Map lookup instead of an HMAC, a join in users.db and the
// user's row (~6 % of an API message's main-thread CPU, bench/api-bench.ts).
// The map is keyed by the key's SHA-256, never the key itself; a lookup by
// digest leaks nothing usable about the key (as the indexed lookup by HMAC
// in users.db does not). Any commit to users.db (a revoked key, a removed
// or flagged user, changed sender identities or quotas) empties it.
import { hash } from 'node:crypto';
import type { SendingPolicy } from '../policy/sending-policy.js';
import type { Principal } from '../users/principal.js';
import { apiKeyId, type ApiKeyRecord } from '../users/api-keys.js';

export interface ApiKeyLookup {
  find(key: string): ApiKeyRecord | undefined;
  /** Differs from the last answer whenever what find or principalFor answer may have changed. */
  version(): string;
}

export interface PrincipalLookup {
  principalFor(address: string): Principal | undefined;
}

export type ApiAuth =
  | { readonly ok: true; readonly principal: Principal; readonly key: ApiKeyRecord }
  | { readonly ok: false; readonly status: 401 | 429; readonly message: string };

const LISTENER = 'http';

type Verified = Extract<ApiAuth, { ok: true }>;

/** Keys that authenticated since users.db last changed, by SHA-256 (see the top of this file). */
export class VerifiedKeys {
  readonly #entries = new Map<string, Verified>();
  #version: string | undefined;

  /** The answer for this key's digest while users.db is unchanged. */
  get(digest: string, keys: ApiKeyLookup): Verified | undefined {
    const version = keys.version();
    if (version !== this.#version) {
      this.#entries.clear();
      this.#version = version;
    }
    return this.#entries.get(digest);
  }

  set(digest: string, verified: Verified): void {
    // Bounded: only valid keys get here, but their number is not ours to limit.
    if (this.#entries.size >= 10_000) this.#entries.clear();
    this.#entries.set(digest, verified);
  }
}

export function authenticateBearer(
  header: string | undefined,
  clientIp: string,
  deps: { keys: ApiKeyLookup; users: PrincipalLookup; sending: SendingPolicy; verified?: VerifiedKeys | undefined },
): ApiAuth {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) return { ok: false, status: 401, message: 'no API key: send "Authorization: Bearer KEY" (create one with: hikyaku apikey create USER)' };
  const key = match[1] as string;
  // The login name the brute-force counters see: the key's public id, never the key.
  const login = `api-key:${apiKeyId(key) ?? 'malformed'}`;
  const blocked = deps.sending.authBlocked(login, clientIp, LISTENER);
  if (blocked !== undefined) return { ok: false, status: 429, message: 'too many failed authentications from this address; try again later' };
  const digest = deps.verified === undefined ? undefined : hash('sha256', key, 'base64');
  const known = digest === undefined ? undefined : deps.verified?.get(digest, deps.keys);
  if (known !== undefined) return known;
  const record = deps.keys.find(key);
  // A key outlives nothing: a removed user's keys authenticate no one.
  const principal = record === undefined ? undefined : deps.users.principalFor(record.user);
  if (record === undefined || principal === undefined) {
    deps.sending.authFailed(login, clientIp, LISTENER, 'bad-credentials');
    return { ok: false, status: 401, message: 'unknown or revoked API key' };
  }
  // The user's own principal (its password's: the same quotas and brake), named for the logs.
  const verified: Verified = { ok: true, principal: { ...principal, credentialName: `api-key:${record.label}` }, key: record };
  if (digest !== undefined) deps.verified?.set(digest, verified);
  return verified;
}
