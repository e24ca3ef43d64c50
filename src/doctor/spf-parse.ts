// SPF record syntax (RFC 7208 §4.6.1 and the ABNF of §12), checked term by
// term so the doctor can name the exact term that is wrong. Evaluation is
// mailauth's job (spf-check.ts); this module only reads the text.
import { isIPv4, isIPv6 } from 'node:net';

export type SpfQualifier = '+' | '-' | '~' | '?';
export type SpfMechanismName = 'all' | 'include' | 'a' | 'mx' | 'ptr' | 'ip4' | 'ip6' | 'exists';

export type SpfTerm =
  | { readonly kind: 'mechanism'; readonly qualifier: SpfQualifier; readonly name: SpfMechanismName; readonly value: string; readonly text: string }
  | { readonly kind: 'modifier'; readonly name: string; readonly value: string; readonly text: string };

export type SpfProblemCode =
  | 'version'
  | 'non-ascii'
  | 'unknown-mechanism'
  | 'unknown-modifier'
  | 'bad-value'
  | 'duplicate-modifier'
  | 'ptr-used'
  | 'after-all'
  | 'redirect-ignored';

export interface SpfProblem {
  readonly code: SpfProblemCode;
  /** Errors make receivers return permerror (RFC 7208 §4.6); warnings are legal but wrong in practice. */
  readonly severity: 'error' | 'warning';
  readonly term: string;
}

export interface SpfRecord {
  readonly terms: readonly SpfTerm[];
  readonly problems: readonly SpfProblem[];
}

const MECHANISMS = new Set<string>(['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists']);
// RFC 7208 §6 defines redirect and exp; RFC 6652 §3 adds ra, rp and rr.
const KNOWN_MODIFIERS = new Set(['redirect', 'exp', 'ra', 'rp', 'rr']);

/** RFC 7208 §4.5: a record is an SPF record when it is exactly "v=spf1" or starts with "v=spf1 ". */
export function isSpfRecord(txt: string): boolean {
  return /^v=spf1(?: |$)/i.test(txt);
}

export function parseSpf(record: string): SpfRecord {
  const problems: SpfProblem[] = [];
  const terms: SpfTerm[] = [];
  const parts = record.trim().split(/ +/);
  if ((parts[0] ?? '').toLowerCase() !== 'v=spf1') problems.push({ code: 'version', severity: 'error', term: parts[0] ?? '' });
  const seenModifiers = new Set<string>();
  let allSeen = false;
  for (const text of parts.slice(1)) {
    if (text === '') continue;
    // RFC 7208 §3.3 / §12: terms are ASCII; anything else is a permerror.
    if (/[^\x21-\x7e]/.test(text)) {
      problems.push({ code: 'non-ascii', severity: 'error', term: text });
      continue;
    }
    const modifier = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(text);
    if (modifier) {
      const name = (modifier[1] as string).toLowerCase();
      const value = modifier[2] as string;
      terms.push({ kind: 'modifier', name, value, text });
      if (!KNOWN_MODIFIERS.has(name)) problems.push({ code: 'unknown-modifier', severity: 'error', term: text });
      // RFC 7208 §6: redirect and exp may each appear at most once.
      if ((name === 'redirect' || name === 'exp') && seenModifiers.has(name)) problems.push({ code: 'duplicate-modifier', severity: 'error', term: text });
      if ((name === 'redirect' || name === 'exp') && !isDomainSpec(value)) problems.push({ code: 'bad-value', severity: 'error', term: text });
      seenModifiers.add(name);
      continue;
    }
    const m = /^([+\-~?]?)([a-z0-9]+)(.*)$/i.exec(text);
    const name = (m?.[2] ?? '').toLowerCase();
    if (!m || !MECHANISMS.has(name)) {
      problems.push({ code: 'unknown-mechanism', severity: 'error', term: text });
      continue;
    }
    const qualifier = ((m[1] as string) || '+') as SpfQualifier;
    const rest = m[3] as string;
    const mechanism: SpfTerm = { kind: 'mechanism', qualifier, name: name as SpfMechanismName, value: rest.replace(/^:/, ''), text };
    terms.push(mechanism);
    if (!validMechanismArgument(mechanism.name, rest)) problems.push({ code: 'bad-value', severity: 'error', term: text });
    // RFC 7208 §5.5: "ptr" SHOULD NOT be published; large receivers ignore it.
    if (mechanism.name === 'ptr') problems.push({ code: 'ptr-used', severity: 'warning', term: text });
    // RFC 7208 §5.1: mechanisms after "all" are never tested.
    if (allSeen) problems.push({ code: 'after-all', severity: 'warning', term: text });
    if (mechanism.name === 'all') allSeen = true;
  }
  // RFC 7208 §6.1: redirect is ignored when the record has an "all" mechanism.
  const redirect = terms.find((t) => t.kind === 'modifier' && t.name === 'redirect');
  if (redirect && allSeen) problems.push({ code: 'redirect-ignored', severity: 'warning', term: redirect.text });
  return { terms, problems };
}

/** The argument after the mechanism name: ":domain", "/cidr", "//cidr6", or nothing. */
function validMechanismArgument(name: SpfMechanismName, rest: string): boolean {
  switch (name) {
    case 'all':
      return rest === '';
    case 'include':
    case 'exists':
      return rest.startsWith(':') && isDomainSpec(rest.slice(1));
    case 'ptr':
      return rest === '' || (rest.startsWith(':') && isDomainSpec(rest.slice(1)));
    case 'a':
    case 'mx': {
      // RFC 7208 §5.3/§5.4: [ ":" domain-spec ] [ dual-cidr-length ]
      const m = /^(?::([^/]*))?(?:\/(\d+))?(?:\/\/(\d+))?$/.exec(rest);
      if (!m) return false;
      if (m[1] !== undefined && !isDomainSpec(m[1])) return false;
      return validPrefix(m[2], 32) && validPrefix(m[3], 128);
    }
    case 'ip4': {
      const m = /^:([^/]+)(?:\/(\d+))?$/.exec(rest);
      return m !== null && isIPv4(m[1] as string) && validPrefix(m[2], 32);
    }
    case 'ip6': {
      const m = /^:([^/]+)(?:\/(\d+))?$/.exec(rest);
      return m !== null && isIPv6(m[1] as string) && validPrefix(m[2], 128);
    }
  }
}

function validPrefix(text: string | undefined, max: number): boolean {
  if (text === undefined) return true;
  // RFC 7208 §12: ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT): no leading zeros.
  return /^(0|[1-9]\d*)$/.test(text) && Number(text) <= max;
}

const MACRO = /%(?:\{[slodiphcrtv]\d*r?[-.+,/_=]*\}|%|_|-)/gi;

/**
 * RFC 7208 §7.1: domain-spec = macro-string domain-end. Macros are accepted
 * as they are; without macros the text must look like a host name.
 */
export function isDomainSpec(spec: string): boolean {
  if (spec === '' || /[^\x21-\x7e]/.test(spec)) return false;
  const withoutMacros = spec.replace(MACRO, 'x');
  if (withoutMacros.includes('%')) return false;
  if (withoutMacros !== spec) return true;
  const name = spec.replace(/\.$/, '');
  const labels = name.split('.');
  if (labels.length < 2 || labels.some((l) => l.length === 0 || l.length > 63)) return false;
  // domain-end: the last label is a toplabel (not all digits).
  return !/^\d+$/.test(labels[labels.length - 1] as string);
}

/** Terms that cost a DNS lookup (RFC 7208 §4.6.4): include, a, mx, ptr, exists, redirect. */
export function isLookupTerm(term: SpfTerm): boolean {
  if (term.kind === 'modifier') return term.name === 'redirect';
  return term.name === 'include' || term.name === 'a' || term.name === 'mx' || term.name === 'ptr' || term.name === 'exists';
}

/** True when the value holds a macro: its target is only known at evaluation time. */
export function hasMacro(value: string): boolean {
  return value.includes('%');
}
