// What main.ts starts for `hikyaku status`: the control socket answering with
// a report gathered from the running server's own parts, and the periodic
// doctor's record (doctor-last.json). Kept out of main.ts so that the
// composition root only hands the parts in.
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { CertificateSource } from '../tls/certificates.js';
import type { DomainStore } from '../domains/domain-store.js';
import type { HistoryReader } from '../history/history-types.js';
import type { Finding } from '../doctor/types.js';
import { readLastResult, summarizeFindings, writeLastResult } from '../doctor/last-result.js';
import { DATA_FORMAT } from '../storage/data-format.js';
import type { RecentErrors } from '../log/recent-errors.js';
import { collectStatus, type StatusReport } from './status-report.js';
import { startControlSocket, type RunningControlSocket } from './control-socket.js';

/** The first periodic doctor run: a minute after start, sooner with a shorter interval, later when the last result is still fresh. */
const FIRST_RUN_DELAY_MS = 60_000;

export interface ServerStatusParts {
  readonly config: Config;
  readonly logger: Logger;
  readonly startedAtMs: number;
  listeners(): StatusReport['listeners'];
  queueStats(): { messages: number; oldestCreatedAtMs: number | undefined };
  readonly history: HistoryReader;
  readonly certificates: CertificateSource;
  readonly domains: DomainStore;
  readonly recentErrors: RecentErrors | undefined;
}

export function startServerStatus(p: ServerStatusParts): Promise<RunningControlSocket> {
  const { config } = p;
  return startControlSocket(
    config.dataDir,
    () =>
      collectStatus({
        hostname: config.hostname,
        dataDir: config.dataDir,
        dataFormat: DATA_FORMAT,
        startedAtMs: p.startedAtMs,
        doctorIntervalMs: config.doctor.intervalMs,
        listeners: () => p.listeners(),
        queueStats: () => p.queueStats(),
        series: (sinceMs, bucketMs) => p.history.series(sinceMs, bucketMs),
        topFailingDestinations: (sinceMs, limit) => p.history.topFailingDestinations(sinceMs, limit),
        certificatePem: () => p.certificates.current().cert,
        certificateGenerated: p.certificates.generated,
        domains: () => p.domains.list(),
        doctor: () => readLastResult(config.dataDir),
        lastErrors: () => ({ errors: p.recentErrors?.list() ?? [], sinceStart: p.recentErrors?.total ?? 0 }),
      }),
    p.logger,
  );
}

/** The periodic doctor's onRun: records the result; never throws (the run's own log says what failed). */
export function doctorRecorder(dataDir: string, logger: Logger): (checkedAtMs: number, findings: readonly Finding[]) => void {
  return (checkedAtMs, findings) => {
    try {
      writeLastResult(dataDir, summarizeFindings(checkedAtMs, findings));
    } catch (err) {
      logger.error({ err }, 'could not record the doctor result for hikyaku status');
    }
  };
}

export function firstDoctorRunDelayMs(dataDir: string, intervalMs: number, nowMs = Date.now()): number {
  const last = readLastResult(dataDir);
  const soon = Math.min(FIRST_RUN_DELAY_MS, intervalMs);
  if (last === undefined) return soon;
  return Math.max(soon, last.checkedAtMs + intervalMs - nowMs);
}
