// DMARC (RFC 7489): one valid record for the domain (or its organisational
// domain), what the policy means, and whether mail sent through Hikyaku
// will pass it: SPF aligns when the envelope domain matches the From domain,
// DKIM aligns when we sign with d= the domain.
import type { Resolver } from 'node:dns/promises';
import { dmarc as m, general } from './messages.js';
import { lookupTxt, type Lookup } from './dns-query.js';
import { isDmarcRecord, looksLikeDmarc, parseDmarc, type DmarcRecord } from './dmarc-parse.js';
import { aligned, organisationalDomain } from './org-domain.js';
import { finding, type Finding } from './types.js';
import { txtZoneLine } from './zone-line.js';

export interface DmarcCheckInput {
  readonly resolver: Resolver;
  readonly domain: string;
  /** MAIL FROM domain of mail sent as `domain` (its returnPathDomain, or itself). */
  readonly envelopeDomain: string;
  /** True when Hikyaku signs this domain's mail with d=domain. */
  readonly signs: boolean;
  /** The record Hikyaku suggests (from recordsToPublish), for the "missing" fix. */
  readonly suggestedZoneLine: string | undefined;
}

export async function checkDmarc(input: DmarcCheckInput): Promise<Finding[]> {
  const { domain } = input;
  const found = await findRecord(input);
  const out: Finding[] = [...found.findings];
  const record = found.record;
  if (record) {
    out.push(...recordFindings(domain, record, found.inherited));
  }
  out.push(...alignmentFindings(input, record));
  return out;
}

interface FoundRecord {
  readonly findings: Finding[];
  readonly record: DmarcRecord | undefined;
  readonly inherited: boolean;
}

async function findRecord(input: DmarcCheckInput): Promise<FoundRecord> {
  const { domain, resolver } = input;
  const name = `_dmarc.${domain}`;
  const own = await lookupTxt(resolver, name);
  if (own.kind === 'failed') return { findings: [finding('dmarc.record', 'warning', domain, general.dnsFailed(m.title(domain), name, own.code))], record: undefined, inherited: false };
  const ownRecords = dmarcRecords(own);
  if (ownRecords.length === 1) {
    const text = ownRecords[0] as string;
    return { findings: [finding('dmarc.record', 'ok', domain, m.found(domain, text))], record: parseDmarc(text), inherited: false };
  }
  if (ownRecords.length > 1) {
    const repaired = parseDmarc(ownRecords[0] as string).repaired;
    return { findings: [finding('dmarc.record', 'error', domain, m.multiple(domain, ownRecords.length), txtZoneLine(name, repaired))], record: undefined, inherited: false };
  }
  // A record meant as DMARC but not starting with v=DMARC1 is discarded by receivers (RFC 7489 §6.6.3).
  const attempt = own.kind === 'found' ? own.values.find(looksLikeDmarc) : undefined;
  if (attempt !== undefined) {
    const parsed = parseDmarc(attempt);
    return {
      findings: [finding('dmarc.syntax', 'error', domain, m.syntax(domain, parsed.problems.map((p) => p.text), true), txtZoneLine(name, parsed.repaired))],
      record: undefined,
      inherited: false,
    };
  }
  // RFC 7489 §6.6.3: with no record at the domain, receivers use the organisational domain's.
  const org = organisationalDomain(domain);
  if (org !== domain) {
    const inherited = dmarcRecords(await lookupTxt(resolver, `_dmarc.${org}`));
    if (inherited.length === 1) {
      const text = inherited[0] as string;
      return { findings: [finding('dmarc.record', 'ok', domain, m.inherited(domain, org, text))], record: parseDmarc(text), inherited: true };
    }
  }
  return { findings: [finding('dmarc.record', 'error', domain, m.missing(domain), input.suggestedZoneLine ?? txtZoneLine(name, 'v=DMARC1; p=none'))], record: undefined, inherited: false };
}

function dmarcRecords(lookup: Lookup<string>): string[] {
  return lookup.kind === 'found' ? lookup.values.filter(isDmarcRecord) : [];
}

function recordFindings(domain: string, record: DmarcRecord, inherited: boolean): Finding[] {
  const out: Finding[] = [];
  const hasErrors = record.problems.some((p) => p.severity === 'error');
  if (record.problems.length === 0) out.push(finding('dmarc.syntax', 'ok', domain, m.syntaxOk(domain)));
  else {
    const name = inherited ? `_dmarc.${organisationalDomain(domain)}` : `_dmarc.${domain}`;
    const texts = record.problems.map((p) => p.text);
    out.push(finding('dmarc.syntax', hasErrors ? 'error' : 'warning', domain, m.syntax(domain, texts, hasErrors), txtZoneLine(name, record.repaired)));
  }
  // RFC 7489 §6.3: sp= is the policy for subdomains, found via the organisational domain's record.
  const policy = inherited ? (record.subdomainPolicy ?? record.policy) : record.policy;
  if (policy === 'none') out.push(finding('dmarc.policy', 'info', domain, m.policyNone(domain)));
  else if (policy !== undefined) out.push(finding('dmarc.policy', 'ok', domain, m.policyEnforced(domain, policy)));
  if (policy !== undefined && policy !== 'none' && record.pct < 100) out.push(finding('dmarc.pct', 'info', domain, m.partial(domain, record.pct)));
  if (record.rua === undefined) out.push(finding('dmarc.reports', 'info', domain, m.noReports(domain)));
  return out;
}

function alignmentFindings(input: DmarcCheckInput, record: DmarcRecord | undefined): Finding[] {
  const { domain, envelopeDomain, signs } = input;
  const strictSpf = record?.strictSpf ?? false;
  const spfAligns = aligned(envelopeDomain, domain, strictSpf);
  const out: Finding[] = [];
  if (spfAligns) out.push(finding('dmarc.spf-alignment', 'ok', domain, m.spfAligned(domain, envelopeDomain, strictSpf)));
  else out.push(finding('dmarc.spf-alignment', signs ? 'warning' : 'error', domain, m.spfNotAligned(domain, envelopeDomain, strictSpf, signs)));
  // We sign with d= exactly the registered domain, so strict and relaxed DKIM alignment both hold.
  if (signs) out.push(finding('dmarc.dkim-alignment', 'ok', domain, m.dkimAligned(domain)));
  else out.push(finding('dmarc.dkim-alignment', spfAligns ? 'warning' : 'error', domain, m.dkimNotAligned(domain), `hikyaku domain add ${domain}`));
  return out;
}
