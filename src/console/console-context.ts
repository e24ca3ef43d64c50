// What every console route module is given: the stores and the audit call.
import type { FastifyRequest } from 'fastify';
import type { AdminDatabase } from '../admins/admin-database.js';
import type { Logger } from '../log/logger.js';
import { adminOf } from './session-guard.js';

export interface ConsoleContext {
  readonly db: AdminDatabase;
  readonly logger: Logger;
  /** True when the listener is TLS (cookies get Secure). */
  readonly secure: boolean;
  /**
   * Records a change made through the console: one pino line with the
   * admin's name and a row in the audit table. Call it for EVERY change.
   */
  audit(request: FastifyRequest, action: string, details?: Readonly<Record<string, unknown>>): void;
}

export function consoleContext(db: AdminDatabase, logger: Logger, secure: boolean): ConsoleContext {
  return {
    db,
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
