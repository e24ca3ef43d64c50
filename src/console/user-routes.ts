// The users page's API (issue 10 point 8): users, their app passwords and
// API keys (created with the secret shown once, listed, revoked), usage
// against the quotas from the server's live counters, and the suppression
// list. The same store calls as `hikyaku user`, `user app-password`,
// `apikey` and `suppression`; every change is audited (never with a secret).
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { QuotaLimits } from '../config/types.js';
import { normalizeAddress } from '../core/address.js';
import { credentialKeyOf } from '../policy/sender.js';
import { brakeHoldReason } from '../policy/sending-policy.js';
import { SuppressionStoreError } from '../policy/suppression-store.js';
import type { AppPasswordRecord, QuotaOverrides, UserDetails } from '../users/principal.js';
import { UserStoreError } from '../users/user-store.js';
import type { ConsoleContext } from './console-context.js';
import { adminOf } from './session-guard.js';

const STATUS: Record<UserStoreError['code'], number> = {
  exists: 409,
  'not-found': 404,
  'invalid-address': 400,
  'weak-password': 400,
  'invalid-pattern': 400,
  'invalid-network': 400,
  'invalid-quota': 400,
  'invalid-label': 400,
};

function refuse(reply: FastifyReply, err: unknown) {
  if (err instanceof UserStoreError) return reply.code(STATUS[err.code]).send({ error: err.code, message: err.message });
  if (err instanceof SuppressionStoreError) return reply.code(400).send({ error: err.code, message: err.message });
  throw err;
}

const address = { type: 'string', minLength: 3, maxLength: 320 } as const;
const label = { type: 'string', minLength: 1, maxLength: 64 } as const;
const userParams = { type: 'object', required: ['address'], properties: { address } } as const;
const labelParams = { type: 'object', required: ['address', 'label'], properties: { address, label } } as const;
const body = (properties: Record<string, unknown>, required: readonly string[]) => ({ type: 'object', additionalProperties: false, required, properties }) as const;

/** A limit as the page shows it: null = none (0 in the configuration means no limit). */
const limitOf = (n: number | undefined): number | null => (n === undefined || n === 0 ? null : n);

export function registerUserRoutes(scope: FastifyInstance, context: ConsoleContext): void {
  const { users, apiKeys, suppression, config, quotas, queue } = context.services;

  /** Sent this hour / day against the limits that apply (the credential's override, else the configured default). */
  const usage = (user: string, appLabel: string | undefined, overrides: QuotaOverrides) => {
    const defaults: QuotaLimits = appLabel === undefined ? config.quotas.user : config.quotas.appPassword;
    const used = quotas?.usage(credentialKeyOf(user, appLabel), Date.now());
    return {
      hour: used?.hour ?? null,
      day: used?.day ?? null,
      limitPerHour: limitOf(overrides.messagesPerHour ?? defaults.messagesPerHour),
      limitPerDay: limitOf(overrides.messagesPerDay ?? defaults.messagesPerDay),
      recipientsPerMessage: limitOf(overrides.recipientsPerMessage ?? defaults.recipientsPerMessage),
    };
  };
  const appPasswordJson = (user: string, a: AppPasswordRecord) => ({
    label: a.label,
    createdAtMs: a.createdAtMs,
    networks: a.networks,
    maySendAs: a.maySendAs,
    flag: a.flag ?? null,
    usage: usage(user, a.label, a.quota),
  });
  const userJson = (d: UserDetails) => ({
    address: d.address,
    createdAtMs: d.createdAtMs,
    updatedAtMs: d.updatedAtMs,
    maySendAs: d.maySendAs,
    senderCheck: d.senderCheck,
    flag: d.flag ?? null,
    usage: usage(d.address, undefined, d.quota),
    appPasswords: d.appPasswords.map((a) => appPasswordJson(d.address, a)),
    apiKeys: apiKeys.list(d.address).map((k) => ({ id: k.id, label: k.label, createdAtMs: k.createdAtMs })),
  });

  scope.get('/users', async () => ({
    quotasLive: quotas !== undefined,
    users: users
      .list()
      .map((u) => users.show(u.address))
      .filter((d): d is UserDetails => d !== undefined)
      .map(userJson),
  }));

  scope.post<{ Body: { address: string; password: string } }>(
    '/users',
    { schema: { body: body({ address, password: { type: 'string', minLength: 1, maxLength: 1024 } }, ['address', 'password']) } },
    async (request, reply) => {
      try {
        await users.add(request.body.address, request.body.password);
      } catch (err) {
        return refuse(reply, err);
      }
      const canonical = normalizeAddress(request.body.address);
      context.audit(request, 'user.add', { user: canonical });
      return reply.code(201).send({ user: userJson(users.show(canonical) as UserDetails) });
    },
  );

  scope.delete<{ Params: { address: string } }>('/users/:address', { schema: { params: userParams } }, async (request, reply) => {
    const user = normalizeAddress(request.params.address);
    const keys = apiKeys.list(user);
    if (!users.remove(user)) return reply.code(404).send({ error: 'not-found', message: `no such user: ${user}` });
    // Its API keys stop working with the user (api-keys.ts joins on users); their rows go too, so none is listed.
    for (const key of keys) apiKeys.revoke(user, key.id);
    context.audit(request, 'user.remove', { user, apiKeysRevoked: keys.length });
    return { removed: user, apiKeysRevoked: keys.length };
  });

  // "Disable" is the CLI's flag: every credential of the user stops sending; unflag also releases what the brake held.
  scope.post<{ Params: { address: string }; Body: { disabled: boolean; reason?: string } }>(
    '/users/:address/disabled',
    { schema: { params: userParams, body: body({ disabled: { type: 'boolean' }, reason: { type: 'string', minLength: 1, maxLength: 500 } }, ['disabled']) } },
    async (request, reply) => {
      const user = normalizeAddress(request.params.address);
      const { disabled, reason } = request.body;
      const done = disabled ? users.flag(user, undefined, reason ?? `disabled in the web console by ${adminOf(request)}`) : users.unflag(user);
      if (!done) return reply.code(404).send({ error: 'not-found', message: `no such user: ${user}` });
      let released = 0;
      if (!disabled) {
        const keys = [credentialKeyOf(user, undefined), ...users.listAppPasswords(user).map((a) => credentialKeyOf(user, a.label))];
        for (const key of keys) released += await queue.releaseHeld(brakeHoldReason(key));
      }
      context.audit(request, disabled ? 'user.disable' : 'user.enable', { user, ...(disabled ? { reason: reason ?? null } : { released }) });
      return { user, disabled, released };
    },
  );

  scope.post<{ Params: { address: string }; Body: { label: string } }>(
    '/users/:address/app-passwords',
    { schema: { params: userParams, body: body({ label }, ['label']) } },
    async (request, reply) => {
      let password: string;
      try {
        password = users.addAppPassword(request.params.address, { label: request.body.label });
      } catch (err) {
        return refuse(reply, err);
      }
      const user = normalizeAddress(request.params.address);
      context.audit(request, 'user.app-password.add', { user, label: request.body.label });
      // The only time the secret leaves the server: users.db keeps a hash.
      return reply.code(201).send({ user, label: request.body.label, password });
    },
  );

  scope.delete<{ Params: { address: string; label: string } }>('/users/:address/app-passwords/:label', { schema: { params: labelParams } }, async (request, reply) => {
    const user = normalizeAddress(request.params.address);
    if (!users.revokeAppPassword(user, request.params.label)) {
      return reply.code(404).send({ error: 'not-found', message: `${user} has no app password labelled ${request.params.label}` });
    }
    context.audit(request, 'user.app-password.revoke', { user, label: request.params.label });
    return { user, revoked: request.params.label };
  });

  scope.post<{ Params: { address: string }; Body: { label: string } }>(
    '/users/:address/api-keys',
    { schema: { params: userParams, body: body({ label }, ['label']) } },
    async (request, reply) => {
      let created;
      try {
        created = apiKeys.create(request.params.address, request.body.label);
      } catch (err) {
        return refuse(reply, err);
      }
      context.audit(request, 'apikey.create', { user: created.record.user, label: created.record.label, id: created.record.id });
      return reply.code(201).send({ user: created.record.user, id: created.record.id, label: created.record.label, key: created.key });
    },
  );

  scope.delete<{ Params: { address: string; label: string } }>('/users/:address/api-keys/:label', { schema: { params: labelParams } }, async (request, reply) => {
    const user = normalizeAddress(request.params.address);
    if (!apiKeys.revoke(user, request.params.label)) {
      return reply.code(404).send({ error: 'not-found', message: `${user} has no API key with label or id ${request.params.label}` });
    }
    context.audit(request, 'apikey.revoke', { user, key: request.params.label });
    return { user, revoked: request.params.label };
  });

  scope.get<{ Querystring: { limit: number } }>(
    '/suppressions',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 5000, default: 500 } } } } },
    async (request) => {
      const entries = suppression.list({ limit: request.query.limit + 1 });
      return {
        entries: entries.slice(0, request.query.limit).map((e) => ({
          recipient: e.recipient,
          sendingDomain: e.sendingDomain,
          reason: e.reason,
          source: e.source,
          createdAtMs: e.createdAtMs,
          expiresAtMs: e.expiresAtMs ?? null,
        })),
        more: entries.length > request.query.limit,
      };
    },
  );

  // DELETE with a body: a recipient address does not belong in a path segment that logs keep.
  scope.post<{ Body: { recipient: string; sendingDomain: string } }>(
    '/suppressions/remove',
    { schema: { body: body({ recipient: address, sendingDomain: { type: 'string', maxLength: 253 } }, ['recipient', 'sendingDomain']) } },
    async (request, reply) => {
      const { recipient, sendingDomain } = request.body;
      const removed = suppression.remove(recipient, sendingDomain);
      if (removed === 0) return reply.code(404).send({ error: 'not-found', message: `${recipient} is not on the suppression list for ${sendingDomain === '' ? 'every sending domain' : sendingDomain}` });
      context.audit(request, 'suppression.remove', { recipient, sendingDomain });
      return { removed };
    },
  );
}
