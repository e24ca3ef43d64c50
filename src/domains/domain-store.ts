// Sending domains and their DKIM keys, one JSON file per domain under
// <dataDir>/domains/ (see domain-file.ts; private keys are inline, so the
// files are 0600 and the directory 0700).
//
// Every read checks the file's identity (inode, size, mtime, ctime) and
// re-parses only when it changed: writes are renames, so each write gives a
// new inode. The lookup made for every accepted message (findForFromDomain)
// goes further and keeps its answers without any system call until the
// directory may have changed (directory-changes.ts): a `hikyaku domain add`
// or `activate-key` in another process is seen by the running server a moment
// later (fs.watch), and within RECHECK_MS (1 s) at worst, without a restart.
import fs from 'node:fs';
import path from 'node:path';
import { domainToASCII } from 'node:url';
import { DirectoryChanges, RECHECK_MS } from './directory-changes.js';
import {
  dateSelector,
  freeSelectorBase,
  generateDkimKeyPair,
  selectorForAlgorithm,
  type DkimAlgorithm,
} from './dkim-key-generation.js';
import { parseDomainFile, serializeDomain } from './domain-file.js';
import { normalizeDomainName, normalizeSelector } from './domain-name.js';
import { createPrivateFileExclusive, ensurePrivateDir, writePrivateFile } from './private-file.js';
import type { DkimKey, DkimKeyState, SendingDomain } from './types.js';

export type { DkimAlgorithm, DkimKey, DkimKeyState, SendingDomain };

export type DomainStoreErrorCode =
  | 'invalid-name'
  | 'invalid-selector'
  | 'invalid-return-path'
  | 'exists'
  | 'not-found'
  | 'corrupt'
  /** rotate-key while keys of an earlier rotation are still pending (subject: their selectors). */
  | 'pending-exists'
  /** activate-key with no pending key (or not the named one). */
  | 'no-pending'
  /** A selector the domain does not have. */
  | 'key-not-found'
  /** retire-key of the key that signs. */
  | 'key-active'
  /** retire-key before the overlap ended (subject: the date it ends), without force. */
  | 'key-in-overlap';

/** An error the CLI can explain: `code` selects the message, `subject` is the name involved. */
export class DomainStoreError extends Error {
  readonly code: DomainStoreErrorCode;
  readonly subject: string;
  constructor(code: DomainStoreErrorCode, subject: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DomainStoreError';
    this.code = code;
    this.subject = subject;
  }
}

const ALGORITHM_ORDER: readonly DkimAlgorithm[] = ['rsa-sha256', 'ed25519-sha256'];

interface CacheEntry {
  readonly stamp: string;
  readonly domain: SendingDomain;
}

/** A findForFromDomain answer, valid while the generation is unchanged and for at most RECHECK_MS. */
interface LookupEntry {
  /** The canonical names to try, nearest first: the From domain's normalisation never changes. */
  readonly candidates: readonly string[];
  result: SendingDomain | undefined;
  checkedAtMs: number;
  generation: number;
}

/** Distinct From domains remembered; more are rare, and the oldest is then forgotten. */
const MAX_LOOKUPS = 1024;

export class DomainStore {
  readonly dir: string;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly lookups = new Map<string, LookupEntry>();
  private readonly changes: DirectoryChanges;

  private constructor(dir: string) {
    this.dir = dir;
    this.changes = new DirectoryChanges(dir);
  }

  /** Opens (does not create) `<dataDir>/domains`; it is created on the first add. */
  static open(dataDir: string): DomainStore {
    return new DomainStore(path.join(dataDir, 'domains'));
  }

  list(): SendingDomain[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: SendingDomain[] = [];
    for (const file of names.sort()) {
      if (!file.endsWith('.json')) continue; // skips "x.json.tmp-…" leftovers too
      const domain = this.read(file.slice(0, -'.json'.length));
      if (domain) out.push(domain);
    }
    return out;
  }

  get(name: string): SendingDomain | undefined {
    const canonical = normalizeDomainName(name);
    return canonical === undefined ? undefined : this.read(canonical);
  }

  add(name: string, options: { ed25519?: boolean; selector?: string; nowMs?: number } = {}): SendingDomain {
    const canonical = this.requireName(name);
    const nowMs = options.nowMs ?? Date.now();
    let base = dateSelector(nowMs);
    if (options.selector !== undefined) {
      const s = normalizeSelector(options.selector);
      if (s === undefined) throw new DomainStoreError('invalid-selector', options.selector, `invalid DKIM selector "${options.selector}"`);
      base = s;
    }
    const algorithms: DkimAlgorithm[] = options.ed25519 ? ['rsa-sha256', 'ed25519-sha256'] : ['rsa-sha256'];
    if (this.read(canonical)) throw new DomainStoreError('exists', canonical, `domain ${canonical} already exists`);
    const domain: SendingDomain = Object.freeze({
      name: canonical,
      createdAtMs: nowMs,
      keys: Object.freeze(algorithms.map((a) => newKey(selectorForAlgorithm(base, a), a, nowMs))),
      returnPathDomain: undefined,
    });
    ensurePrivateDir(this.dir);
    const created = createPrivateFileExclusive(this.file(canonical), serializeDomain(domain));
    this.changes.changed();
    if (!created) throw new DomainStoreError('exists', canonical, `domain ${canonical} already exists`);
    return domain;
  }

  remove(name: string): boolean {
    const canonical = normalizeDomainName(name);
    if (canonical === undefined) return false;
    try {
      fs.unlinkSync(this.file(canonical));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    } finally {
      this.changes.changed();
    }
    this.cache.delete(canonical);
    return true;
  }

  /**
   * Starts a rotation: new key(s) under a fresh selector for every algorithm
   * now signing, as PENDING keys. Nothing changes for signing: the active keys
   * go on signing until activate() (after the new record is published), so no
   * receiver ever sees a signature whose key it cannot find yet.
   * Refused while an earlier rotation's keys are still pending.
   */
  rotate(name: string, options: { nowMs?: number } = {}): { domain: SendingDomain; added: DkimKey[] } {
    const current = this.require(name);
    const nowMs = options.nowMs ?? Date.now();
    const pending = current.keys.filter((k) => k.state === 'pending');
    if (pending.length > 0) {
      const selectors = pending.map((k) => k.selector).join(', ');
      throw new DomainStoreError('pending-exists', selectors, `${current.name} already has pending DKIM keys: ${selectors}`);
    }
    const activeAlgorithms = new Set(current.keys.filter((k) => k.state === 'active').map((k) => k.algorithm));
    activeAlgorithms.add('rsa-sha256');
    const algorithms = ALGORITHM_ORDER.filter((a) => activeAlgorithms.has(a));
    const taken = new Set(current.keys.map((k) => k.selector));
    const base = freeSelectorBase(dateSelector(nowMs), taken, algorithms);
    const added = algorithms.map((a) => newKey(selectorForAlgorithm(base, a), a, nowMs, 'pending'));
    const domain = this.write({ ...current, keys: [...current.keys, ...added] });
    return { domain, added };
  }

  /**
   * Ends a rotation: the pending keys (all, or those of the rotation that
   * made `selector`) start signing; the active key of each of their
   * algorithms becomes retiring, published-but-unused until now+overlapMs.
   * The caller checks DNS first (activate-key, the server's auto-activation).
   */
  activate(name: string, options: { overlapMs: number; selector?: string; nowMs?: number }): { domain: SendingDomain; activated: DkimKey[]; retiring: DkimKey[] } {
    const current = this.require(name);
    const nowMs = options.nowMs ?? Date.now();
    const chosen = pendingToActivate(current, options.selector);
    const chosenSelectors = new Set(chosen.map((k) => k.selector));
    const algorithms = new Set(chosen.map((k) => k.algorithm));
    const activated: DkimKey[] = [];
    const retiring: DkimKey[] = [];
    const keys = current.keys.map((key): DkimKey => {
      if (chosenSelectors.has(key.selector)) {
        const a = Object.freeze({ ...key, state: 'active' as const, activatedAtMs: nowMs, retiredAtMs: undefined, retireUntilMs: undefined });
        activated.push(a);
        return a;
      }
      if (key.state === 'active' && algorithms.has(key.algorithm)) {
        const r = Object.freeze({ ...key, state: 'retiring' as const, retiredAtMs: nowMs, retireUntilMs: nowMs + options.overlapMs });
        retiring.push(r);
        return r;
      }
      return key;
    });
    // Signing keys first in the file, as `add` writes them.
    const order = (k: DkimKey): number => (k.state === 'active' ? 0 : k.state === 'pending' ? 1 : 2);
    const domain = this.write({ ...current, keys: [...keys].sort((a, b) => order(a) - order(b)) });
    return { domain, activated, retiring };
  }

  /**
   * Removes a key that does not sign: a retiring key once its overlap is
   * over (or before, with force), or a pending key (a rotation abandoned).
   */
  retireKey(name: string, selector: string, options: { force?: boolean; nowMs?: number } = {}): { domain: SendingDomain; removed: DkimKey } {
    const current = this.require(name);
    const nowMs = options.nowMs ?? Date.now();
    const wanted = selector.trim().toLowerCase();
    const key = current.keys.find((k) => k.selector.toLowerCase() === wanted);
    if (!key) throw new DomainStoreError('key-not-found', selector, `${current.name} has no DKIM key with selector "${selector}"`);
    if (key.state === 'active') throw new DomainStoreError('key-active', key.selector, `${key.selector} is the active DKIM key of ${current.name}`);
    if (key.state === 'retiring' && !options.force && key.retireUntilMs !== undefined && key.retireUntilMs > nowMs) {
      throw new DomainStoreError('key-in-overlap', String(key.retireUntilMs), `${key.selector} must stay published until ${new Date(key.retireUntilMs).toISOString()}`);
    }
    const domain = this.write({ ...current, keys: current.keys.filter((k) => k !== key) });
    return { domain, removed: key };
  }

  setReturnPathDomain(name: string, returnPathDomain: string | undefined): SendingDomain {
    const current = this.require(name);
    let rp: string | undefined;
    if (returnPathDomain !== undefined) {
      rp = normalizeDomainName(returnPathDomain);
      if (rp === undefined) {
        throw new DomainStoreError('invalid-return-path', returnPathDomain, `invalid return-path domain "${returnPathDomain}"`);
      }
    }
    return this.write({ ...current, returnPathDomain: rp });
  }

  /**
   * The registered domain for a header From domain: exact, else the nearest
   * registered parent. Runs for every accepted message, so the answer is
   * remembered per From domain until the directory may have changed (see
   * the top of this file). A damaged domain file throws every time.
   */
  findForFromDomain(fromDomain: string): SendingDomain | undefined {
    const nowMs = performance.now();
    const generation = this.changes.generation(nowMs);
    let entry = this.lookups.get(fromDomain);
    if (entry && entry.generation === generation && nowMs - entry.checkedAtMs < RECHECK_MS) return entry.result;
    const candidates = entry?.candidates ?? fromDomainCandidates(fromDomain);
    let result: SendingDomain | undefined;
    for (const canonical of candidates) {
      result = this.read(canonical);
      if (result) break;
    }
    if (entry) {
      entry.result = result;
      entry.checkedAtMs = nowMs;
      entry.generation = generation;
    } else {
      if (this.lookups.size >= MAX_LOOKUPS) this.lookups.delete(this.lookups.keys().next().value as string);
      entry = { candidates, result, checkedAtMs: nowMs, generation };
      this.lookups.set(fromDomain, entry);
    }
    return result;
  }

  /** Stops watching the directory; the store keeps working (answers are then re-checked every RECHECK_MS). */
  close(): void {
    this.changes.close();
  }

  private file(canonical: string): string {
    return path.join(this.dir, `${canonical}.json`);
  }

  private requireName(name: string): string {
    const canonical = normalizeDomainName(name);
    if (canonical === undefined) throw new DomainStoreError('invalid-name', name, `invalid domain name "${name}"`);
    return canonical;
  }

  private require(name: string): SendingDomain {
    const canonical = this.requireName(name);
    const found = this.read(canonical);
    if (!found) throw new DomainStoreError('not-found', canonical, `domain ${canonical} is not registered`);
    return found;
  }

  private write(domain: SendingDomain): SendingDomain {
    const frozen: SendingDomain = Object.freeze({ ...domain, keys: Object.freeze([...domain.keys]) });
    ensurePrivateDir(this.dir);
    try {
      writePrivateFile(this.file(frozen.name), serializeDomain(frozen));
    } finally {
      this.changes.changed();
    }
    return frozen;
  }

  private read(canonical: string): SendingDomain | undefined {
    const file = this.file(canonical);
    // No exception for the common miss: this runs for every accepted message,
    // and building an ENOENT error with its stack costs more than the stat.
    const st = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
    if (st === undefined) {
      this.cache.delete(canonical);
      return undefined;
    }
    const stamp = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const cached = this.cache.get(canonical);
    if (cached && cached.stamp === stamp) return cached.domain;
    let domain: SendingDomain;
    try {
      domain = parseDomainFile(fs.readFileSync(file, 'utf8'), file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // removed between stat and read
      throw new DomainStoreError('corrupt', file, (err as Error).message, { cause: err });
    }
    if (domain.name !== canonical) {
      throw new DomainStoreError('corrupt', file, `${file}: holds domain "${domain.name}", expected "${canonical}"`);
    }
    this.cache.set(canonical, { stamp, domain });
    return domain;
  }
}

/**
 * The canonical names a From domain may be registered under, nearest first:
 * the domain itself, then each parent down to two labels (a bare TLD can
 * never be registered, see normalizeDomainName).
 */
function fromDomainCandidates(fromDomain: string): string[] {
  const ascii = domainToASCII(fromDomain.trim().replace(/\.$/, '')).toLowerCase();
  if (ascii === '') return [];
  const labels = ascii.split('.');
  const out: string[] = [];
  for (let i = 0; i + 2 <= labels.length; i++) {
    const canonical = normalizeDomainName(labels.slice(i).join('.'));
    if (canonical !== undefined) out.push(canonical);
  }
  return out;
}

/** The pending keys activate() switches to: all of them, or the rotation (same creation instant) that made `selector`. */
export function pendingToActivate(domain: SendingDomain, selector?: string): DkimKey[] {
  const pending = domain.keys.filter((k) => k.state === 'pending');
  if (selector === undefined) {
    if (pending.length === 0) throw new DomainStoreError('no-pending', domain.name, `${domain.name} has no pending DKIM key`);
    return pending;
  }
  const wanted = selector.trim().toLowerCase();
  const named = domain.keys.find((k) => k.selector.toLowerCase() === wanted);
  if (!named) throw new DomainStoreError('key-not-found', selector, `${domain.name} has no DKIM key with selector "${selector}"`);
  if (named.state !== 'pending') throw new DomainStoreError('no-pending', named.selector, `${named.selector} of ${domain.name} is not pending`);
  return pending.filter((k) => k.createdAtMs === named.createdAtMs);
}

function newKey(selector: string, algorithm: DkimAlgorithm, nowMs: number, state: 'active' | 'pending' = 'active'): DkimKey {
  const pair = generateDkimKeyPair(algorithm);
  return Object.freeze({
    selector,
    algorithm,
    privateKeyPem: pair.privateKeyPem,
    publicKeyBase64: pair.publicKeyBase64,
    createdAtMs: nowMs,
    state,
    activatedAtMs: state === 'active' ? nowMs : undefined,
    retiredAtMs: undefined,
    retireUntilMs: undefined,
  });
}
