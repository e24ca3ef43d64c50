// The one HTTP server of the process: the API now, the web console later.
// Fastify (schema validation, @fastify/swagger for the OpenAPI document);
// modules register their routes on the instance before it listens.
//
// Plain HTTP on a loopback address (only this host's programs reach it);
// on any other address HTTPS with the server certificate, reloaded with it.
// Errors are JSON, never a stack trace: schema errors become 400 with the
// field path and what is allowed, a body too large 413, anything
// unexpected 500 with a line in the log.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Server as HttpsServer } from 'node:https';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { TlsConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { serverTlsOptions } from '../tls/tls-options.js';
import type { TlsMaterialSource } from '../submission/listeners.js';
import type { FieldProblem } from './compose.js';

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly tlsConfig: TlsConfig;
  readonly certificates: TlsMaterialSource;
  readonly logger: Logger;
  /** Largest request body, in bytes. */
  readonly bodyLimit: number;
  /** GET /metrics (Prometheus text format), when given; `token`: the bearer token it requires. */
  readonly metrics?: MetricsEndpoint | undefined;
}

export interface MetricsEndpoint {
  render(): Promise<string>;
  readonly contentType: string;
  readonly token: string | undefined;
}

export interface HttpServer {
  readonly app: FastifyInstance;
  readonly secure: boolean;
  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number>;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** The 400 body for schema errors and our own field checks. */
export function invalidRequest(fields: readonly FieldProblem[]): { error: string; message: string; fields: readonly FieldProblem[] } {
  return { error: 'invalid-request', message: fields.map((f) => `${f.path || '(body)'}: ${f.problem}`).join('; '), fields };
}

interface AjvError {
  readonly instancePath?: string;
  readonly keyword?: string;
  readonly message?: string;
  readonly params?: Record<string, unknown>;
}

/** An Ajv error as {path, problem}: `/to/0` → `to[0]`, with what is allowed. */
export function fieldProblem(error: AjvError, prefix = ''): FieldProblem {
  let path = (error.instancePath ?? '')
    .split('/')
    .filter((p) => p !== '')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc === '' ? part : `${acc}.${part}`), prefix);
  const params = error.params ?? {};
  let problem = error.message ?? 'invalid';
  if (error.keyword === 'required' && typeof params['missingProperty'] === 'string') {
    path = path === '' ? params['missingProperty'] : `${path}.${params['missingProperty']}`;
    problem = 'required';
  } else if (error.keyword === 'additionalProperties' && typeof params['additionalProperty'] === 'string') {
    path = path === '' ? params['additionalProperty'] : `${path}.${params['additionalProperty']}`;
    problem = 'unknown field (not allowed here)';
  } else if (error.keyword === 'enum' && Array.isArray(params['allowedValues'])) {
    problem = `must be one of: ${(params['allowedValues'] as unknown[]).join(', ')}`;
  }
  return { path, problem };
}

export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { logger } = options;
  const secure = !isLoopback(options.host);
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit,
    // Clients behind the same proxy are not our case: the socket's address is the client.
    trustProxy: false,
    ajv: { customOptions: { allErrors: true, removeAdditional: false } },
    ...(secure ? { https: serverTlsOptions(options.tlsConfig, options.certificates.current()) } : {}),
  }) as unknown as FastifyInstance;

  if (secure) {
    options.certificates.onChange((next) => {
      (app.server as HttpsServer).setSecureContext(serverTlsOptions(options.tlsConfig, next));
      logger.info({ listener: 'http' }, 'TLS certificate reloaded');
    });
  }

  // Awaited: @fastify/swagger sees only the routes added after it is loaded.
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Hikyaku HTTP API',
        version: '1',
        description: 'Send mail through Hikyaku. Authenticate with `Authorization: Bearer KEY` (a key from `hikyaku apikey create USER`).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const prefix = error.validationContext === 'querystring' ? 'query' : '';
      const fields = error.validation.map((e) => fieldProblem(e as AjvError, prefix === '' ? '' : prefix));
      return reply.code(400).send(invalidRequest(fields));
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) {
      return reply.code(413).send({ error: 'too-large', message: `request body larger than ${options.bodyLimit} bytes` });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send({ error: 'unsupported-media-type', message: 'send application/json, or message/rfc822 with the envelope in the query' });
    }
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return reply.code(400).send({ error: 'invalid-json', message: `the body is not valid JSON: ${error.message}` });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ error: 'bad-request', message: error.message });
    }
    logger.error({ err: error, method: request.method, url: request.url }, 'HTTP request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error; see the server log' });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'not-found', message: `no such endpoint: ${request.method} ${request.url.split('?')[0]}` }));

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  if (options.metrics !== undefined) registerMetricsRoute(app, options.metrics);

  return {
    app,
    secure,
    async listen() {
      await app.listen({ host: options.host, port: options.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : options.port;
      logger.info({ listener: 'http', host: options.host, port, tls: secure }, 'listening');
      return port;
    },
    close: () => app.close(),
  };
}

/** Both sides hashed first: equal lengths for timingSafeEqual, and no length leak. */
function sameToken(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function registerMetricsRoute(app: FastifyInstance, metrics: MetricsEndpoint): void {
  const { token } = metrics;
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (token !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
      if (match === null || !sameToken(match[1] as string, token)) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'GET /metrics needs "Authorization: Bearer TOKEN" (metrics.token)' });
      }
    }
    const body = await metrics.render();
    return reply.header('content-type', metrics.contentType).send(body);
  });
}
