// The MTA-STS policies we fetched, kept until their max_age runs out
// (RFC 8461 §5.1) and saved in the data directory, so that a restart does
// not forget an enforce policy: an attacker who can block the policy host
// right after a restart must not be able to downgrade delivery to plain
// text. The file is rewritten whole (temporary file + rename) when a policy
// changes, which is rare; it is validated on load and a bad entry dropped.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StsMode } from './sts-text.js';

export interface CachedPolicy {
  readonly domain: string;
  /** The id of the _mta-sts TXT record the policy was fetched for. */
  readonly id: string;
  readonly mode: StsMode;
  readonly mx: readonly string[];
  readonly maxAgeS: number;
  readonly fetchedAtMs: number;
  /** The policy file as fetched, for TLS-RPT's policy-string (RFC 8460 §4.3.1.1). */
  readonly text: string;
}

export const POLICY_CACHE_FILE = 'mta-sts-policies.json';

export class PolicyCache {
  private readonly policies = new Map<string, CachedPolicy>();
  private readonly path: string | undefined;

  /** `dataDir` undefined: kept in memory only. */
  constructor(dataDir: string | undefined, onLoadProblem?: (problem: string) => void) {
    this.path = dataDir === undefined ? undefined : join(dataDir, POLICY_CACHE_FILE);
    if (this.path !== undefined) this.load(this.path, onLoadProblem);
  }

  /** The policy for `domain` if its max_age has not run out at `nowMs`. */
  get(domain: string, nowMs: number): CachedPolicy | undefined {
    const p = this.policies.get(domain);
    if (p === undefined) return undefined;
    if (p.fetchedAtMs + p.maxAgeS * 1000 <= nowMs) return undefined;
    return p;
  }

  set(policy: CachedPolicy): void {
    this.policies.set(policy.domain, policy);
    this.save();
  }

  private save(): void {
    if (this.path === undefined) return;
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify([...this.policies.values()]), { mode: 0o600 });
    renameSync(tmp, this.path);
  }

  private load(path: string, onLoadProblem: ((problem: string) => void) | undefined): void {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onLoadProblem?.(`${path}: ${(err as Error).message}; starting with an empty MTA-STS cache`);
      return;
    }
    if (!Array.isArray(raw)) {
      onLoadProblem?.(`${path}: not a list; starting with an empty MTA-STS cache`);
      return;
    }
    for (const entry of raw) {
      const p = validPolicy(entry);
      if (p === undefined) onLoadProblem?.(`${path}: dropped an invalid entry`);
      else this.policies.set(p.domain, p);
    }
  }
}

function validPolicy(v: unknown): CachedPolicy | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const e = v as Record<string, unknown>;
  const ok =
    typeof e.domain === 'string' &&
    typeof e.id === 'string' &&
    (e.mode === 'enforce' || e.mode === 'testing' || e.mode === 'none') &&
    Array.isArray(e.mx) &&
    e.mx.every((m) => typeof m === 'string') &&
    typeof e.maxAgeS === 'number' &&
    Number.isSafeInteger(e.maxAgeS) &&
    typeof e.fetchedAtMs === 'number' &&
    typeof e.text === 'string';
  if (!ok) return undefined;
  return {
    domain: e.domain as string,
    id: e.id as string,
    mode: e.mode as StsMode,
    mx: e.mx as string[],
    maxAgeS: e.maxAgeS as number,
    fetchedAtMs: e.fetchedAtMs as number,
    text: e.text as string,
  };
}
