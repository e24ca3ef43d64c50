// MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) texts: the TXT records and the
// policy file, parsed into facts and problem codes. Shared by the sending
// side (src/mtasts/policy-source.ts) and the doctor, which words the
// problems for people (doctor/mta-sts-parse.ts). Pure functions.
import { parseTagList } from '../dns/tag-value.js';

export type StsProblem =
  | { readonly kind: 'version' }
  | { readonly kind: 'id'; readonly value: string | undefined }
  | { readonly kind: 'policy-line'; readonly line: string }
  | { readonly kind: 'policy-version' }
  | { readonly kind: 'policy-mode'; readonly value: string | undefined }
  | { readonly kind: 'policy-max-age'; readonly value: string | undefined }
  | { readonly kind: 'policy-mx' };

export type StsMode = 'enforce' | 'testing' | 'none';

/** RFC 8461 §3.1: "v=STSv1; id=<1-32 alphanumerics>". */
export function parseStsRecordText(text: string): { id: string | undefined; problems: StsProblem[] } {
  const list = parseTagList(text);
  const problems: StsProblem[] = [];
  if (list.order[0] !== 'v' || list.tags.get('v') !== 'STSv1') problems.push({ kind: 'version' });
  const id = list.tags.get('id');
  if (id === undefined || !/^[a-zA-Z0-9]{1,32}$/.test(id)) problems.push({ kind: 'id', value: id });
  return { id, problems };
}

export function isStsRecord(text: string): boolean {
  return /^v=STSv1\s*(;|$)/i.test(text.trim());
}

export interface StsPolicyText {
  readonly mode: string | undefined;
  readonly mx: readonly string[];
  /** Seconds; undefined when missing or invalid (then `problems` says so). */
  readonly maxAgeS: number | undefined;
  readonly problems: readonly StsProblem[];
}

// RFC 8461 §3.2: max_age is at most 31557600 seconds (one year).
const MAX_AGE_LIMIT_S = 31_557_600;

/** RFC 8461 §3.2: "key: value" lines; version, mode and max_age once, mx repeated. */
export function parseStsPolicyText(body: string): StsPolicyText {
  const problems: StsProblem[] = [];
  const fields = new Map<string, string>();
  const mx: string[] = [];
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const match = /^([a-z0-9_]+)\s*:\s*(.*)$/i.exec(line);
    if (!match) {
      problems.push({ kind: 'policy-line', line });
      continue;
    }
    const key = (match[1] as string).toLowerCase();
    const value = (match[2] as string).trim();
    if (key === 'mx') mx.push(value.toLowerCase());
    else if (!fields.has(key)) fields.set(key, value);
  }
  if (fields.get('version') !== 'STSv1') problems.push({ kind: 'policy-version' });
  const mode = fields.get('mode');
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') problems.push({ kind: 'policy-mode', value: mode });
  const maxAge = fields.get('max_age');
  const validAge = maxAge !== undefined && /^\d{1,8}$/.test(maxAge) && Number(maxAge) <= MAX_AGE_LIMIT_S;
  if (!validAge) problems.push({ kind: 'policy-max-age', value: maxAge });
  if (mx.length === 0 && mode !== 'none') problems.push({ kind: 'policy-mx' });
  return { mode, mx, maxAgeS: validAge ? Number(maxAge) : undefined, problems };
}

/** RFC 8461 §4.1: exact match, or "*." matching exactly one leftmost label. */
export function mxMatchesPattern(host: string, pattern: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const p = pattern.toLowerCase().replace(/\.$/, '');
  if (p.startsWith('*.')) {
    const dot = h.indexOf('.');
    return dot > 0 && h.slice(dot + 1) === p.slice(2);
  }
  return h === p;
}

export type TlsRptProblem = { readonly kind: 'version' } | { readonly kind: 'rua'; readonly value: string | undefined };

/** RFC 8460 §3: "v=TLSRPTv1; rua=mailto:...|https://...[,...]". `uris` are the valid ones. */
export function parseTlsRptRecordText(text: string): { rua: string | undefined; uris: string[]; problems: TlsRptProblem[] } {
  const list = parseTagList(text);
  const problems: TlsRptProblem[] = [];
  if (list.order[0] !== 'v' || list.tags.get('v') !== 'TLSRPTv1') problems.push({ kind: 'version' });
  const rua = list.tags.get('rua');
  const validUri = (u: string): boolean => /^mailto:[^@\s]+@[^@\s]+$/i.test(u) || /^https:\/\/[^\s]+$/i.test(u);
  const uris = rua === undefined ? [] : rua.split(',').map((u) => u.trim());
  if (rua === undefined || !uris.every(validUri)) problems.push({ kind: 'rua', value: rua });
  return { rua, uris: uris.filter(validUri), problems };
}

export function isTlsRptRecord(text: string): boolean {
  return /^v=TLSRPTv1\s*(;|$)/i.test(text.trim());
}
