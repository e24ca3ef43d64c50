// `Authorization: Bearer KEY` → the principal the key acts as: its user, as
// that user's SMTP login would be (sender identities, quotas, brake), named
// `api-key:LABEL` in the logs. Failures are counted by the sending policy's
// brute-force limits, per client address and per key id, like SMTP AUTH.
import type { SendingPolicy } from '../policy/sending-policy.js';
import type { Principal } from '../users/principal.js';
import { apiKeyId, type ApiKeyRecord } from '../users/api-keys.js';

export interface ApiKeyLookup {
  find(key: string): ApiKeyRecord | undefined;
}

export interface PrincipalLookup {
  principalFor(address: string): Principal | undefined;
}

export type ApiAuth =
  | { readonly ok: true; readonly principal: Principal; readonly key: ApiKeyRecord }
  | { readonly ok: false; readonly status: 401 | 429; readonly message: string };

const LISTENER = 'http';

export function authenticateBearer(header: string | undefined, clientIp: string, deps: { keys: ApiKeyLookup; users: PrincipalLookup; sending: SendingPolicy }): ApiAuth {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) return { ok: false, status: 401, message: 'no API key: send "Authorization: Bearer KEY" (create one with: hikyaku apikey create USER)' };
  const key = match[1] as string;
  // The login name the brute-force counters see: the key's public id, never the key.
  const login = `api-key:${apiKeyId(key) ?? 'malformed'}`;
  const blocked = deps.sending.authBlocked(login, clientIp, LISTENER);
  if (blocked !== undefined) return { ok: false, status: 429, message: 'too many failed authentications from this address; try again later' };
  const record = deps.keys.find(key);
  // A key outlives nothing: a removed user's keys authenticate no one.
  const principal = record === undefined ? undefined : deps.users.principalFor(record.user);
  if (record === undefined || principal === undefined) {
    deps.sending.authFailed(login, clientIp, LISTENER, 'bad-credentials');
    return { ok: false, status: 401, message: 'unknown or revoked API key' };
  }
  // The user's own principal (its password's: the same quotas and brake), named for the logs.
  return { ok: true, principal: { ...principal, credentialName: `api-key:${record.label}` }, key: record };
}
