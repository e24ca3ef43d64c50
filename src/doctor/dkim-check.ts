// DKIM (RFC 6376): for each key Hikyaku holds for a domain, the public key
// record at <selector>._domainkey.<domain> must exist, parse, and carry the
// same public key, or every signature we make fails verification.
import type { Resolver } from 'node:dns/promises';
import type { DkimKey, SendingDomain } from '../domains/domain-store.js';
import { dkim as m, general } from './messages.js';
import { lookupTxt } from './dns-query.js';
import { parseTagList } from './tag-value.js';
import { finding, type Finding, type Text } from './types.js';
import { txtZoneLine } from './zone-line.js';
import { dkimRecordName, dkimRecordValue } from '../domains/records.js';

export interface DkimCheckInput {
  readonly resolver: Resolver;
  readonly domain: SendingDomain;
  readonly nowMs: number;
  /** The zone-file line to publish for a key, as `hikyaku domain records` prints it. */
  readonly zoneLineFor: (key: DkimKey) => string;
}

export async function checkDkim(input: DkimCheckInput): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const key of input.domain.keys) out.push(...(await checkKey(input, key)));
  return out;
}

/** The registered-domain counterpart: no key, so no signature. */
export function unregisteredDkimFinding(domain: string): Finding {
  return finding('dkim.unregistered', 'warning', domain, m.unregistered(domain), `hikyaku domain add ${domain}`);
}

export interface PublishedVerdict {
  /** Every key's record is published, parses, and carries its public key. */
  readonly published: boolean;
  /** The doctor's findings for the keys (what is wrong, and the record to publish). */
  readonly findings: readonly Finding[];
}

/**
 * Whether `keys` (pending keys about to sign) are published and match, by
 * the doctor's own check against live DNS: what `domain activate-key` and
 * the server's auto-activation ask before switching signing to them.
 */
export async function checkKeysPublished(
  input: Omit<DkimCheckInput, 'zoneLineFor'> & { readonly zoneLineFor?: DkimCheckInput['zoneLineFor'] },
  keys: readonly DkimKey[],
): Promise<PublishedVerdict> {
  const full: DkimCheckInput = {
    ...input,
    zoneLineFor: input.zoneLineFor ?? ((key) => txtZoneLine(dkimRecordName(input.domain.name, key.selector), dkimRecordValue(key))),
  };
  const findings: Finding[] = [];
  let published = keys.length > 0;
  for (const key of keys) {
    const lookup = await lookupKey(full, key);
    findings.push(...lookup.findings);
    if (!lookup.matches) published = false;
  }
  return { published, findings };
}

async function checkKey(input: DkimCheckInput, key: DkimKey): Promise<Finding[]> {
  return (await lookupKey(input, key)).findings;
}

async function lookupKey(input: DkimCheckInput, key: DkimKey): Promise<{ matches: boolean; findings: Finding[] }> {
  const domain = input.domain.name;
  const name = `${key.selector}._domainkey.${domain}`;
  const record = input.zoneLineFor(key);
  const no = (...findings: Finding[]): { matches: boolean; findings: Finding[] } => ({ matches: false, findings });
  const retireCommand = `hikyaku domain retire-key ${domain} ${key.selector}`;
  // A retiring key whose overlap is over may (and should) be unpublished.
  const retired = key.state === 'retiring' && key.retireUntilMs !== undefined && input.nowMs >= key.retireUntilMs;
  const lookup = await lookupTxt(input.resolver, name);
  if (lookup.kind === 'failed') return no(finding('dkim.record', 'warning', domain, general.dnsFailed(m.title(key.selector, domain), name, lookup.code)));
  if (lookup.kind === 'none') {
    if (retired) return no(finding('dkim.record', 'info', domain, m.retiredGone(key.selector, domain), retireCommand));
    if (key.state === 'retiring') return no(finding('dkim.record', 'warning', domain, m.retiringMissing(key.selector, domain, name), record));
    // Not an error: a pending key does not sign, so nothing fails yet.
    if (key.state === 'pending') return no(finding('dkim.record', 'warning', domain, m.pendingMissing(key.selector, domain, name), record));
    return no(finding('dkim.record', 'error', domain, m.missing(key.selector, domain, name), record));
  }
  if (retired) return no(finding('dkim.record', 'info', domain, m.retiredStillPublished(key.selector, domain, name), retireCommand));
  // A pending key's problems are warnings: they fail nothing until it is activated (which they prevent).
  const severity = key.state === 'pending' ? 'warning' : 'error';
  if (lookup.values.length > 1) {
    return no(finding('dkim.record', severity, domain, m.multiple(key.selector, domain, name, lookup.values.length), record));
  }
  const parsed = parseKeyRecord(lookup.values[0] as string, key);
  if (parsed.problems.length > 0) return no(finding('dkim.syntax', severity, domain, m.syntax(key.selector, domain, name, parsed.problems), record));
  const out: Finding[] = [];
  const matches = parsed.publicKey === key.publicKeyBase64;
  if (!matches) out.push(finding('dkim.key', severity, domain, m.mismatch(key.selector, domain, name), record));
  else if (key.state === 'pending') out.push(finding('dkim.key', 'ok', domain, m.pendingReady(key.selector, domain, name), `hikyaku domain activate-key ${domain} ${key.selector}`));
  else out.push(finding('dkim.key', 'ok', domain, m.ok(key.selector, domain, name)));
  if (parsed.testing) out.push(finding('dkim.testing', 'info', domain, m.testing(key.selector, domain)));
  return { matches, findings: out };
}

export interface ParsedKeyRecord {
  readonly problems: readonly Text[];
  /** p= with whitespace removed (RFC 6376 §3.6.1: FWS may appear inside base64). */
  readonly publicKey: string | undefined;
  readonly testing: boolean;
}

/** RFC 6376 §3.6.1 key record, checked against the algorithm of the key it should hold. */
export function parseKeyRecord(text: string, key: Pick<DkimKey, 'algorithm'>): ParsedKeyRecord {
  const list = parseTagList(text);
  const problems: Text[] = [];
  if (list.malformed.length > 0) problems.push(m.problem.malformed());
  const version = list.tags.get('v');
  // "v=" is optional, but if present it MUST be "DKIM1" and the first tag.
  if (version !== undefined && (version !== 'DKIM1' || list.order[0] !== 'v')) problems.push(m.problem.version());
  for (const tag of list.duplicates) problems.push(m.problem.duplicate(tag));
  const expectedType = key.algorithm === 'ed25519-sha256' ? 'ed25519' : 'rsa';
  const publishedType = (list.tags.get('k') ?? 'rsa').toLowerCase();
  if (publishedType !== expectedType) problems.push(m.problem.keyType(publishedType, expectedType));
  const p = list.tags.get('p');
  const publicKey = p?.replace(/\s+/g, '');
  if (publicKey === undefined) problems.push(m.problem.noKey());
  else if (publicKey === '') problems.push(m.problem.revoked());
  else if (!/^[A-Za-z0-9+/]+={0,2}$/.test(publicKey) || publicKey.length % 4 !== 0) problems.push(m.problem.base64());
  const flags = (list.tags.get('t') ?? '').split(':').map((f) => f.trim().toLowerCase());
  return { problems, publicKey, testing: flags.includes('y') };
}
