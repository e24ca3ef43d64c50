// The web console on the HTTP listener: the single-page app under /console/
// and its JSON API under /console/api/ (see README.md in this folder).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminDatabase } from '../admins/admin-database.js';
import type { Logger } from '../log/logger.js';
import { consoleContext, type ConsoleContext, type ConsoleServices } from './console-context.js';
import { registerQueueRoutes } from './queue-routes.js';
import { registerDomainRoutes } from './domain-routes.js';
import { registerUserRoutes } from './user-routes.js';
import { registerDashboardRoutes, type DashboardSources } from './dashboard-routes.js';
import { sessionGuard } from './session-guard.js';
import { registerSessionRoutes, type LoginThrottleOptions } from './session-routes.js';
import { registerUserSetupRoutes } from './user-setup-routes.js';

export interface ConsoleOptions {
  readonly db: AdminDatabase;
  readonly services: ConsoleServices;
  readonly logger: Logger;
  /** True when the listener is TLS. */
  readonly secure: boolean;
  readonly dashboard: DashboardSources;
  readonly loginThrottle?: LoginThrottleOptions;
  /** The built app (dist/console); default: beside the compiled server code. */
  readonly staticRoot?: string;
}

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** dist/src/console/register-console.js → dist/console/ (written by `npm run build`, vite). */
const DEFAULT_STATIC_ROOT = fileURLToPath(new URL('../../console/', import.meta.url));

export async function registerConsole(app: FastifyInstance, options: ConsoleOptions): Promise<ConsoleContext> {
  const context = consoleContext(options.db, options.services, options.logger, options.secure);
  const root = options.staticRoot ?? DEFAULT_STATIC_ROOT;
  const built = existsSync(`${root}/index.html`);
  if (!built) options.logger.warn({ root }, 'web console not built (run npm run build): /console/ answers 503');

  await app.register(cookie);
  // Every console answer: scripts, styles and data only from here (an injected <script> or a
  // foreign image would not load), never inside another site's frame, no Referer to other sites.
  app.addHook('onSend', async (request, reply) => {
    if (!request.url.startsWith('/console')) return;
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
  });
  await app.register(async (scope) => {
    scope.decorateRequest('consoleSession', null);
    scope.addHook('preHandler', sessionGuard(options.db.sessions));
    registerApiRoutes(scope, context, options);
    // Unknown API paths answer JSON 404 (the session guard runs first: no probing without a session).
    scope.all('/*', async (request, reply) => reply.code(404).send({ error: 'not-found', message: `no such console endpoint: ${request.method} ${request.url.split('?')[0]}` }));
  }, { prefix: '/console/api' });

  if (built) {
    // wildcard: false → one route per built file (found at start), so that '/console/*' below stays the SPA's.
    await app.register(fastifyStatic, {
      root,
      prefix: '/console/',
      wildcard: false,
      index: false,
      cacheControl: false,
      setHeaders(reply, path) {
        // Hashed asset names (vite): cached for a year; index.html never (it names the current assets).
        reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-store');
      },
    });
  }
  // Every other /console path is a client-side route: the app's index.html.
  const index = async (request: FastifyRequest, reply: FastifyReply) => {
    // A missing asset is a 404, not the app (a browser would try to run HTML as a script).
    if (request.url.startsWith('/console/assets/')) return reply.code(404).send({ error: 'not-found', message: `no such file: ${request.url.split('?')[0]}` });
    if (!built) return reply.code(503).send({ error: 'console-not-built', message: 'the web console was not built: run npm run build' });
    return reply.header('cache-control', 'no-store').sendFile('index.html', root);
  };
  app.get('/console', async (_request, reply) => reply.redirect('/console/'));
  app.get('/console/', index);
  app.get('/console/*', index);
  return context;
}

/** Every /console/api route module: one line each (they all run behind the session guard). */
function registerApiRoutes(scope: FastifyInstance, context: ConsoleContext, options: ConsoleOptions): void {
  registerSessionRoutes(scope, context, options.loginThrottle);
  registerDashboardRoutes(scope, context, options.dashboard);
  registerQueueRoutes(scope, context, options.dashboard.history);
  registerDomainRoutes(scope, context, options.dashboard);
  registerUserRoutes(scope, context);
  registerUserSetupRoutes(scope, context);
}
