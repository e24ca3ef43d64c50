// Bulk mail as the running server wires it (main.ts): the rewriter intake
// calls, and the unsubscribe pages for the HTTP listener. The signing key
// is made when bulk.unsubscribeUrl is first set, and kept: links already
// sent keep working should the setting be removed later.
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../log/logger.js';
import { BulkMail } from './bulk-mail.js';
import { registerUnsubscribeRoutes } from './unsubscribe-routes.js';
import { loadOrCreateUnsubscribeKey, unsubscribeKeyPath, UnsubscribeTokens, type UnsubscribeSubject } from './unsubscribe-token.js';

export interface ServerBulk {
  /** For intake; undefined when no unsubscribe URL is configured. */
  readonly rewriter: BulkMail | undefined;
  /** Serves /unsubscribe/TOKEN when links can exist (a URL is set or was once). */
  register(app: FastifyInstance, unsubscribe: (subject: UnsubscribeSubject, reason: string) => void, logger: Logger): Promise<void>;
}

export function openServerBulk(dataDir: string, unsubscribeUrl: string | undefined): ServerBulk {
  const key = unsubscribeUrl !== undefined || existsSync(unsubscribeKeyPath(dataDir)) ? loadOrCreateUnsubscribeKey(dataDir) : undefined;
  const tokens = key === undefined ? undefined : new UnsubscribeTokens(key);
  return {
    rewriter: tokens === undefined || unsubscribeUrl === undefined ? undefined : new BulkMail(unsubscribeUrl, tokens),
    register: async (app, unsubscribe, logger) => {
      if (tokens !== undefined) await registerUnsubscribeRoutes(app, { tokens, unsubscribe, logger });
    },
  };
}
