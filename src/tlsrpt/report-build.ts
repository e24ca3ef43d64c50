// The RFC 8460 aggregate report for one policy domain and one UTC day: the
// JSON (§4.4), its gzip file name (§5.1) and, for a mailto: rua, the report
// message (§5.3: multipart/report; report-type="tlsrpt", Subject and the
// TLS-Report-Domain / TLS-Report-Submitter header fields). Pure functions
// over the day's counts (tlsrpt-store.ts).
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { PolicyDay } from './tlsrpt-store.js';

export interface ReportMeta {
  readonly organizationName: string;
  readonly contactInfo: string;
  /** Our host name: the report's submitter. */
  readonly submitter: string;
  /** "YYYY-MM-DD" (UTC). */
  readonly day: string;
}

/** RFC 8460 §4.4 (the JSON members are named as the RFC writes them). */
export interface TlsReport {
  readonly 'organization-name': string;
  readonly 'date-range': { readonly 'start-datetime': string; readonly 'end-datetime': string };
  readonly 'contact-info': string;
  readonly 'report-id': string;
  readonly policies: readonly {
    readonly policy: {
      readonly 'policy-type': 'tlsa' | 'sts' | 'no-policy-found';
      readonly 'policy-string'?: readonly string[];
      readonly 'policy-domain': string;
      readonly 'mx-host'?: readonly string[];
    };
    readonly summary: { readonly 'total-successful-session-count': number; readonly 'total-failure-session-count': number };
    readonly 'failure-details'?: readonly {
      readonly 'result-type': string;
      readonly 'sending-mta-ip'?: string;
      readonly 'receiving-mx-hostname'?: string;
      readonly 'receiving-ip'?: string;
      readonly 'failed-session-count': number;
      readonly 'additional-information'?: string;
    }[];
  }[];
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The day's start and end, in seconds since the epoch (for the file name) and RFC 3339. */
export function dayRange(day: string): { startS: number; endS: number; start: string; end: string } {
  if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) throw new Error(`not a date (YYYY-MM-DD): ${day}`);
  const startMs = Date.parse(`${day}T00:00:00Z`);
  const endMs = startMs + 86_400_000 - 1000;
  const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { startS: startMs / 1000, endS: endMs / 1000, start: iso(startMs), end: iso(endMs) };
}

export function reportId(meta: ReportMeta, domain: string): string {
  return `${meta.day}.${domain}@${meta.submitter}`;
}

export function buildReport(meta: ReportMeta, domain: string, policies: readonly PolicyDay[]): TlsReport {
  const range = dayRange(meta.day);
  return {
    'organization-name': meta.organizationName,
    'date-range': { 'start-datetime': range.start, 'end-datetime': range.end },
    'contact-info': meta.contactInfo,
    'report-id': reportId(meta, domain),
    policies: policies
      .filter((p) => p.policyDomain === domain)
      .map((p) => ({
        policy: {
          'policy-type': p.policyType,
          ...(p.policyStrings.length > 0 ? { 'policy-string': p.policyStrings } : {}),
          'policy-domain': p.policyDomain,
          ...(p.mxPatterns.length > 0 ? { 'mx-host': p.mxPatterns } : {}),
        },
        summary: { 'total-successful-session-count': p.successes, 'total-failure-session-count': p.failures },
        ...(p.failureDetails.length > 0
          ? {
              'failure-details': p.failureDetails.map((f) => ({
                'result-type': f.resultType,
                ...(f.sendingIp !== undefined ? { 'sending-mta-ip': f.sendingIp } : {}),
                ...(f.receivingMx !== undefined ? { 'receiving-mx-hostname': f.receivingMx } : {}),
                ...(f.receivingIp !== undefined ? { 'receiving-ip': f.receivingIp } : {}),
                'failed-session-count': f.count,
                ...(f.detail !== '' ? { 'additional-information': f.detail } : {}),
              })),
            }
          : {}),
      })),
  };
}

/** RFC 8460 §5.1: sender!policy-domain!begin-timestamp!end-timestamp.json.gz */
export function reportFileName(meta: ReportMeta, domain: string): string {
  const { startS, endS } = dayRange(meta.day);
  return `${meta.submitter}!${domain}!${startS}!${endS}.json.gz`;
}

export function gzipReport(report: TlsReport): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(report), 'utf8'));
}

/** RFC 8460 §5.3: the report as a message to one mailto: address. */
export function reportMessage(meta: ReportMeta, domain: string, report: TlsReport, from: string, to: string, nowMs: number): Buffer {
  const boundary = `tlsrpt-${randomBytes(12).toString('hex')}`;
  const gz = gzipReport(report).toString('base64').replace(/.{76}/g, '$&\r\n');
  const id = report['report-id'];
  const lines = [
    `From: <${from}>`,
    `To: <${to}>`,
    `Date: ${new Date(nowMs).toUTCString().replace('GMT', '+0000')}`,
    `Subject: Report Domain: ${domain} Submitter: ${meta.submitter} Report-ID: <${id}>`,
    `TLS-Report-Domain: ${domain}`,
    `TLS-Report-Submitter: ${meta.submitter}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type="tlsrpt"; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `This is an aggregate TLS report (RFC 8460) from ${meta.submitter} for ${domain}, ${meta.day} (UTC).`,
    '',
    `--${boundary}`,
    'Content-Type: application/tlsrpt+gzip',
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment; filename="${reportFileName(meta, domain)}"`,
    '',
    gz.replace(/\r\n$/, ''),
    '',
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}
