// The RFC 7208 §4.6.4 limit: evaluating a record may cost at most 10 DNS
// lookups, counting include, a, mx, ptr, exists and redirect, recursively
// through include and redirect. Receivers stop at the 11th with permerror,
// so a record over the limit fails at random depending on where the sender's
// IP matches. Counted statically here, over every branch.
import type { Resolver } from 'node:dns/promises';
import { lookupTxt } from './dns-query.js';
import { hasMacro, isLookupTerm, isSpfRecord, parseSpf, type SpfRecord } from './spf-parse.js';

export const SPF_LOOKUP_LIMIT = 10;

export interface SpfIncludeProblem {
  /** missing: no SPF at the target (RFC 7208 §5.2: permerror); failed: DNS error; multiple: two SPF records; loop: includes itself. */
  readonly code: 'missing' | 'failed' | 'multiple' | 'loop' | 'syntax';
  readonly domain: string;
  /** The include/redirect path that led there, outermost first. */
  readonly via: readonly string[];
}

export interface SpfLookupCount {
  readonly count: number;
  /** Lookups per include/redirect target, for the explanation of where they come from. */
  readonly byTarget: ReadonlyMap<string, number>;
  readonly problems: readonly SpfIncludeProblem[];
}

// A guard against pathological records (the limit is 10; past this nothing changes the verdict).
const MAX_FOLLOWED = 40;

export async function countSpfLookups(resolver: Resolver, domain: string, record: SpfRecord): Promise<SpfLookupCount> {
  const byTarget = new Map<string, number>();
  const problems: SpfIncludeProblem[] = [];
  const cache = new Map<string, Promise<SpfRecord | SpfIncludeProblem['code']>>();
  let followed = 0;

  const fetchRecord = (target: string): Promise<SpfRecord | SpfIncludeProblem['code']> => {
    let pending = cache.get(target);
    if (!pending) {
      pending = lookupTxt(resolver, target).then((lookup) => {
        if (lookup.kind === 'failed') return 'failed';
        const spf = lookup.kind === 'found' ? lookup.values.filter(isSpfRecord) : [];
        if (spf.length === 0) return 'missing';
        if (spf.length > 1) return 'multiple';
        return parseSpf(spf[0] as string);
      });
      cache.set(target, pending);
    }
    return pending;
  };

  const walk = async (current: SpfRecord, chain: readonly string[]): Promise<number> => {
    let count = 0;
    const hasAll = current.terms.some((t) => t.kind === 'mechanism' && t.name === 'all');
    for (const term of current.terms) {
      if (!isLookupTerm(term)) continue;
      const isRedirect = term.kind === 'modifier';
      // RFC 7208 §6.1: with "all" present, redirect is never used, so it costs nothing.
      if (isRedirect && hasAll) continue;
      count++;
      const follows = isRedirect || (term.kind === 'mechanism' && term.name === 'include');
      if (!follows || hasMacro(term.value) || term.value === '') continue;
      const target = term.value.toLowerCase().replace(/\.$/, '');
      if (chain.includes(target)) {
        problems.push({ code: 'loop', domain: target, via: chain });
        continue;
      }
      if (++followed > MAX_FOLLOWED) continue;
      const nested = await fetchRecord(target);
      if (typeof nested === 'string') {
        problems.push({ code: nested, domain: target, via: chain });
        continue;
      }
      if (nested.problems.some((p) => p.severity === 'error')) problems.push({ code: 'syntax', domain: target, via: chain });
      const inner = await walk(nested, [...chain, target]);
      byTarget.set(target, (byTarget.get(target) ?? 0) + inner + 1);
      count += inner;
    }
    return count;
  };

  const count = await walk(record, [domain.toLowerCase()]);
  return { count, byTarget, problems };
}
