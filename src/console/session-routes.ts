// Login, logout and "who am I": the only routes that create or end sessions.
//
// Login failures are counted per client address and per admin name with the
// same AuthThrottle the SMTP AUTH path uses (a separate instance, tighter
// limits); past the limit the answer is 429 with Retry-After, before any
// password is checked. An unknown name costs the same scrypt time as a
// wrong password (verifyDummy), so names cannot be probed by timing.
import type { FastifyInstance } from 'fastify';
import { totpStep } from '../admins/totp.js';
import { AuthThrottle } from '../policy/auth-throttle.js';
import { verifyDummy, verifyPassword } from '../users/password.js';
import type { ConsoleContext } from './console-context.js';
import { clearSessionCookie, sessionIdOf, setSessionCookie } from './session-cookie.js';
import { adminOf } from './session-guard.js';

export interface LoginThrottleOptions {
  readonly maxFailuresPerClient?: number;
  readonly maxFailuresPerLogin?: number;
  readonly blockMs?: number;
}

const loginBody = {
  type: 'object',
  required: ['name', 'password'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
    totp: { type: 'string', maxLength: 16 },
  },
} as const;

interface LoginBody {
  name: string;
  password: string;
  totp?: string;
}

export function registerSessionRoutes(scope: FastifyInstance, context: ConsoleContext, throttleOptions: LoginThrottleOptions = {}): void {
  const { db, logger, secure } = context;
  const throttle = new AuthThrottle({
    maxFailuresPerClient: throttleOptions.maxFailuresPerClient ?? 10,
    maxFailuresPerLogin: throttleOptions.maxFailuresPerLogin ?? 5,
    blockMs: throttleOptions.blockMs ?? 15 * 60_000,
  });
  // The last TOTP step each admin logged in with: a code works once (RFC 6238 §5.2).
  const usedTotpSteps = new Map<string, number>();

  scope.post<{ Body: LoginBody }>('/login', { config: { public: true }, schema: { body: loginBody } }, async (request, reply) => {
    const { name, password, totp } = request.body;
    const now = Date.now();
    const refuse = (untilMs: number) => {
      const seconds = Math.max(1, Math.ceil((untilMs - now) / 1000));
      return reply
        .code(429)
        .header('retry-after', String(seconds))
        .send({ error: 'throttled', message: `too many failed logins: try again in ${seconds} s`, retryAfterSeconds: seconds });
    };
    const blocked = throttle.isBlocked(request.ip, name, now);
    if (blocked !== undefined) return refuse(blocked.untilMs);

    const admin = db.admins.get(name);
    const passwordOk = admin === undefined ? await verifyDummy(password) : await verifyPassword(password, admin.passwordHash);
    if (admin !== undefined && passwordOk && admin.totpSecret !== undefined && (totp === undefined || totp.trim() === '')) {
      // The password was right: ask for the code without counting a failure.
      return reply.code(401).send({ error: 'totp-required', message: 'enter the 6-digit code from your authenticator app' });
    }
    const step = admin?.totpSecret === undefined ? undefined : totpStep(admin.name, admin.totpSecret, totp ?? '', now);
    const totpOk = admin?.totpSecret === undefined || (step !== undefined && step > (usedTotpSteps.get(admin.name) ?? -1));
    if (admin === undefined || !passwordOk || !totpOk) {
      const block = throttle.recordFailure(request.ip, name, now);
      logger.warn({ console: true, admin: name, ip: request.ip, reason: !passwordOk ? 'password' : 'totp' }, 'console login failed');
      if (block !== undefined) return refuse(block.untilMs);
      return reply.code(401).send({ error: 'bad-credentials', message: 'wrong name, password or code' });
    }
    throttle.recordSuccess(request.ip, name, now);
    if (step !== undefined) usedTotpSteps.set(admin.name, step);
    const { id, session } = db.sessions.create(admin.name, now);
    setSessionCookie(reply, id, secure);
    request.consoleSession = session;
    context.audit(request, 'login', { ip: request.ip, totp: step !== undefined });
    return { name: session.admin, csrfToken: session.csrfToken };
  });

  scope.post('/logout', async (request, reply) => {
    const id = sessionIdOf(request);
    if (id !== undefined) context.db.sessions.delete(id);
    clearSessionCookie(reply, secure);
    context.audit(request, 'logout', { ip: request.ip });
    return { ok: true };
  });

  scope.get('/session', async (request) => {
    const session = request.consoleSession;
    return { name: adminOf(request), csrfToken: session?.csrfToken ?? '' };
  });
}
