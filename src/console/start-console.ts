// What main.ts calls (once): opens console.db and registers the console on
// the HTTP listener's Fastify instance; close() when the server stops.
import type { FastifyInstance } from 'fastify';
import { openAdminDatabase } from '../admins/admin-database.js';
import type { Logger } from '../log/logger.js';
import type { ConsoleServices } from './console-context.js';
import type { DashboardSources } from './dashboard-routes.js';
import { registerConsole, type ConsoleOptions } from './register-console.js';

export interface StartConsoleOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  readonly secure: boolean;
  readonly dashboard: DashboardSources;
  readonly services: ConsoleServices;
  readonly loginThrottle?: ConsoleOptions['loginThrottle'];
}

export interface RunningConsole {
  close(): void;
}

export async function startConsole(app: FastifyInstance, options: StartConsoleOptions): Promise<RunningConsole> {
  const db = openAdminDatabase(options.dataDir);
  try {
    await registerConsole(app, { db, services: options.services, logger: options.logger, secure: options.secure, dashboard: options.dashboard, ...(options.loginThrottle ? { loginThrottle: options.loginThrottle } : {}) });
  } catch (err) {
    db.close();
    throw err;
  }
  return { close: () => db.close() };
}
