// SPF (RFC 7208) of one envelope domain: exactly one record, valid syntax,
// at most 10 DNS lookups, and a real evaluation for each outbound address.
// The evaluation is mailauth's (the same code many receivers run), given a
// resolver function backed by our configured Resolver, so it sees the same
// DNS the rest of the doctor sees.
import type { Resolver } from 'node:dns/promises';
import { spf as evaluateSpf } from 'mailauth/lib/spf/index.js';
import { general, spf as m } from './messages.js';
import { lookupTxt } from './dns-query.js';
import { countSpfLookups, SPF_LOOKUP_LIMIT } from './spf-lookups.js';
import { isSpfRecord, parseSpf, type SpfRecord } from './spf-parse.js';
import { finding, type Finding } from './types.js';
import { txtZoneLine } from './zone-line.js';

export interface SpfCheckInput {
  readonly resolver: Resolver;
  readonly domain: string;
  readonly hostname: string;
  readonly outboundAddresses: readonly string[];
  /** The record Hikyaku would publish (from recordsToPublish), for the "missing" fix. */
  readonly suggestedZoneLine: string | undefined;
  /** Set when all mail leaves through this smarthost: our own addresses are not what receivers see. */
  readonly smarthostHost: string | undefined;
  /** 'helo': the server's own name, checked only for mail with an empty MAIL FROM (RFC 7208 §2.3). */
  readonly identity: 'mail-from' | 'helo';
}

export async function checkSpf(input: SpfCheckInput): Promise<Finding[]> {
  const { domain } = input;
  const lookup = await lookupTxt(input.resolver, domain);
  if (lookup.kind === 'failed') return [finding('spf.record', 'warning', domain, general.dnsFailed(m.title(domain), domain, lookup.code))];
  const records = lookup.kind === 'found' ? lookup.values.filter(isSpfRecord) : [];
  if (records.length === 0) {
    const record = input.suggestedZoneLine ?? txtZoneLine(domain, minimalRecord(input));
    if (input.identity === 'helo') return [finding('spf.record', 'warning', domain, m.missingHelo(domain), record)];
    return [finding('spf.record', 'error', domain, m.missing(domain), record)];
  }
  if (records.length > 1) {
    return [finding('spf.record', 'error', domain, m.multiple(domain, records), txtZoneLine(domain, mergeRecords(records, input.outboundAddresses)))];
  }
  const text = records[0] as string;
  const parsed = parseSpf(text);
  const findings: Finding[] = [finding('spf.record', 'ok', domain, m.found(domain, text)), syntaxFinding(domain, parsed)];
  findings.push(...(await lookupFindings(input, parsed)));
  if (input.smarthostHost !== undefined) {
    findings.push(finding('spf.result', 'info', domain, m.smarthost(domain, input.smarthostHost)));
    return findings;
  }
  for (const ip of input.outboundAddresses) findings.push(await evaluationFinding(input, ip, text));
  return findings;
}

function syntaxFinding(domain: string, parsed: SpfRecord): Finding {
  if (parsed.problems.length === 0) return finding('spf.syntax', 'ok', domain, m.syntaxOk(domain));
  const hasErrors = parsed.problems.some((p) => p.severity === 'error');
  const texts = parsed.problems.map((p) => m.problem[p.code](p.term));
  return finding('spf.syntax', hasErrors ? 'error' : 'warning', domain, m.syntaxProblems(domain, texts, hasErrors));
}

async function lookupFindings(input: SpfCheckInput, parsed: SpfRecord): Promise<Finding[]> {
  const { domain } = input;
  const counted = await countSpfLookups(input.resolver, domain, parsed);
  const out: Finding[] = [];
  if (counted.count > SPF_LOOKUP_LIMIT) {
    const breakdown = [...counted.byTarget].map(([target, n]) => `${target} (${n})`);
    out.push(finding('spf.lookups', 'error', domain, m.lookupsOver(domain, counted.count, breakdown)));
  } else {
    out.push(finding('spf.lookups', 'ok', domain, m.lookupsOk(domain, counted.count)));
  }
  for (const problem of counted.problems) {
    if (problem.code === 'failed') {
      out.push(finding('spf.include', 'warning', domain, general.dnsFailed(m.title(problem.domain), problem.domain, 'DNS')));
    } else {
      out.push(finding('spf.include', 'error', domain, m.include[problem.code](domain, problem.domain)));
    }
  }
  return out;
}

async function evaluationFinding(input: SpfCheckInput, ip: string, record: string): Promise<Finding> {
  const { domain, hostname, resolver } = input;
  const result = await evaluateSpf({
    sender: `postmaster@${domain}`,
    ip,
    helo: hostname,
    mta: hostname,
    // mailauth calls resolver(name, 'TXT' | 'A' | 'AAAA' | 'MX' | 'PTR') and expects node:dns shapes.
    resolver: (name: string, type: string) => resolver.resolve(name, type) as Promise<string[] | string[][]>,
  });
  const outcome = result.status.result;
  const detail = (result.status.comment ?? outcome).replace(`${hostname}: `, '');
  switch (outcome) {
    case 'pass':
      return finding('spf.result', 'ok', domain, m.pass(domain, ip));
    case 'temperror':
      return finding('spf.result', 'warning', domain, m.temperror(domain, ip, detail));
    case 'permerror':
      return finding('spf.result', 'error', domain, m.permerror(domain, ip, detail));
    default:
      // fail, softfail, neutral, none: the record does not list this address.
      return finding('spf.result', 'error', domain, m.notPass(domain, ip, outcome), txtZoneLine(domain, addAddresses(record, [ip])));
  }
}

const ipTerm = (ip: string): string => `${ip.includes(':') ? 'ip6' : 'ip4'}:${ip}`;

/** The record with ip4:/ip6: terms for `ips` placed right after v=spf1, where they are tested first. */
export function addAddresses(record: string, ips: readonly string[]): string {
  const terms = record.trim().split(/ +/);
  const present = new Set(terms.map((t) => t.toLowerCase()));
  const missing = ips.map(ipTerm).filter((t) => !present.has(t.toLowerCase()) && !present.has(`+${t.toLowerCase()}`));
  return [terms[0] ?? 'v=spf1', ...missing, ...terms.slice(1)].join(' ');
}

/**
 * One record from several: every term once, our addresses included, and the
 * "all" of the first record that has one at the end (RFC 7208 §5.1: terms
 * after "all" are never tested).
 */
export function mergeRecords(records: readonly string[], ips: readonly string[]): string {
  const seen = new Set<string>();
  const terms: string[] = [];
  let all: string | undefined;
  for (const record of records) {
    for (const term of record.trim().split(/ +/).slice(1)) {
      if (/^[+\-~?]?all$/i.test(term)) {
        all ??= term;
        continue;
      }
      if (/^redirect=/i.test(term)) continue; // a merged record ends in "all"; redirect would be ignored
      if (term === '' || seen.has(term.toLowerCase())) continue;
      seen.add(term.toLowerCase());
      terms.push(term);
    }
  }
  return addAddresses(['v=spf1', ...terms, all ?? '~all'].join(' '), ips);
}

function minimalRecord(input: SpfCheckInput): string {
  return ['v=spf1', ...input.outboundAddresses.map(ipTerm), '~all'].join(' ');
}
