// The on-disk form of one sending domain: <dataDir>/domains/<name>.json,
// mode 0600 because it holds the DKIM private keys (PEM, PKCS#8) inline.
// One file per domain keeps each change a single atomic rename.
//
// Format versions:
//  1: keys are 'active' or 'retiring' (retireUntilMs).
//  2: adds 'pending' keys (made by rotate-key, not signing until activated)
//     and, per key, activatedAtMs and retiredAtMs.
// A version-1 file is read as version 2 without loss (the missing dates are
// derived, see upgradeKeyV1) and written as version 2 on the next change.
import type { DkimKey, DkimKeyState, SendingDomain } from './types.js';

export const FORMAT_VERSION = 2;

interface KeyJson {
  selector: string;
  algorithm: string;
  privateKeyPem: string;
  publicKeyBase64: string;
  createdAtMs: number;
  state: string;
  activatedAtMs: number | null;
  retiredAtMs: number | null;
  retireUntilMs: number | null;
}

interface DomainJson {
  version: number;
  name: string;
  createdAtMs: number;
  returnPathDomain: string | null;
  keys: KeyJson[];
}

export function serializeDomain(domain: SendingDomain): string {
  const json: DomainJson = {
    version: FORMAT_VERSION,
    name: domain.name,
    createdAtMs: domain.createdAtMs,
    returnPathDomain: domain.returnPathDomain ?? null,
    keys: domain.keys.map((k) => ({
      selector: k.selector,
      algorithm: k.algorithm,
      privateKeyPem: k.privateKeyPem,
      publicKeyBase64: k.publicKeyBase64,
      createdAtMs: k.createdAtMs,
      state: k.state,
      activatedAtMs: k.activatedAtMs ?? null,
      retiredAtMs: k.retiredAtMs ?? null,
      retireUntilMs: k.retireUntilMs ?? null,
    })),
  };
  return JSON.stringify(json, null, 2) + '\n';
}

/** Parses and checks a domain file (version 1 or 2); throws an Error naming the file on any defect. */
export function parseDomainFile(text: string, fileName: string): SendingDomain {
  const fail = (what: string): never => {
    throw new Error(`${fileName}: ${what}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return fail(`not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(raw)) return fail('not a JSON object');
  const version = raw['version'];
  if (version !== 1 && version !== FORMAT_VERSION) {
    fail(`unsupported format version ${String(version)}${typeof version === 'number' && version > FORMAT_VERSION ? ' (written by a newer Hikyaku)' : ''}`);
  }
  const name = raw['name'];
  const createdAtMs = raw['createdAtMs'];
  const returnPath = raw['returnPathDomain'];
  const keys = raw['keys'];
  if (typeof name !== 'string') return fail('"name" must be a string');
  if (typeof createdAtMs !== 'number') return fail('"createdAtMs" must be a number');
  if (returnPath !== null && typeof returnPath !== 'string') return fail('"returnPathDomain" must be a string or null');
  if (!Array.isArray(keys)) return fail('"keys" must be an array');
  const optionalTime = (k: Record<string, unknown>, field: string, i: number): number | undefined => {
    const v = k[field];
    if (v !== null && v !== undefined && typeof v !== 'number') return fail(`keys[${i}].${field} invalid`);
    return typeof v === 'number' ? v : undefined;
  };
  const allowedStates: readonly string[] = version === 1 ? ['active', 'retiring'] : ['pending', 'active', 'retiring'];
  const parsedKeys = keys.map((k: unknown, i): DkimKey => {
    if (!isObject(k)) return fail(`keys[${i}] is not an object`);
    const { selector, algorithm, privateKeyPem, publicKeyBase64, state } = k;
    const keyCreated = k['createdAtMs'];
    if (typeof selector !== 'string' || selector === '') return fail(`keys[${i}].selector missing`);
    if (algorithm !== 'rsa-sha256' && algorithm !== 'ed25519-sha256') return fail(`keys[${i}].algorithm invalid`);
    if (typeof privateKeyPem !== 'string' || !privateKeyPem.includes('PRIVATE KEY')) return fail(`keys[${i}].privateKeyPem invalid`);
    if (typeof publicKeyBase64 !== 'string' || publicKeyBase64 === '') return fail(`keys[${i}].publicKeyBase64 missing`);
    if (typeof keyCreated !== 'number') return fail(`keys[${i}].createdAtMs must be a number`);
    if (typeof state !== 'string' || !allowedStates.includes(state)) return fail(`keys[${i}].state invalid`);
    return {
      selector,
      algorithm,
      privateKeyPem,
      publicKeyBase64,
      createdAtMs: keyCreated,
      state: state as DkimKeyState,
      activatedAtMs: optionalTime(k, 'activatedAtMs', i),
      retiredAtMs: optionalTime(k, 'retiredAtMs', i),
      retireUntilMs: optionalTime(k, 'retireUntilMs', i),
    };
  });
  const upgraded = version === 1 ? parsedKeys.map((key) => upgradeKeyV1(key, parsedKeys)) : parsedKeys;
  return Object.freeze({
    name,
    createdAtMs,
    keys: Object.freeze(upgraded.map((k) => Object.freeze(k))),
    returnPathDomain: returnPath ?? undefined,
  });
}

/**
 * Version 1 had no activation dates. Its keys signed from creation (add and
 * rotate-key switched at once), and a rotation made the new keys and retired
 * the old ones at the same instant: so an active key was activated when it
 * was created, and a retiring key stopped signing when the newest key created
 * before its retireUntilMs was made.
 */
function upgradeKeyV1(key: DkimKey, all: readonly DkimKey[]): DkimKey {
  if (key.state === 'active') return { ...key, activatedAtMs: key.activatedAtMs ?? key.createdAtMs };
  const until = key.retireUntilMs ?? Number.POSITIVE_INFINITY;
  const successors = all.filter((k) => k !== key && k.createdAtMs > key.createdAtMs && k.createdAtMs <= until).map((k) => k.createdAtMs);
  const retiredAtMs = key.retiredAtMs ?? (successors.length > 0 ? Math.max(...successors) : undefined);
  return { ...key, activatedAtMs: key.activatedAtMs ?? key.createdAtMs, retiredAtMs };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
