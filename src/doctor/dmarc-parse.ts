// DMARC record syntax (RFC 7489 §6.3, §6.4), with the tags of DMARCbis
// (np, psd, t) accepted. Besides the problems, it builds a repaired record
// (bad tags dropped, p= defaulting to none) to offer as the fix.
import { dmarc as m } from './messages.js';
import { parseTagList } from './tag-value.js';
import type { Text } from './types.js';

export type DmarcPolicy = 'none' | 'quarantine' | 'reject';

export interface DmarcProblem {
  readonly text: Text;
  readonly severity: 'error' | 'warning';
}

export interface DmarcRecord {
  readonly problems: readonly DmarcProblem[];
  readonly policy: DmarcPolicy | undefined;
  readonly subdomainPolicy: DmarcPolicy | undefined;
  readonly pct: number;
  readonly strictSpf: boolean;
  readonly strictDkim: boolean;
  readonly rua: string | undefined;
  /** The record with every invalid tag removed and a p= guaranteed. */
  readonly repaired: string;
}

/** RFC 7489 §6.6.3 step 3: only records beginning with "v=DMARC1" count. */
export function isDmarcRecord(txt: string): boolean {
  return /^v\s*=\s*DMARC1\s*(;|$)/.test(txt.trim());
}

/** Something meant as DMARC that receivers will discard (wrong case, v= not first...). */
export function looksLikeDmarc(txt: string): boolean {
  return /dmarc1/i.test(txt) || /(^|;)\s*p\s*=/i.test(txt);
}

const POLICIES = ['none', 'quarantine', 'reject'];
const URI = /^[a-z][a-z0-9+.-]*:[^\s!,]+(![0-9]+[kmgt]?)?$/i;

type Validator = { test: (value: string) => boolean; allowed: string };

const oneOf = (values: readonly string[]): Validator => ({ test: (v) => values.includes(v.toLowerCase()), allowed: values.join(', ') });

const VALIDATORS: Record<string, Validator> = {
  p: oneOf(POLICIES),
  sp: oneOf(POLICIES),
  np: oneOf(POLICIES),
  adkim: oneOf(['r', 's']),
  aspf: oneOf(['r', 's']),
  pct: { test: (v) => /^\d{1,3}$/.test(v) && Number(v) <= 100, allowed: '0-100' },
  ri: { test: (v) => /^\d{1,10}$/.test(v), allowed: 'seconds' },
  fo: { test: (v) => v.split(':').every((o) => ['0', '1', 'd', 's'].includes(o.trim())), allowed: '0, 1, d, s (colon-separated)' },
  rf: { test: (v) => v.split(':').every((f) => f.trim().toLowerCase() === 'afrf'), allowed: 'afrf' },
  rua: { test: validUriList, allowed: 'mailto:address, ...' },
  ruf: { test: validUriList, allowed: 'mailto:address, ...' },
  psd: oneOf(['y', 'n', 'u']),
  t: oneOf(['y', 'n']),
};

function validUriList(value: string): boolean {
  return value.split(',').every((raw) => {
    const uri = raw.trim();
    if (!URI.test(uri)) return false;
    return !/^mailto:/i.test(uri) || /^mailto:[^@\s]+@[^@\s]+\.[^@\s]+$/i.test(uri.replace(/![0-9]+[kmgt]?$/i, ''));
  });
}

export function parseDmarc(text: string): DmarcRecord {
  const list = parseTagList(text);
  const problems: DmarcProblem[] = [];
  const error = (t: Text): void => void problems.push({ text: t, severity: 'error' });
  if (list.order[0] !== 'v' || list.tags.get('v') !== 'DMARC1') error(m.problem.version());
  for (const part of list.malformed) error(m.problem.malformed(part));
  for (const tag of list.duplicates) error(m.problem.duplicate(tag));
  const valid = new Map<string, string>();
  for (const tag of list.order) {
    if (tag === 'v') continue;
    const value = list.tags.get(tag) as string;
    const validator = VALIDATORS[tag];
    if (!validator) {
      problems.push({ text: m.problem.unknown(tag), severity: 'warning' });
      continue;
    }
    if (!validator.test(value)) {
      error(m.problem.badValue(tag, value, validator.allowed));
      continue;
    }
    valid.set(tag, value);
  }
  if (!list.tags.has('p')) error(m.problem.noPolicy());
  const policy = valid.get('p')?.toLowerCase() as DmarcPolicy | undefined;
  const subdomainPolicy = valid.get('sp')?.toLowerCase() as DmarcPolicy | undefined;
  const rest = [...valid].filter(([tag]) => tag !== 'p').map(([tag, value]) => `${tag}=${value}`);
  return {
    problems,
    policy,
    subdomainPolicy,
    pct: valid.has('pct') ? Number(valid.get('pct')) : 100,
    strictSpf: valid.get('aspf')?.toLowerCase() === 's',
    strictDkim: valid.get('adkim')?.toLowerCase() === 's',
    rua: valid.get('rua'),
    repaired: ['v=DMARC1', `p=${policy ?? 'none'}`, ...rest].join('; '),
  };
}
