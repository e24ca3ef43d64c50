// Mailbox provider groups: which MX host names belong to which provider, and
// the limits that apply to the provider as a whole. The shipped table is
// data (providers.yaml, next to this module); `deliverability.groups` in the
// configuration extends it. This module validates entries from both and
// answers "which group do these MX hosts belong to?".

export interface GroupLimits {
  /** Simultaneous deliveries (connections) to the group. */
  readonly connections?: number | undefined;
  readonly messagesPerConnection?: number | undefined;
  readonly perMinute?: number | undefined;
  readonly perHour?: number | undefined;
}

export interface ProviderGroup extends GroupLimits {
  readonly name: string;
  readonly description?: string | undefined;
  /** "*.google.com" (any name under google.com) or an exact host name. */
  readonly mx: readonly string[];
}

const LIMIT_KEYS = ['connections', 'messagesPerConnection', 'perMinute', 'perHour'] as const;
const KEYS = ['name', 'description', 'mx', ...LIMIT_KEYS];
const NAME = /^[a-z0-9][a-z0-9-]{0,40}$/;
const PATTERN = /^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;

/** Problems in one group entry, each "at: what is wrong (allowed: …)"; empty = valid. */
export function groupProblems(raw: unknown, where: string): string[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [`${where}: not a mapping (allowed: ${KEYS.join(', ')})`];
  const item = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(item)) if (!KEYS.includes(key)) problems.push(`${where}.${key}: unknown key (allowed: ${KEYS.join(', ')})`);
  if (typeof item.name !== 'string' || !NAME.test(item.name)) {
    problems.push(`${where}.name: ${JSON.stringify(item.name)} is not allowed (allowed: lower-case letters, digits and "-", e.g. gmail)`);
  }
  if (item.mx !== undefined) {
    if (!Array.isArray(item.mx)) problems.push(`${where}.mx: not a list (allowed: host patterns such as "*.google.com")`);
    else item.mx.forEach((p: unknown, i) => {
      if (typeof p !== 'string' || !PATTERN.test(p.toLowerCase())) problems.push(`${where}.mx[${i}]: ${JSON.stringify(p)} is not allowed (allowed: "*.example.com" or "mx.example.com")`);
    });
  }
  if (item.description !== undefined && typeof item.description !== 'string') problems.push(`${where}.description: not a string`);
  for (const key of LIMIT_KEYS) {
    const v = item[key];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 1)) problems.push(`${where}.${key}: ${JSON.stringify(v)} is not allowed (allowed: an integer of at least 1)`);
  }
  return problems;
}

/** A validated entry (call groupProblems first). */
export function toGroup(raw: Record<string, unknown>): ProviderGroup {
  const group: Record<string, unknown> = { name: raw.name, mx: ((raw.mx as string[] | undefined) ?? []).map((p) => p.toLowerCase()) };
  if (raw.description !== undefined) group.description = raw.description;
  for (const key of LIMIT_KEYS) if (raw[key] !== undefined) group[key] = raw[key];
  return group as unknown as ProviderGroup;
}

/**
 * The configured groups over the shipped ones: a configured group with a
 * shipped name overrides the limits it sets and puts its patterns first;
 * a new name adds a group. Configured patterns are tried before shipped ones.
 */
export function mergeGroups(shipped: readonly ProviderGroup[], configured: readonly ProviderGroup[]): ProviderGroup[] {
  const shippedByName = new Map(shipped.map((g) => [g.name, g]));
  const out = new Map<string, ProviderGroup>();
  for (const c of configured) {
    const base = out.get(c.name) ?? shippedByName.get(c.name);
    if (base === undefined) {
      out.set(c.name, c);
      continue;
    }
    const merged: Record<string, unknown> = { ...base, mx: [...c.mx, ...base.mx] };
    for (const key of LIMIT_KEYS) if (c[key] !== undefined) merged[key] = c[key];
    out.set(c.name, merged as unknown as ProviderGroup);
  }
  // Configured groups first, so that their patterns win over a shipped wildcard.
  for (const s of shipped) if (!out.has(s.name)) out.set(s.name, s);
  return [...out.values()];
}

/** Finds the group of a destination from its MX host names; remembers answers per host. */
export class GroupMatcher {
  private readonly exact = new Map<string, ProviderGroup>();
  private readonly suffixes: { readonly suffix: string; readonly group: ProviderGroup }[] = [];
  private readonly cache = new Map<string, ProviderGroup | null>();

  constructor(readonly groups: readonly ProviderGroup[]) {
    for (const g of groups) {
      for (const p of g.mx) {
        if (p.startsWith('*.')) this.suffixes.push({ suffix: p.slice(1), group: g });
        else if (!this.exact.has(p)) this.exact.set(p, g);
      }
    }
  }

  /** The group of the first MX host that matches, in preference order; undefined = not shaped. */
  groupOf(mxHosts: readonly string[]): ProviderGroup | undefined {
    for (const host of mxHosts) {
      const g = this.hostGroup(host);
      if (g !== undefined) return g;
    }
    return undefined;
  }

  private hostGroup(host: string): ProviderGroup | undefined {
    const cached = this.cache.get(host);
    if (cached !== undefined) return cached ?? undefined;
    const name = host.toLowerCase().replace(/\.$/, '');
    let found = this.exact.get(name);
    if (found === undefined) found = this.suffixes.find((s) => name.endsWith(s.suffix))?.group;
    // Bounded: MX host names are few, but a hostile set of domains must not grow it forever.
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(host, found ?? null);
    return found;
  }
}
