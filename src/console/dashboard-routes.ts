// GET /console/api/dashboard: everything the dashboard shows, in one answer
// the page polls (a few cheap reads; nothing here runs the doctor or scans
// the queue).
import type { FastifyInstance } from 'fastify';
import type { ConsoleContext } from './console-context.js';

export interface QueueStats {
  readonly messages: number;
  readonly oldestCreatedAtMs: number | undefined;
}

export interface DashboardSources {
  queueStats(): QueueStats;
}

export function registerDashboardRoutes(scope: FastifyInstance, _context: ConsoleContext, sources: DashboardSources): void {
  scope.get('/dashboard', async () => {
    const queue = sources.queueStats();
    return {
      nowMs: Date.now(),
      queue: { messages: queue.messages, oldestCreatedAtMs: queue.oldestCreatedAtMs ?? null },
    };
  });
}
