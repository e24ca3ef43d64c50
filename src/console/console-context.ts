// What every console route module is given: the stores and the audit call.
import type { FastifyRequest } from 'fastify';
import type { AdminDatabase } from '../admins/admin-database.js';
import type { Config } from '../config/types.js';
import type { DomainStore } from '../domains/domain-store.js';
import type { Logger } from '../log/logger.js';
import type { QuotaCounter } from '../policy/quota-counter.js';
import type { SuppressionStore } from '../policy/suppression-store.js';
import type { QueueStore } from '../queue/queue-store.js';
import type { ApiKeyStore } from '../users/api-keys.js';
import type { UserStore } from '../users/user-store.js';
import type { SettingsConfig } from '../autoconfig/client-settings.js';
import { adminOf } from './session-guard.js';

/** The server's stores, as main.ts opened them (the console changes the same ones the server uses). */
export interface ConsoleServices {
  readonly config: Config;
  /** The queue as intake and the scheduler see it (webhook events included). */
  readonly queue: QueueStore;
  readonly domains: DomainStore;
  readonly users: UserStore;
  readonly apiKeys: ApiKeyStore;
  readonly suppression: SuppressionStore;
  /** The server's live quota counters (policy/policy-counters.ts), for usage against limits; absent: no usage shown. */
  readonly quotas?: QuotaCounter;
  /** The configuration mail clients are told about (the ports the listeners bound); default: config. */
  readonly clientConfig?: SettingsConfig;
}

export interface ConsoleContext {
  readonly db: AdminDatabase;
  readonly services: ConsoleServices;
  readonly logger: Logger;
  /** True when the listener is TLS (cookies get Secure). */
  readonly secure: boolean;
  /**
   * Records a change made through the console: one pino line with the
   * admin's name and a row in the audit table. Call it for EVERY change.
   */
  audit(request: FastifyRequest, action: string, details?: Readonly<Record<string, unknown>>): void;
}

export function consoleContext(db: AdminDatabase, services: ConsoleServices, logger: Logger, secure: boolean): ConsoleContext {
  return {
    db,
    services,
    logger,
    secure,
    audit(request, action, details = {}) {
      const admin = adminOf(request);
      logger.info({ audit: true, admin, action, details, ip: request.ip }, `console: ${action} by ${admin}`);
      try {
        db.audit.record({ atMs: Date.now(), admin, action, details });
      } catch (err) {
        // The change is made; the log line above already records it.
        logger.error({ err, admin, action }, 'could not write the console audit row');
      }
    },
  };
}
