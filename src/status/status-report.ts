// What the running server tells `hikyaku status` (over the control socket,
// control-server.ts): plain figures, gathered on request from sources main.ts
// hands in, each cheap (an indexed read, a file, an in-memory value). Whether
// they call for attention is decided by the reader (assess.ts), with the
// thresholds of its configuration.
import { X509Certificate } from 'node:crypto';
import type { DoctorLastResult } from '../doctor/last-result.js';
import type { FailingDestination, HistorySeriesPoint } from '../history/history-types.js';
import type { SendingDomain } from '../domains/types.js';
import type { RecentError } from '../log/recent-errors.js';

export const STATUS_REPORT_VERSION = 1;
const HOUR_MS = 3_600_000;

export interface StatusReport {
  readonly version: number;
  readonly pid: number;
  readonly hostname: string;
  readonly dataDir: string;
  readonly dataFormat: number;
  readonly startedAtMs: number;
  readonly nowMs: number;
  readonly listeners: readonly { readonly kind: string; readonly host: string; readonly port: number }[];
  readonly queue: { readonly messages: number; readonly oldestCreatedAtMs: number | null };
  /** Delivery attempts by outcome since the start of the previous clock hour (history keeps hourly counts). */
  readonly deliveries: { readonly sinceMs: number; readonly delivered: number; readonly deferred: number; readonly bounced: number };
  /** The last hour's failing destinations, most failures first, with the last remote reply: the recent delivery errors. */
  readonly failingDestinations: readonly FailingDestination[];
  readonly certificate: { readonly subject: string; readonly notAfterMs: number; readonly generated: boolean } | null;
  /** DKIM keys waiting for their DNS record (pending) or for their record's removal (retiring). */
  readonly dkimKeys: readonly { readonly domain: string; readonly selector: string; readonly state: 'pending' | 'retiring'; readonly createdAtMs: number; readonly retireUntilMs: number | null }[];
  /** null: the doctor has not run yet (doctor.interval; the first run is a minute after start) or is off. */
  readonly doctor: DoctorLastResult | null;
  readonly doctorIntervalMs: number | null;
  /** The last error lines the server logged (newest first, at most 10), and how many since start. */
  readonly lastErrors: readonly RecentError[];
  readonly errorsSinceStart: number;
}

export interface StatusSources {
  readonly hostname: string;
  readonly dataDir: string;
  readonly dataFormat: number;
  readonly startedAtMs: number;
  readonly doctorIntervalMs: number | undefined;
  listeners(): StatusReport['listeners'];
  queueStats(): { messages: number; oldestCreatedAtMs: number | undefined };
  series(sinceMs: number, bucketMs: number): HistorySeriesPoint[];
  topFailingDestinations(sinceMs: number, limit: number): FailingDestination[];
  certificatePem(): string;
  certificateGenerated: boolean;
  domains(): readonly SendingDomain[];
  doctor(): DoctorLastResult | undefined;
  lastErrors(): { errors: readonly RecentError[]; sinceStart: number };
}

export function collectStatus(s: StatusSources, nowMs = Date.now()): StatusReport {
  const sinceMs = Math.floor((nowMs - HOUR_MS) / HOUR_MS) * HOUR_MS;
  const deliveries = { sinceMs, delivered: 0, deferred: 0, bounced: 0 };
  for (const p of s.series(sinceMs, HOUR_MS)) {
    deliveries.delivered += p.delivered;
    deliveries.deferred += p.deferred;
    deliveries.bounced += p.bounced;
  }
  const queue = s.queueStats();
  const errors = s.lastErrors();
  return {
    version: STATUS_REPORT_VERSION,
    pid: process.pid,
    hostname: s.hostname,
    dataDir: s.dataDir,
    dataFormat: s.dataFormat,
    startedAtMs: s.startedAtMs,
    nowMs,
    listeners: s.listeners(),
    queue: { messages: queue.messages, oldestCreatedAtMs: queue.oldestCreatedAtMs ?? null },
    deliveries,
    failingDestinations: s.topFailingDestinations(nowMs - HOUR_MS, 5),
    certificate: certificateOf(s.certificatePem(), s.certificateGenerated),
    dkimKeys: s.domains().flatMap((d) =>
      d.keys
        .filter((k) => k.state === 'pending' || k.state === 'retiring')
        .map((k) => ({ domain: d.name, selector: k.selector, state: k.state as 'pending' | 'retiring', createdAtMs: k.createdAtMs, retireUntilMs: k.retireUntilMs ?? null })),
    ),
    doctor: s.doctor() ?? null,
    doctorIntervalMs: s.doctorIntervalMs ?? null,
    lastErrors: errors.errors,
    errorsSinceStart: errors.sinceStart,
  };
}

function certificateOf(pem: string, generated: boolean): StatusReport['certificate'] {
  const leaf = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (leaf === undefined) return null;
  try {
    const cert = new X509Certificate(leaf);
    return { subject: cert.subject.replace(/\n/g, ', '), notAfterMs: Date.parse(cert.validTo), generated };
  } catch {
    return null;
  }
}
