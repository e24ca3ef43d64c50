// GET /console/api/dashboard: everything the dashboard shows, in one answer
// the page polls (a few cheap reads; nothing here runs the doctor or scans
// the queue).
import type { FastifyInstance } from 'fastify';
import type { HistoryReader, HistorySeriesPoint } from '../history/history-types.js';
import type { ConsoleContext } from './console-context.js';
import type { DomainLight, DoctorSnapshot } from './doctor-lights.js';

export interface QueueStats {
  readonly messages: number;
  readonly oldestCreatedAtMs: number | undefined;
}

/** What the dashboard reads from the delivery history (history/history-store.ts). */
export type HistorySource = Pick<HistoryReader, 'series' | 'topFailingDestinations'>;

export interface DashboardSources {
  queueStats(): QueueStats;
  readonly history?: HistorySource | undefined;
  /** The doctor's cached result (doctor-lights.ts): never runs a check. */
  doctor(): DoctorSnapshot;
  /** Starts a new run of the doctor's checks in the background (the domains page's "check now"). */
  refreshDoctor?(): void;
}

function lightJson(light: DomainLight) {
  return {
    domain: light.domain,
    light: light.light,
    problems: light.problems.map((f) => ({ id: f.id, status: f.status, title: f.title, explanation: f.explanation, fix: f.fix ?? null })),
  };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const dashboardQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // The viewer's offset from UTC (minutes east, e.g. 540 for Tokyo): days start at their midnight.
    tzOffsetMinutes: { type: 'integer', minimum: -840, maximum: 840, default: 0 },
  },
} as const;

/** The start of the day that contains `nowMs`, in a zone `offsetMinutes` east of UTC. */
export function localMidnight(nowMs: number, offsetMinutes: number): number {
  const offsetMs = offsetMinutes * 60_000;
  return Math.floor((nowMs + offsetMs) / DAY_MS) * DAY_MS - offsetMs;
}

/** 24 hourly buckets ending with the current hour, and 7 daily buckets ending with today. */
function outcomeSeries(history: HistorySource, nowMs: number, offsetMinutes: number) {
  const hourlySince = Math.floor(nowMs / HOUR_MS) * HOUR_MS - 23 * HOUR_MS;
  const dailySince = localMidnight(nowMs, offsetMinutes) - 6 * DAY_MS;
  return {
    hourly: fill(history.series(hourlySince, HOUR_MS), hourlySince, HOUR_MS, 24),
    daily: fill(history.series(dailySince, DAY_MS), dailySince, DAY_MS, 7),
  };
}

/** Every bucket present, empty ones as zeros, so the chart's axis has no gaps. */
function fill(buckets: readonly HistorySeriesPoint[], sinceMs: number, bucketMs: number, count: number): HistorySeriesPoint[] {
  const byStart = new Map(buckets.map((b) => [b.startMs, b]));
  return Array.from({ length: count }, (_, i) => {
    const startMs = sinceMs + i * bucketMs;
    const b = byStart.get(startMs);
    return { startMs, delivered: b?.delivered ?? 0, deferred: b?.deferred ?? 0, bounced: b?.bounced ?? 0 };
  });
}

export function registerDashboardRoutes(scope: FastifyInstance, _context: ConsoleContext, sources: DashboardSources): void {
  scope.get<{ Querystring: { tzOffsetMinutes: number } }>('/dashboard', { schema: { querystring: dashboardQuery } }, async (request) => {
    const nowMs = Date.now();
    const queue = sources.queueStats();
    const doctor = sources.doctor();
    const history = sources.history;
    return {
      nowMs,
      series: history === undefined ? null : outcomeSeries(history, nowMs, request.query.tzOffsetMinutes),
      failing:
        history === undefined
          ? null
          : history.topFailingDestinations(nowMs - DAY_MS, 10).map((f) => ({ domain: f.domain, failures: f.failures, lastReply: f.lastReply ?? null, lastAtMs: f.lastAtMs })),
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
