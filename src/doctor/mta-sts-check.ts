// MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) for a domain. Both are optional
// and concern mail the domain receives; when published they must be right,
// since a broken enforce policy makes other servers refuse to deliver to it.
import type { Resolver } from 'node:dns/promises';
import https from 'node:https';
import { general, mtaSts as m, tlsRpt as r } from './messages.js';
import { lookupAddresses, lookupMx, lookupTxt, normalizeHost } from './dns-query.js';
import { isStsRecord, isTlsRptRecord, mxMatchesPattern, parseStsPolicy, parseStsRecord, parseTlsRptRecord } from './mta-sts-parse.js';
import { finding, type Finding } from './types.js';
import { txtZoneLine } from './zone-line.js';

export interface MtaStsCheckInput {
  readonly resolver: Resolver;
  readonly domain: string;
  readonly nowMs: number;
  /** Time allowed for the policy fetch (connect + response). */
  readonly fetchTimeoutMs: number;
  /** HTTPS port of the policy host: 443 (RFC 8461 §3.3); other values only for tests on loopback. */
  readonly fetchPort?: number;
  /** Extra CA to trust for the policy host, for tests. */
  readonly fetchCa?: string;
}

const MAX_POLICY_BYTES = 64 * 1024; // RFC 8461 §3.3: senders may limit the body to 64 KiB

export async function checkMtaSts(input: MtaStsCheckInput): Promise<Finding[]> {
  return [...(await checkStsRecordAndPolicy(input)), ...(await checkTlsRpt(input.resolver, input.domain))];
}

async function checkStsRecordAndPolicy(input: MtaStsCheckInput): Promise<Finding[]> {
  const { domain, resolver } = input;
  const name = `_mta-sts.${domain}`;
  const example = txtZoneLine(name, `v=STSv1; id=${new Date(input.nowMs).toISOString().replace(/\D/g, '').slice(0, 14)}`);
  const lookup = await lookupTxt(resolver, name);
  if (lookup.kind === 'failed') return [finding('mta-sts.record', 'warning', domain, general.dnsFailed(m.title(domain), name, lookup.code))];
  const values = lookup.kind === 'found' ? lookup.values : [];
  const records = values.filter(isStsRecord);
  if (records.length > 1) return [finding('mta-sts.record', 'error', domain, m.multiple(domain, records.length), example)];
  const text = records[0] ?? values.find((v) => /sts/i.test(v));
  if (text === undefined) return [finding('mta-sts.record', 'info', domain, m.absent(domain))];
  const parsed = parseStsRecord(text);
  if (parsed.problems.length > 0) return [finding('mta-sts.record', 'error', domain, m.syntax(domain, parsed.problems), example)];
  const out = [finding('mta-sts.record', 'ok', domain, m.recordOk(domain, parsed.id ?? ''))];
  out.push(...(await checkPolicy(input)));
  return out;
}

async function checkPolicy(input: MtaStsCheckInput): Promise<Finding[]> {
  const { domain, resolver } = input;
  const host = `mta-sts.${domain}`;
  const url = `https://${host}/.well-known/mta-sts.txt`;
  let body: string;
  try {
    body = await fetchPolicy(input, host);
  } catch (err) {
    return [finding('mta-sts.policy', 'warning', domain, m.fetchFailed(domain, url, (err as Error).message))];
  }
  const policy = parseStsPolicy(body);
  if (policy.problems.length > 0) {
    const example = ['version: STSv1', 'mode: testing', `mx: mx.${domain}`, 'max_age: 604800'].join('\n');
    return [finding('mta-sts.policy', 'error', domain, m.policyInvalid(domain, policy.problems), example)];
  }
  const out = [finding('mta-sts.policy', 'ok', domain, m.policyOk(domain, policy.mode ?? ''))];
  const mx = await lookupMx(resolver, domain);
  if (mx.kind === 'found' && policy.mode !== 'none') {
    const hosts = mx.values.map((v) => normalizeHost(v.exchange)).filter((h) => h !== '');
    const uncovered = hosts.filter((h) => !policy.mx.some((p) => mxMatchesPattern(h, p)));
    if (uncovered.length > 0) {
      const status = policy.mode === 'enforce' ? 'error' : 'warning';
      out.push(finding('mta-sts.mx', status, domain, m.mxNotCovered(domain, uncovered, policy.mode ?? ''), uncovered.map((h) => `mx: ${h}`).join('\n')));
    }
  }
  return out;
}

/**
 * GET the policy, resolving the host through our resolver (so tests stay on
 * their own DNS and loopback) and verifying its certificate for the name.
 * RFC 8461 §3.3: HTTPS only, no redirects, 200 only.
 */
async function fetchPolicy(input: MtaStsCheckInput, host: string): Promise<string> {
  const addresses = await lookupAddresses(input.resolver, host);
  if (addresses.kind !== 'found') throw new Error(`${host}: no address (${addresses.kind === 'failed' ? addresses.code : 'NXDOMAIN/NODATA'})`);
  const ip = addresses.values[0] as string;
  return new Promise<string>((resolve, reject) => {
    const request = https.get(
      {
        host: ip,
        port: input.fetchPort ?? 443,
        path: '/.well-known/mta-sts.txt',
        servername: host,
        headers: { host },
        timeout: input.fetchTimeoutMs,
        ...(input.fetchCa !== undefined ? { ca: input.fetchCa } : {}),
      },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new Error(`HTTP ${response.statusCode ?? '?'}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_POLICY_BYTES) request.destroy(new Error('policy larger than 64 KiB'));
          else chunks.push(chunk);
        });
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${input.fetchTimeoutMs} ms`)));
    request.on('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code ?? err.message)));
  });
}

async function checkTlsRpt(resolver: Resolver, domain: string): Promise<Finding[]> {
  const name = `_smtp._tls.${domain}`;
  const example = txtZoneLine(name, `v=TLSRPTv1; rua=mailto:tls-reports@${domain}`);
  const lookup = await lookupTxt(resolver, name);
  if (lookup.kind === 'failed') return [finding('tls-rpt.record', 'warning', domain, general.dnsFailed(r.title(domain), name, lookup.code))];
  const values = lookup.kind === 'found' ? lookup.values : [];
  const records = values.filter(isTlsRptRecord);
  if (records.length > 1) return [finding('tls-rpt.record', 'error', domain, r.multiple(domain, records.length), example)];
  const text = records[0] ?? values.find((v) => /tlsrpt/i.test(v));
  if (text === undefined) return [finding('tls-rpt.record', 'info', domain, r.absent(domain))];
  const parsed = parseTlsRptRecord(text);
  if (parsed.problems.length > 0) return [finding('tls-rpt.record', 'error', domain, r.syntax(domain, parsed.problems), example)];
  return [finding('tls-rpt.record', 'ok', domain, r.ok(domain, parsed.rua ?? ''))];
}
