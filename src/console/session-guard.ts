// The guard of every /console/api route: a live session (401 otherwise)
// and, for any change (every method but GET and HEAD), the session's CSRF
// token in the x-csrf-token header (403 otherwise). SameSite=Strict already
// keeps other sites' requests from carrying the cookie; the token is the
// second, independent wall (old browsers, same-site subdomains).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionStore, Session } from '../admins/session-store.js';
import { sessionIdOf } from './session-cookie.js';

export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyRequest {
    /** The console session, set by requireSession. */
    consoleSession: Session | null;
  }
  interface FastifyContextConfig {
    /** A /console/api route reachable without a session (login). */
    public?: boolean;
  }
}

/** The logged-in admin's name (only inside a route the guard let through). */
export function adminOf(request: FastifyRequest): string {
  const session = request.consoleSession;
  if (session === null) throw new Error('adminOf called on a request without a console session');
  return session.admin;
}

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

export function sessionGuard(sessions: SessionStore) {
  return async function requireSession(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.routeOptions.config.public === true) return;
    const id = sessionIdOf(request);
    const session = id === undefined ? undefined : sessions.find(id);
    if (session === undefined) {
      return reply.code(401).send({ error: 'unauthenticated', message: 'not logged in, or the session has expired: log in again at /console/login' });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const token = request.headers[CSRF_HEADER];
      if (typeof token !== 'string' || !sameSecret(token, session.csrfToken)) {
        return reply.code(403).send({ error: 'csrf', message: `missing or wrong ${CSRF_HEADER} header: reload the console page and try again` });
      }
    }
    request.consoleSession = session;
  };
}
