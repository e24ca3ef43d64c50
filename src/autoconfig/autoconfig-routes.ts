// The autoconfiguration endpoints on the HTTP listener: a mail client given
// only an address fetches these and fills in the SMTP server by itself.
// Served only for the registered sending domains: for any other domain this
// server is not the right answer, and a 404 lets the client try elsewhere.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../log/logger.js';
import { AUTODISCOVER_PATHS, clientSettings, domainOfAddress, MOBILECONFIG_PATH, THUNDERBIRD_PATHS, type ClientSettings, type SettingsConfig } from './client-settings.js';
import { thunderbirdXml } from './thunderbird-xml.js';
import { autodiscoverXml, parseAutodiscoverRequest } from './autodiscover-xml.js';

export interface AutoconfigRouteOptions {
  readonly config: SettingsConfig;
  /** The registered sending domains (DomainStore): a domain is served when get() finds it. */
  readonly domains: { get(name: string): unknown };
  readonly logger: Logger;
}


/** A request body is one short address; anything larger is not Autodiscover. */
const AUTODISCOVER_BODY_LIMIT = 16_384;

const query = {
  hide: true,
  querystring: { type: 'object', properties: { emailaddress: { type: 'string', maxLength: 320 } } },
} as const;

type Query = { Querystring: { emailaddress?: string } };

export async function registerAutoconfigRoutes(app: FastifyInstance, options: AutoconfigRouteOptions): Promise<void> {
  // Encapsulated: the XML body parser applies to these routes only.
  await app.register(async (scope) => {
    // Outlook sends text/xml; other clients vary (or send none): every body here is read as text.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: AUTODISCOVER_BODY_LIMIT }, (_request, body, done) => done(null, body));
    for (const path of THUNDERBIRD_PATHS) {
      scope.get<Query>(path, { schema: query }, async (request, reply) => {
        const settings = settingsFor(request, reply, options);
        if (settings === undefined) return reply;
        return xml(reply, thunderbirdXml(settings));
      });
    }
    for (const path of AUTODISCOVER_PATHS) {
      scope.post(path, { schema: { hide: true } }, async (request, reply) => {
        const parsed = parseAutodiscoverRequest(typeof request.body === 'string' ? request.body : '');
        if (!parsed.ok) return reply.code(400).send({ error: 'invalid-request', message: `Autodiscover: ${parsed.problem}` });
        const settings = servedSettings(reply, options, parsed.emailAddress);
        if (settings === undefined) return reply;
        return xml(reply, autodiscoverXml(settings));
      });
    }
    scope.get<Query>(MOBILECONFIG_PATH, { schema: query }, async (request, reply) => {
      const address = request.query.emailaddress;
      if (address === undefined) return missingAddress(reply);
      const settings = servedSettings(reply, options, address);
      if (settings === undefined) return reply;
      // Loaded at the first download: the plist library costs about as much start-up time as Fastify's core.
      const { mobileconfig, MOBILECONFIG_TYPE } = await import('./mobileconfig.js');
      const profile = mobileconfig(settings);
      if (profile === undefined) {
        return reply.code(404).send({
          error: 'no-incoming-server',
          message: 'an Apple profile must name an incoming (IMAP) server, and none is configured: set autoconfig.imapHost (and autoconfig.imapPort) in the configuration and restart',
        });
      }
      return reply
        .header('content-type', MOBILECONFIG_TYPE)
        .header('content-disposition', `attachment; filename="${settings.domain}.mobileconfig"`)
        .header('cache-control', 'no-store')
        .send(profile);
    });
  });
}

function xml(reply: FastifyReply, body: string): FastifyReply {
  return reply.header('content-type', 'application/xml; charset=utf-8').header('cache-control', 'no-store').send(body);
}

function missingAddress(reply: FastifyReply): FastifyReply {
  return reply.code(400).send({ error: 'invalid-request', message: 'add the mail address to configure: ?emailaddress=user@example.com' });
}

/** Thunderbird sends ?emailaddress=; on the autoconfig.DOMAIN host the Host header names the domain too. */
function settingsFor(request: FastifyRequest<Query>, reply: FastifyReply, options: AutoconfigRouteOptions): ClientSettings | undefined {
  const address = request.query.emailaddress;
  if (address !== undefined) return servedSettings(reply, options, address);
  const host = (request.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
  if (!host.startsWith('autoconfig.')) {
    missingAddress(reply);
    return undefined;
  }
  // Thunderbird's own placeholder: it puts the address the user typed there.
  return served(reply, options, host.slice('autoconfig.'.length), '%EMAILADDRESS%');
}

function servedSettings(reply: FastifyReply, options: AutoconfigRouteOptions, address: string): ClientSettings | undefined {
  const domain = domainOfAddress(address);
  if (domain === undefined) {
    reply.code(400).send({ error: 'invalid-request', message: `"${address}" is not a mail address (expected user@example.com)` });
    return undefined;
  }
  return served(reply, options, domain, address);
}

function served(reply: FastifyReply, options: AutoconfigRouteOptions, domain: string, address: string): ClientSettings | undefined {
  if (options.domains.get(domain) === undefined) {
    reply.code(404).send({
      error: 'unknown-domain',
      message: `${domain} is not a sending domain of this server: autoconfiguration is served only for registered domains (the admin adds one with: hikyaku domain add ${domain})`,
    });
    return undefined;
  }
  return { ...clientSettings(options.config, address), domain };
}
