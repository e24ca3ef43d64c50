// The session cookie: HttpOnly (scripts never see it), SameSite=Strict (no
// other site's page sends it), Secure when the listener is TLS (a loopback
// listener is plain HTTP, reached directly or through an SSH tunnel), Path
// limited to the console. No Max-Age: the browser forgets it when closed;
// the server ends it earlier on its own (session-store.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'hikyaku_console';
const PATH = '/console';

export function sessionIdOf(request: FastifyRequest): string | undefined {
  const value = request.cookies[SESSION_COOKIE];
  return value === undefined || value === '' ? undefined : value;
}

export function setSessionCookie(reply: FastifyReply, id: string, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, id, { path: PATH, httpOnly: true, sameSite: 'strict', secure });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, { path: PATH, httpOnly: true, sameSite: 'strict', secure });
}
