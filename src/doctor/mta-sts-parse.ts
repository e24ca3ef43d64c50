// MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) texts: the TXT records and the
// policy file. Pure functions, so the rules can be tested line by line.
import { mtaSts as m, tlsRpt as r } from './messages.js';
import { parseTagList } from './tag-value.js';
import type { Text } from './types.js';

/** RFC 8461 §3.1: "v=STSv1; id=<1-32 alphanumerics>". */
export function parseStsRecord(text: string): { id: string | undefined; problems: Text[] } {
  const list = parseTagList(text);
  const problems: Text[] = [];
  if (list.order[0] !== 'v' || list.tags.get('v') !== 'STSv1') problems.push(m.problem.version());
  const id = list.tags.get('id');
  if (id === undefined || !/^[a-zA-Z0-9]{1,32}$/.test(id)) problems.push(m.problem.id(id));
  return { id, problems };
}

export function isStsRecord(text: string): boolean {
  return /^v=STSv1\s*(;|$)/i.test(text.trim());
}

export interface StsPolicy {
  readonly mode: string | undefined;
  readonly mx: readonly string[];
  readonly problems: readonly Text[];
}

/** RFC 8461 §3.2: "key: value" lines; version, mode and max_age once, mx repeated. */
export function parseStsPolicy(body: string): StsPolicy {
  const problems: Text[] = [];
  const fields = new Map<string, string>();
  const mx: string[] = [];
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const match = /^([a-z0-9_]+)\s*:\s*(.*)$/i.exec(line);
    if (!match) {
      problems.push(m.problem.policyLine(line));
      continue;
    }
    const key = (match[1] as string).toLowerCase();
    const value = (match[2] as string).trim();
    if (key === 'mx') mx.push(value.toLowerCase());
    else if (!fields.has(key)) fields.set(key, value);
  }
  if (fields.get('version') !== 'STSv1') problems.push(m.problem.policyVersion());
  const mode = fields.get('mode');
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') problems.push(m.problem.policyMode(mode));
  const maxAge = fields.get('max_age');
  if (maxAge === undefined || !/^\d{1,8}$/.test(maxAge) || Number(maxAge) > 31_557_600) problems.push(m.problem.policyMaxAge(maxAge));
  if (mx.length === 0 && mode !== 'none') problems.push(m.problem.policyMx());
  return { mode, mx, problems };
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

/** RFC 8460 §3: "v=TLSRPTv1; rua=mailto:...|https://...[,...]". */
export function parseTlsRptRecord(text: string): { rua: string | undefined; problems: Text[] } {
  const list = parseTagList(text);
  const problems: Text[] = [];
  if (list.order[0] !== 'v' || list.tags.get('v') !== 'TLSRPTv1') problems.push(r.problem.version());
  const rua = list.tags.get('rua');
  const validUri = (u: string): boolean => /^mailto:[^@\s]+@[^@\s]+$/i.test(u) || /^https:\/\/[^\s]+$/i.test(u);
  if (rua === undefined || !rua.split(',').every((u) => validUri(u.trim()))) problems.push(r.problem.rua(rua));
  return { rua, problems };
}

export function isTlsRptRecord(text: string): boolean {
  return /^v=TLSRPTv1\s*(;|$)/i.test(text.trim());
}
