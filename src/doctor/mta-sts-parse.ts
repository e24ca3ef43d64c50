// MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) texts, worded for the doctor's
// report. The parsing itself lives in src/mtasts/sts-text.ts, shared with
// sending; here its problem codes become bilingual sentences.
import { mtaSts as m, tlsRpt as r } from './messages.js';
import {
  isStsRecord,
  isTlsRptRecord,
  mxMatchesPattern,
  parseStsPolicyText,
  parseStsRecordText,
  parseTlsRptRecordText,
  type StsProblem,
  type TlsRptProblem,
} from '../mtasts/sts-text.js';
import type { Text } from './types.js';

export { isStsRecord, isTlsRptRecord, mxMatchesPattern };

function stsProblemText(p: StsProblem): Text {
  switch (p.kind) {
    case 'version':
      return m.problem.version();
    case 'id':
      return m.problem.id(p.value);
    case 'policy-line':
      return m.problem.policyLine(p.line);
    case 'policy-version':
      return m.problem.policyVersion();
    case 'policy-mode':
      return m.problem.policyMode(p.value);
    case 'policy-max-age':
      return m.problem.policyMaxAge(p.value);
    case 'policy-mx':
      return m.problem.policyMx();
  }
}

function tlsRptProblemText(p: TlsRptProblem): Text {
  return p.kind === 'version' ? r.problem.version() : r.problem.rua(p.value);
}

/** RFC 8461 §3.1: "v=STSv1; id=<1-32 alphanumerics>". */
export function parseStsRecord(text: string): { id: string | undefined; problems: Text[] } {
  const parsed = parseStsRecordText(text);
  return { id: parsed.id, problems: parsed.problems.map(stsProblemText) };
}

export interface StsPolicy {
  readonly mode: string | undefined;
  readonly mx: readonly string[];
  readonly problems: readonly Text[];
}

/** RFC 8461 §3.2: "key: value" lines; version, mode and max_age once, mx repeated. */
export function parseStsPolicy(body: string): StsPolicy {
  const parsed = parseStsPolicyText(body);
  return { mode: parsed.mode, mx: parsed.mx, problems: parsed.problems.map(stsProblemText) };
}

/** RFC 8460 §3: "v=TLSRPTv1; rua=mailto:...|https://...[,...]". */
export function parseTlsRptRecord(text: string): { rua: string | undefined; problems: Text[] } {
  const parsed = parseTlsRptRecordText(text);
  return { rua: parsed.rua, problems: parsed.problems.map(tlsRptProblemText) };
}
