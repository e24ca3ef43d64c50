// Starts the daily TLS-RPT job for the server (main.ts): the reports are
// mailed through intake (so they are signed like any message, RFC 8460 §5.3
// asks for DKIM) or POSTed, with the resolver and extra CA of delivery.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { Envelope, Submitter } from '../core/envelope.js';
import { createResolver } from '../dns/resolver.js';
import { startDailyReports } from './daily-reports.js';
import { reportSender } from './report-sender.js';
import type { TlsReportStore } from './tlsrpt-store.js';

type Accept = (request: { envelope: Envelope; message: Buffer; submitter: Submitter; stamp: boolean }) => Promise<string>;

export function startTlsReports(config: Config, store: TlsReportStore, accept: Accept, logger: Logger): { stop(): void } {
  const sender = reportSender(config);
  const caFile = config.delivery.mtaSts?.caFile;
  const submitter: Submitter = { clientIp: '127.0.0.1', clientHostname: 'localhost', helo: config.hostname, user: undefined, protocol: 'LOCAL', tls: undefined, via: 'tlsrpt' };
  return startDailyReports({
    store,
    resolver: createResolver({ servers: config.delivery.resolvers, timeoutMs: config.delivery.dnsTimeoutMs }),
    ...sender.meta,
    from: sender.from,
    mail: (from, to, message) => accept({ envelope: { mailFrom: from, rcptTo: [to] }, message, submitter, stamp: true }),
    ca: caFile === undefined ? undefined : readFileSync(caFile, 'utf8'),
    logger,
  });
}
