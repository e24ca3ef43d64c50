// GET /console/api/dashboard: everything the dashboard shows, in one answer
// the page polls (a few cheap reads; nothing here runs the doctor or scans
// the queue).
import type { FastifyInstance } from 'fastify';
import type { ConsoleContext } from './console-context.js';
import type { DomainLight, DoctorSnapshot } from './doctor-lights.js';

export interface QueueStats {
  readonly messages: number;
  readonly oldestCreatedAtMs: number | undefined;
}

export interface DashboardSources {
  queueStats(): QueueStats;
  /** The doctor's cached result (doctor-lights.ts): never runs a check. */
  doctor(): DoctorSnapshot;
}

function lightJson(light: DomainLight) {
  return {
    domain: light.domain,
    light: light.light,
    problems: light.problems.map((f) => ({ id: f.id, status: f.status, title: f.title, fix: f.fix ?? null })),
  };
}

export function registerDashboardRoutes(scope: FastifyInstance, _context: ConsoleContext, sources: DashboardSources): void {
  scope.get('/dashboard', async () => {
    const queue = sources.queueStats();
    const doctor = sources.doctor();
    return {
      nowMs: Date.now(),
      queue: { messages: queue.messages, oldestCreatedAtMs: queue.oldestCreatedAtMs ?? null },
      doctor: {
        checkedAtMs: doctor.checkedAtMs ?? null,
        running: doctor.running,
        domains: doctor.domains.map(lightJson),
        server: doctor.server === undefined ? null : lightJson(doctor.server),
      },
    };
  });
}
