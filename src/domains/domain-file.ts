// The on-disk form of one sending domain: <dataDir>/domains/<name>.json,
// mode 0600 because it holds the DKIM private keys (PEM, PKCS#8) inline.
// One file per domain keeps each change a single atomic rename.
import type { DkimKey, SendingDomain } from './types.js';

const FORMAT_VERSION = 1;

interface KeyJson {
  selector: string;
  algorithm: string;
  privateKeyPem: string;
  publicKeyBase64: string;
  createdAtMs: number;
  state: string;
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
      retireUntilMs: k.retireUntilMs ?? null,
    })),
  };
  return JSON.stringify(json, null, 2) + '\n';
}

/** Parses and checks a domain file; throws an Error naming the file on any defect. */
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
  if (raw['version'] !== FORMAT_VERSION) fail(`unsupported format version ${String(raw['version'])}`);
  const name = raw['name'];
  const createdAtMs = raw['createdAtMs'];
  const returnPath = raw['returnPathDomain'];
  const keys = raw['keys'];
  if (typeof name !== 'string') return fail('"name" must be a string');
  if (typeof createdAtMs !== 'number') return fail('"createdAtMs" must be a number');
  if (returnPath !== null && typeof returnPath !== 'string') return fail('"returnPathDomain" must be a string or null');
  if (!Array.isArray(keys)) return fail('"keys" must be an array');
  const parsedKeys = keys.map((k: unknown, i): DkimKey => {
    if (!isObject(k)) return fail(`keys[${i}] is not an object`);
    const { selector, algorithm, privateKeyPem, publicKeyBase64, state } = k;
    const keyCreated = k['createdAtMs'];
    const retireUntil = k['retireUntilMs'];
    if (typeof selector !== 'string' || selector === '') return fail(`keys[${i}].selector missing`);
    if (algorithm !== 'rsa-sha256' && algorithm !== 'ed25519-sha256') return fail(`keys[${i}].algorithm invalid`);
    if (typeof privateKeyPem !== 'string' || !privateKeyPem.includes('PRIVATE KEY')) return fail(`keys[${i}].privateKeyPem invalid`);
    if (typeof publicKeyBase64 !== 'string' || publicKeyBase64 === '') return fail(`keys[${i}].publicKeyBase64 missing`);
    if (typeof keyCreated !== 'number') return fail(`keys[${i}].createdAtMs must be a number`);
    if (state !== 'active' && state !== 'retiring') return fail(`keys[${i}].state invalid`);
    if (retireUntil !== null && retireUntil !== undefined && typeof retireUntil !== 'number') return fail(`keys[${i}].retireUntilMs invalid`);
    return Object.freeze({
      selector,
      algorithm,
      privateKeyPem,
      publicKeyBase64,
      createdAtMs: keyCreated,
      state,
      retireUntilMs: typeof retireUntil === 'number' ? retireUntil : undefined,
    });
  });
  return Object.freeze({
    name,
    createdAtMs,
    keys: Object.freeze(parsedKeys),
    returnPathDomain: returnPath ?? undefined,
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
