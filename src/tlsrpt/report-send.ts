// Sends the day's TLS-RPT reports (RFC 8460 §3, §5): for each policy domain
// we have counts for, look up _smtp._tls.DOMAIN; for each rua, mail the
// report (mailto:, through the given `mail` function: intake in the server,
// the sendmail socket from the CLI) or POST it (https:, §5.4,
// application/tlsrpt+gzip). A domain without the record gets nothing.
import type { Resolver } from 'node:dns/promises';
import https from 'node:https';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { pemCertificates } from '../tls/pem-blocks.js';
import { isTlsRptRecord, parseTlsRptRecordText } from '../mtasts/sts-text.js';
import { buildReport, gzipReport, reportMessage, type ReportMeta, type TlsReport } from './report-build.js';
import type { TlsReportStore } from './tlsrpt-store.js';

export interface ReportSendOptions {
  readonly store: TlsReportStore;
  readonly resolver: Resolver;
  readonly meta: ReportMeta;
  /** The envelope sender and From of mailed reports. */
  readonly from: string;
  /** Queue a mailed report; resolves to what to log (e.g. the queue id). */
  readonly mail: (from: string, to: string, message: Buffer) => Promise<string>;
  /** Build and look up, send nothing. */
  readonly dryRun: boolean;
  readonly httpTimeoutMs?: number;
  /** Extra CA (PEM) trusted for https: rua endpoints, besides the system's. */
  readonly ca?: string | undefined;
  /** Domains to leave out (already reported). */
  readonly skip?: (domain: string) => boolean;
  readonly now?: () => number;
}

/** What happened for one domain. */
export interface DomainReport {
  readonly domain: string;
  readonly report: TlsReport;
  /** The rua URIs found; empty when the domain publishes none. */
  readonly rua: readonly string[];
  /** Per URI: "sent …" or the error. */
  readonly results: readonly { readonly uri: string; readonly ok: boolean; readonly detail: string }[];
  readonly noRecordReason?: string;
}

export async function sendReports(o: ReportSendOptions): Promise<DomainReport[]> {
  const days = o.store.day(o.meta.day);
  const domains = [...new Set(days.map((p) => p.policyDomain))].filter((d) => o.skip?.(d) !== true).sort();
  const out: DomainReport[] = [];
  for (const domain of domains) {
    const report = buildReport(o.meta, domain, days);
    const rua = await lookupRua(o.resolver, domain);
    if (!Array.isArray(rua)) {
      out.push({ domain, report, rua: [], results: [], noRecordReason: rua.reason });
      continue;
    }
    const results: { uri: string; ok: boolean; detail: string }[] = [];
    if (!o.dryRun) {
      for (const uri of rua) {
        try {
          results.push({ uri, ok: true, detail: await deliverTo(o, domain, report, uri) });
        } catch (err) {
          results.push({ uri, ok: false, detail: (err as Error).message });
        }
      }
    }
    out.push({ domain, report, rua, results });
  }
  return out;
}

async function deliverTo(o: ReportSendOptions, domain: string, report: TlsReport, uri: string): Promise<string> {
  if (/^mailto:/i.test(uri)) {
    // RFC 8460 §3: a mailto: URI may carry ?parameters; the address is what comes before.
    const to = decodeURIComponent(uri.slice('mailto:'.length).split('?')[0] as string);
    const message = reportMessage(o.meta, domain, report, o.from, to, (o.now ?? Date.now)());
    return o.mail(o.from, to, message);
  }
  const status = await postReport(o.resolver, uri, gzipReport(report), o.httpTimeoutMs ?? 30_000, o.ca);
  return `HTTP ${status}`;
}

/** RFC 8460 §3: exactly one v=TLSRPTv1 record; its valid rua URIs. */
export async function lookupRua(resolver: Resolver, domain: string): Promise<string[] | { reason: string }> {
  let records: string[][];
  try {
    records = await resolver.resolveTxt(`_smtp._tls.${domain}`);
  } catch (err) {
    return { reason: `no _smtp._tls.${domain} record (${String((err as { code?: unknown }).code ?? err)})` };
  }
  const found = records.map((chunks) => chunks.join('')).filter(isTlsRptRecord);
  if (found.length !== 1) return { reason: found.length === 0 ? `no TLSRPTv1 record at _smtp._tls.${domain}` : `${found.length} TLSRPTv1 records at _smtp._tls.${domain}` };
  const parsed = parseTlsRptRecordText(found[0] as string);
  if (parsed.uris.length === 0) return { reason: `no usable rua in _smtp._tls.${domain}` };
  return parsed.uris;
}

/**
 * RFC 8460 §5.4: POST the gzipped report; 2xx is success. The host is
 * resolved through our resolver (as the MX hosts and policy hosts are), the
 * certificate checked for its name.
 */
async function postReport(resolver: Resolver, url: string, body: Buffer, timeoutMs: number, ca: string | undefined): Promise<number> {
  const target = new URL(url);
  const name = target.hostname.replace(/^\[|\]$/g, '');
  let ip = name;
  if (isIP(name) === 0) {
    const addresses = await resolver.resolve4(name).catch(() => resolver.resolve6(name));
    ip = addresses[0] ?? name;
  }
  const headers = { 'content-type': 'application/tlsrpt+gzip', 'content-length': body.length, host: target.host };
  const trust = ca === undefined ? {} : { ca: [...rootCertificates, ...pemCertificates(ca)] };
  const where = { host: ip, port: target.port === '' ? 443 : Number(target.port), path: `${target.pathname}${target.search}`, ...(isIP(name) === 0 ? { servername: name } : {}) };
  return new Promise((resolve, reject) => {
    const request = https.request({ ...where, method: 'POST', headers, timeout: timeoutMs, agent: false, ...trust }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) resolve(status);
      else reject(new Error(`${url} answered HTTP ${status}`));
    });
    request.on('timeout', () => request.destroy(new Error(`${url}: no answer within ${timeoutMs} ms`)));
    request.on('error', (err) => reject(new Error(`${url}: ${err.message}`)));
    request.end(body);
  });
}
