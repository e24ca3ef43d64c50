// The MTA-STS policy in force for a recipient domain when we send to it
// (RFC 8461 §5): look up _mta-sts.DOMAIN; when its id differs from the
// cached policy's (or nothing valid is cached), fetch the policy over HTTPS.
// A fetch that fails leaves a still-valid cached policy in force (§5.1), so
// blocking the policy host cannot turn enforce off. Lookups and failed
// fetches are remembered briefly, so a busy queue does not ask DNS and the
// web server for every message.
import type { Resolver } from 'node:dns/promises';
import { classifyDnsError, dnsErrorText } from '../dns/resolver.js';
import { PolicyCache, type CachedPolicy } from './policy-cache.js';
import { fetchStsPolicy, PolicyFetchError, type PolicyFetchSettings } from './policy-fetch.js';
import { isStsRecord, parseStsPolicyText, parseStsRecordText, type StsMode } from './sts-text.js';

export type StsLookup =
  /** No policy: no record, a broken record, or a DNS failure with nothing cached. */
  | { readonly kind: 'none' }
  | { readonly kind: 'policy'; readonly policy: CachedPolicy }
  /**
   * The record says there is a policy but it could not be had (and nothing is
   * cached): delivery goes on as without one (RFC 8461 §5), the failure is
   * reported through TLS-RPT (RFC 8460 §4.3.2.2).
   */
  | { readonly kind: 'fetch-failed'; readonly resultType: 'sts-policy-fetch-error' | 'sts-policy-invalid' | 'sts-webpki-invalid'; readonly detail: string };

export interface PolicySourceOptions extends PolicyFetchSettings {
  /** Where the cache file lives; undefined = memory only. */
  readonly dataDir: string | undefined;
  /** How long a TXT answer (or a failed fetch) is reused before asking again. */
  readonly recheckMs: number;
  readonly onCacheProblem?: (problem: string) => void;
  readonly now?: () => number;
}

export interface PolicySource {
  lookup(domain: string): Promise<StsLookup>;
}

export function createPolicySource(options: PolicySourceOptions): PolicySource {
  const cache = new PolicyCache(options.dataDir, options.onCacheProblem);
  const now = options.now ?? Date.now;
  // Per domain: the last answer and when it stops being reused; concurrent lookups share one promise.
  const recent = new Map<string, { untilMs: number; answer: Promise<StsLookup> }>();

  async function resolveFresh(domain: string): Promise<StsLookup> {
    const nowMs = now();
    const cached = cache.get(domain, nowMs);
    const record = await stsRecordId(options.resolver, domain);
    // No record (or no answer): a cached policy stays in force until max_age (§5.1).
    if (record.kind !== 'id') return cached === undefined ? { kind: 'none' } : { kind: 'policy', policy: cached };
    if (cached !== undefined && cached.id === record.id) return { kind: 'policy', policy: cached };
    let text: string;
    try {
      text = await fetchStsPolicy(options, domain);
    } catch (err) {
      if (cached !== undefined) return { kind: 'policy', policy: cached };
      const resultType = err instanceof PolicyFetchError ? err.resultType : 'sts-policy-fetch-error';
      return { kind: 'fetch-failed', resultType, detail: (err as Error).message };
    }
    const parsed = parseStsPolicyText(text);
    if (parsed.problems.length > 0 || parsed.maxAgeS === undefined) {
      if (cached !== undefined) return { kind: 'policy', policy: cached };
      const what = parsed.problems.map((p) => p.kind).join(', ');
      return { kind: 'fetch-failed', resultType: 'sts-policy-invalid', detail: `policy of ${domain} is invalid (${what})` };
    }
    const policy: CachedPolicy = {
      domain,
      id: record.id,
      mode: parsed.mode as StsMode,
      mx: parsed.mx,
      maxAgeS: parsed.maxAgeS,
      fetchedAtMs: nowMs,
      text,
    };
    cache.set(policy);
    return { kind: 'policy', policy };
  }

  return {
    lookup(domain) {
      const key = domain.toLowerCase();
      const hit = recent.get(key);
      if (hit !== undefined && hit.untilMs > now()) return hit.answer;
      const answer = resolveFresh(key);
      if (recent.size >= MAX_REMEMBERED) forgetExpired(recent, now());
      recent.set(key, { untilMs: now() + options.recheckMs, answer });
      // An unexpected error is not remembered: the next message asks again.
      answer.catch(() => recent.delete(key));
      return answer;
    },
  };
}

// Bounds the memory of a queue that reaches very many domains: expired answers go first, then all.
const MAX_REMEMBERED = 10_000;

function forgetExpired(recent: Map<string, { untilMs: number }>, nowMs: number): void {
  for (const [k, v] of recent) if (v.untilMs <= nowMs) recent.delete(k);
  if (recent.size >= MAX_REMEMBERED) recent.clear();
}

type RecordLookup = { readonly kind: 'id'; readonly id: string } | { readonly kind: 'absent' } | { readonly kind: 'failed'; readonly detail: string };

/** RFC 8461 §3.1: exactly one TXT record starting v=STSv1 at _mta-sts.DOMAIN; otherwise no policy. */
async function stsRecordId(resolver: Resolver, domain: string): Promise<RecordLookup> {
  let records: string[][];
  try {
    records = await resolver.resolveTxt(`_mta-sts.${domain}`);
  } catch (err) {
    const kind = classifyDnsError(err);
    return kind === 'temporary' ? { kind: 'failed', detail: dnsErrorText(err) } : { kind: 'absent' };
  }
  const sts = records.map((chunks) => chunks.join('')).filter(isStsRecord);
  if (sts.length !== 1) return { kind: 'absent' };
  const parsed = parseStsRecordText(sts[0] as string);
  if (parsed.problems.length > 0 || parsed.id === undefined) return { kind: 'absent' };
  return { kind: 'id', id: parsed.id };
}
