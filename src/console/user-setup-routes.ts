// The console's mail-client setup for one user (issue 10 point 9):
//   GET /console/api/users/:address/setup
// The same settings and the same bilingual table as `hikyaku user setup`
// (src/autoconfig/), plus the autoconfiguration links for that address.
import type { FastifyInstance } from 'fastify';
import { clientSettings, MOBILECONFIG_PATH, THUNDERBIRD_PATHS } from '../autoconfig/client-settings.js';
import { setupTable } from '../autoconfig/setup-table.js';
import type { ConsoleContext } from './console-context.js';

const params = { type: 'object', required: ['address'], properties: { address: { type: 'string', minLength: 1, maxLength: 320 } } } as const;

export function registerUserSetupRoutes(scope: FastifyInstance, context: ConsoleContext): void {
  const { config, users, domains } = context.services;
  const clientConfig = context.services.clientConfig ?? config;
  scope.get<{ Params: { address: string } }>('/users/:address/setup', { schema: { params } }, async (request, reply) => {
    const details = users.show(request.params.address);
    if (details === undefined) {
      return reply.code(404).send({ error: 'not-found', message: `no such user: ${request.params.address} (hikyaku user list shows the users)` });
    }
    const settings = clientSettings(clientConfig, details.address);
    const query = `?emailaddress=${encodeURIComponent(settings.address)}`;
    const served = config.listeners.http.enabled && config.autoconfig.enabled && domains.get(settings.domain) !== undefined;
    return {
      settings,
      table: setupTable(settings),
      // Links on this listener; clients themselves fetch them over HTTPS from autoconfig.DOMAIN (README).
      autoconfig: served
        ? { thunderbird: `${THUNDERBIRD_PATHS[0]}${query}`, mobileconfig: settings.imap === undefined ? undefined : `${MOBILECONFIG_PATH}${query}` }
        : undefined,
    };
  });
}
