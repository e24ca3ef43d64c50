// The daily TLS-RPT job (RFC 8460 §4.1: reports cover one UTC day): shortly
// after midnight UTC, the previous day's report goes to every domain that
// asks for one (report-send.ts); a domain already reported that day (before
// a restart) is skipped, and counts older than a week are dropped.
import type { Resolver } from 'node:dns/promises';
import type { Logger } from 'pino';
import { sendReports } from './report-send.js';
import type { TlsReportStore } from './tlsrpt-store.js';

export interface DailyReportOptions {
  readonly store: TlsReportStore;
  readonly resolver: Resolver;
  readonly organizationName: string;
  readonly contactInfo: string;
  readonly submitter: string;
  readonly from: string;
  readonly mail: (from: string, to: string, message: Buffer) => Promise<string>;
  readonly ca: string | undefined;
  readonly logger: Logger;
  readonly now?: () => number;
}

const DAY_MS = 86_400_000;
// A little after midnight, so the day's last sessions are counted (the store flushes every few seconds).
const AFTER_MIDNIGHT_MS = 15 * 60_000;
const KEEP_DAYS = 7;

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Runs every day until stop(). */
export function startDailyReports(o: DailyReportOptions): { stop(): void } {
  const now = o.now ?? Date.now;
  const log = o.logger.child({ component: 'tlsrpt' });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function run(): Promise<void> {
    const day = utcDay(now() - DAY_MS);
    const meta = { organizationName: o.organizationName, contactInfo: o.contactInfo, submitter: o.submitter, day };
    const results = await sendReports({ store: o.store, resolver: o.resolver, meta, from: o.from, mail: o.mail, dryRun: false, ca: o.ca, skip: (d) => o.store.wasSent(day, d) });
    for (const r of results) {
      if (r.rua.length === 0) continue;
      for (const x of r.results) log[x.ok ? 'info' : 'warn']({ event: 'tlsrpt-report', day, domain: r.domain, uri: x.uri, ok: x.ok, detail: x.detail }, x.ok ? 'TLS-RPT report sent' : 'TLS-RPT report not sent');
      if (r.results.some((x) => x.ok)) o.store.markSent(day, r.domain);
    }
    o.store.prune(utcDay(now() - KEEP_DAYS * DAY_MS));
  }

  function schedule(): void {
    if (stopped) return;
    const t = now();
    const next = Math.floor(t / DAY_MS) * DAY_MS + DAY_MS + AFTER_MIDNIGHT_MS;
    timer = setTimeout(() => {
      run()
        .catch((err: unknown) => log.error({ err }, 'TLS-RPT reports failed'))
        .finally(schedule);
    }, next - t);
    timer.unref();
  }
  // A report missed while the server was down goes out a minute after the start.
  const catchUp = setTimeout(() => void run().catch((err: unknown) => log.error({ err }, 'TLS-RPT reports failed')), 60_000);
  catchUp.unref();
  schedule();
  return {
    stop() {
      stopped = true;
      clearTimeout(catchUp);
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
