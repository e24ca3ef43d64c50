// The reply table's rows: a remote reply (code, enhanced code, text) from a
// provider group → what to do (retry, slow the group, suspend the group,
// bounce now). The rows are data (replies.yaml); this module validates them
// and finds the first row that matches a reply. Pure: no state, no I/O.
import type { RemoteReply } from '../core/outcome.js';

export type ReplyAction = 'retry' | 'slow' | 'suspend' | 'bounce';
/** DNS records a sender fixes after an authentication failure (the DSN says which). */
export type AuthRecord = 'spf' | 'dkim' | 'dmarc' | 'ptr';

export interface ReplyRule {
  readonly id: string;
  readonly provider?: string | undefined;
  readonly codes?: readonly number[] | undefined;
  readonly enhanced?: RegExp | undefined;
  readonly text?: RegExp | undefined;
  readonly action: ReplyAction;
  /** How long to slow or suspend, overriding the configured period. */
  readonly forMs?: number | undefined;
  readonly fix?: readonly AuthRecord[] | undefined;
  /** A real reply of the provider that this row is for (tested). */
  readonly example: string;
}

const ACTIONS: readonly ReplyAction[] = ['retry', 'slow', 'suspend', 'bounce'];
const RECORDS: readonly AuthRecord[] = ['spf', 'dkim', 'dmarc', 'ptr'];
const KEYS = ['id', 'provider', 'code', 'enhanced', 'text', 'action', 'for', 'fix', 'example'];

/** "30m", "4h", "1d", "90s" → milliseconds; undefined when not a duration. */
export function durationMs(raw: unknown): number | undefined {
  const m = typeof raw === 'string' ? /^(\d+)(s|m|h|d)$/.exec(raw) : null;
  if (!m) return undefined;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

function regex(source: unknown, anchored: boolean): RegExp | undefined {
  if (typeof source !== 'string' && typeof source !== 'number') return undefined;
  try {
    return new RegExp(anchored ? `^(?:${String(source)})$` : String(source), 'i');
  } catch {
    return undefined;
  }
}

/** A validated row, or the problems ("at: what is wrong (allowed: …)"). */
export function parseReplyRule(raw: unknown, where: string): ReplyRule | string[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [`${where}: not a mapping (allowed: ${KEYS.join(', ')})`];
  const r = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(r)) if (!KEYS.includes(key)) problems.push(`${where}.${key}: unknown key (allowed: ${KEYS.join(', ')})`);
  if (typeof r.id !== 'string' || r.id === '') problems.push(`${where}.id: missing (allowed: a short name such as gmail-4.7.28)`);
  if (!ACTIONS.includes(r.action as ReplyAction)) problems.push(`${where}.action: ${JSON.stringify(r.action)} is not allowed (allowed: ${ACTIONS.join(', ')})`);
  if (typeof r.example !== 'string' || !/^[2-5]\d\d[ -]/.test(r.example)) problems.push(`${where}.example: missing (allowed: a real reply such as "421 4.7.0 …")`);
  const codes = r.code === undefined ? undefined : Array.isArray(r.code) ? r.code : [r.code];
  if (codes !== undefined && !codes.every((c) => Number.isInteger(c) && (c as number) >= 200 && (c as number) <= 599)) problems.push(`${where}.code: ${JSON.stringify(r.code)} is not allowed (allowed: a reply code such as 421, or a list)`);
  const enhanced = r.enhanced === undefined ? undefined : regex(r.enhanced, true);
  if (r.enhanced !== undefined && enhanced === undefined) problems.push(`${where}.enhanced: not a valid pattern`);
  const text = r.text === undefined ? undefined : regex(r.text, false);
  if (r.text !== undefined && text === undefined) problems.push(`${where}.text: not a valid regular expression`);
  const forMs = r.for === undefined ? undefined : durationMs(r.for);
  if (r.for !== undefined && forMs === undefined) problems.push(`${where}.for: ${JSON.stringify(r.for)} is not allowed (allowed: a duration such as 30m, 4h, 1d)`);
  const fix = r.fix === undefined ? undefined : r.fix;
  if (fix !== undefined && !(Array.isArray(fix) && fix.every((f) => RECORDS.includes(f as AuthRecord)))) problems.push(`${where}.fix: ${JSON.stringify(fix)} is not allowed (allowed: a list of ${RECORDS.join(', ')})`);
  if (r.provider !== undefined && typeof r.provider !== 'string') problems.push(`${where}.provider: not a group name`);
  if (problems.length > 0) return problems;
  return {
    id: r.id as string,
    provider: r.provider as string | undefined,
    codes: codes as number[] | undefined,
    enhanced,
    text,
    action: r.action as ReplyAction,
    forMs,
    fix: fix as AuthRecord[] | undefined,
    example: r.example as string,
  };
}

/** The first row matching `reply` from a destination in `group` (undefined = not grouped). */
export function matchReply(rules: readonly ReplyRule[], reply: RemoteReply, group: string | undefined): ReplyRule | undefined {
  for (const rule of rules) {
    if (rule.provider !== undefined && rule.provider !== group) continue;
    if (rule.codes !== undefined && !rule.codes.includes(reply.code)) continue;
    if (rule.enhanced !== undefined && (reply.enhanced === undefined || !rule.enhanced.test(reply.enhanced))) continue;
    if (rule.text !== undefined && !rule.text.test(reply.text)) continue;
    return rule;
  }
  return undefined;
}

/** "421-4.7.28 text" (an example as written) → the reply as the SMTP client reports it. */
export function replyFromExample(example: string): RemoteReply {
  const m = /^(\d{3})[ -](?:([245]\.\d{1,3}\.\d{1,3}) )?(.*)$/s.exec(example);
  if (!m) throw new Error(`not a reply: ${example}`);
  return { code: Number(m[1]), enhanced: m[2], text: m[3] ?? '' };
}
