// Which SPF `include:` to suggest for a smarthost. The right one is whatever
// the provider documents; offline we can only guess, so a few well-known
// providers are mapped and otherwise the host's registrable domain is used
// (and the note tells the user to check).
import net from 'node:net';

export interface SpfIncludeGuess {
  readonly include: string;
  /** True when the include comes from the table of known providers. */
  readonly known: boolean;
}

const KNOWN_PROVIDERS: readonly (readonly [RegExp, string])[] = [
  [/(^|\.)(gmail|googlemail|google)\.com$/, '_spf.google.com'],
  [/(^|\.)(office365|outlook)\.com$/, 'spf.protection.outlook.com'],
  [/^email-smtp\.[a-z0-9-]+\.amazonaws\.com$/, 'amazonses.com'],
  [/(^|\.)sendgrid\.net$/, 'sendgrid.net'],
  [/(^|\.)mailgun\.org$/, 'mailgun.org'],
];

// Second-level labels under country-code TLDs that are registries of their
// own (co.jp, ne.jp, co.uk, com.au, …). A heuristic, not the Public Suffix List.
const CC_SECOND_LEVEL = new Set(['ac', 'ad', 'co', 'com', 'ed', 'edu', 'go', 'gov', 'gr', 'lg', 'ne', 'net', 'or', 'org']);

/** undefined for an IP-literal smarthost: there is no domain to include. */
export function guessSpfInclude(smarthostHost: string): SpfIncludeGuess | undefined {
  const host = smarthostHost.trim().toLowerCase().replace(/\.$/, '').replace(/^\[|\]$/g, '');
  if (host === '' || net.isIP(host) !== 0) return undefined;
  for (const [pattern, include] of KNOWN_PROVIDERS) {
    if (pattern.test(host)) return { include, known: true };
  }
  return { include: registrableDomain(host), known: false };
}

export function registrableDomain(host: string): string {
  const labels = host.split('.');
  if (labels.length <= 2) return host;
  const tld = labels[labels.length - 1] as string;
  const second = labels[labels.length - 2] as string;
  const keep = tld.length === 2 && CC_SECOND_LEVEL.has(second) ? 3 : 2;
  return labels.slice(-keep).join('.');
}
