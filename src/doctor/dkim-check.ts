// DKIM (RFC 6376): for each key Hikyaku holds for a domain, the public key
// record at <selector>._domainkey.<domain> must exist, parse, and carry the
// same public key, or every signature we make fails verification.
import type { Resolver } from 'node:dns/promises';
import type { DkimKey, SendingDomain } from '../domains/domain-store.js';
import { dkim as m, general } from './messages.js';
import { lookupTxt } from './dns-query.js';
import { parseTagList } from './tag-value.js';
import { finding, type Finding, type Text } from './types.js';

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

async function checkKey(input: DkimCheckInput, key: DkimKey): Promise<Finding[]> {
  const domain = input.domain.name;
  const name = `${key.selector}._domainkey.${domain}`;
  const record = input.zoneLineFor(key);
  // A retiring key whose overlap is over may (and should) be unpublished.
  const retired = key.state === 'retiring' && key.retireUntilMs !== undefined && input.nowMs >= key.retireUntilMs;
  const lookup = await lookupTxt(input.resolver, name);
  if (lookup.kind === 'failed') return [finding('dkim.record', 'warning', domain, general.dnsFailed(m.title(key.selector, domain), name, lookup.code))];
  if (lookup.kind === 'none') {
    if (retired) return [finding('dkim.record', 'info', domain, m.retiredGone(key.selector, domain))];
    if (key.state === 'retiring') return [finding('dkim.record', 'warning', domain, m.retiringMissing(key.selector, domain, name), record)];
    return [finding('dkim.record', 'error', domain, m.missing(key.selector, domain, name), record)];
  }
  if (retired) return [finding('dkim.record', 'info', domain, m.retiredStillPublished(key.selector, domain, name))];
  if (lookup.values.length > 1) {
    return [finding('dkim.record', 'error', domain, m.multiple(key.selector, domain, name, lookup.values.length), record)];
  }
  const parsed = parseKeyRecord(lookup.values[0] as string, key);
  if (parsed.problems.length > 0) return [finding('dkim.syntax', 'error', domain, m.syntax(key.selector, domain, name, parsed.problems), record)];
  const out: Finding[] = [];
  if (parsed.publicKey === key.publicKeyBase64) out.push(finding('dkim.key', 'ok', domain, m.ok(key.selector, domain, name)));
  else out.push(finding('dkim.key', 'error', domain, m.mismatch(key.selector, domain, name), record));
  if (parsed.testing) out.push(finding('dkim.testing', 'info', domain, m.testing(key.selector, domain)));
  return out;
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
