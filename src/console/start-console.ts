// What main.ts calls (once): opens console.db and registers the console on
// the HTTP listener's Fastify instance; close() when the server stops.
import type { FastifyInstance } from 'fastify';
import { openAdminDatabase } from '../admins/admin-database.js';
import { createResolver } from '../dns/resolver.js';
import type { Logger } from '../log/logger.js';
import type { ConsoleServices } from './console-context.js';
import type { DashboardSources } from './dashboard-routes.js';
import { DoctorLights } from './doctor-lights.js';
import { registerConsole, type ConsoleOptions } from './register-console.js';

export interface StartConsoleOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  readonly secure: boolean;
  readonly dashboard: Omit<DashboardSources, 'doctor'>;
  readonly services: ConsoleServices;
  readonly loginThrottle?: ConsoleOptions['loginThrottle'];
  /** How often the doctor's checks run in the background for the traffic lights. Default 6 hours. */
  readonly doctorIntervalMs?: number;
  /** The server's own periodic doctor (doctor.interval), shared instead of a second one; stopped by its owner. */
  readonly doctor?: DoctorLights;
}

export interface RunningConsole {
  /** The doctor's cached traffic lights (refresh() runs the checks again). */
  readonly doctor: DoctorLights;
  close(): Promise<void>;
}

export async function startConsole(app: FastifyInstance, options: StartConsoleOptions): Promise<RunningConsole> {
  const { config, domains } = options.services;
  const db = openAdminDatabase(options.dataDir);
  const shared = options.doctor;
  const doctor = shared ?? new DoctorLights({
    config,
    domains,
    resolver: createResolver({ servers: config.delivery.resolvers, timeoutMs: config.delivery.dnsTimeoutMs }),
    logger: options.logger,
    ...(options.doctorIntervalMs !== undefined ? { intervalMs: options.doctorIntervalMs } : {}),
  });
  try {
    await registerConsole(app, {
      db,
      services: options.services,
      logger: options.logger,
      secure: options.secure,
      dashboard: {
        ...options.dashboard,
        doctor: () => {
          doctor.ensureStarted();
          return doctor.latest();
        },
        refreshDoctor: () => {
          doctor.ensureStarted();
          void doctor.refresh();
        },
      },
      ...(options.loginThrottle ? { loginThrottle: options.loginThrottle } : {}),
    });
  } catch (err) {
    db.close();
    throw err;
  }
  return {
    doctor,
    async close() {
      if (shared === undefined) await doctor.stop();
      db.close();
    },
  };
}
