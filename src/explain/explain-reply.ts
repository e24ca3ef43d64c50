// explainReply: a delivery outcome and its reply in plain words, with what to
// do. The table (explain-rows.ts) first; a reply no row matches is explained
// from its enhanced status code by the DSN's own texts (bounce/status-text.ts,
// pure data with no imports: reused, not copied), with an action chosen by
// outcome.
import { describeStatus } from '../bounce/status-text.js';
import { EXPLAIN_ROWS, type Bilingual, type ExplainOutcome, type ExplainRow, type ExplainSeverity } from './explain-rows.js';

export interface ExplainInput {
  code?: number | undefined;
  enhanced?: string | undefined;
  /** The reply text ("550 5.1.1 …" or only its text), or our own detail when the remote said nothing. */
  text?: string | undefined;
  remoteMta?: string | undefined;
  outcome: ExplainOutcome;
  nextAttemptAtMs?: number | undefined;
}

export interface Explanation {
  summary: string;
  action: string;
  severity: ExplainSeverity;
  /** The table row used, or "fallback:<enhanced code or outcome>". */
  rowId: string;
}

const FALLBACK_ACTION: Readonly<Record<ExplainOutcome, Bilingual>> = {
  delivered: { ja: '対応は不要です。', en: 'Nothing to do.' },
  deferred: {
    ja: '一時的な問題です。飛脚が{retry}再送するので、対応は不要です。何日も続く場合は相手の応答 (下記) をサーバー管理者に見せてください。',
    en: "A temporary problem: Hikyaku will retry {retry}, nothing to do. If it lasts for days, show the remote reply (below) to your administrator.",
  },
  bounced: {
    ja: '送り直しても同じ結果になります。宛先と相手の応答 (下記) を確認し、必要なら別の手段で相手に連絡してください。',
    en: 'Resending will give the same result. Check the address and the remote reply (below); reach the recipient another way if needed.',
  },
  expired: {
    ja: '宛先が正しいかを確かめ、必要なら時間をおいて送り直してください。',
    en: 'Check the address and send the message again later if needed.',
  },
};

export function explainReply(input: ExplainInput, lang: 'ja' | 'en', timeZone?: string): Explanation {
  const enhanced = input.enhanced ?? enhancedIn(input.text);
  const code = input.code ?? codeIn(input.text);
  const row = EXPLAIN_ROWS.find((r) => matches(r, { ...input, enhanced, code }));
  const retry = retryPhrase(input.nextAttemptAtMs, lang, timeZone);
  if (row !== undefined) {
    return {
      summary: row.summary[lang],
      action: row.action[lang].replace('{retry}', retry),
      severity: row.severity ?? defaultSeverity(input.outcome),
      rowId: row.id,
    };
  }
  const status = enhanced ?? (code === undefined ? undefined : `${Math.floor(code / 100)}.0.0`);
  const summary = input.outcome === 'delivered' || status === undefined ? outcomeSummary(input.outcome) : sentence(describeStatus(status));
  return {
    summary: summary[lang],
    action: FALLBACK_ACTION[input.outcome][lang].replace('{retry}', retry),
    severity: defaultSeverity(input.outcome),
    rowId: `fallback:${status ?? input.outcome}`,
  };
}

function sentence(text: Bilingual): Bilingual {
  return { ja: `${text.ja}。`, en: `${text.en}.` };
}

function outcomeSummary(outcome: ExplainOutcome): Bilingual {
  switch (outcome) {
    case 'delivered':
      return { ja: '配信されました。', en: 'Delivered.' };
    case 'deferred':
      return { ja: '一時的な問題で、まだ配信できていません。', en: 'Not delivered yet because of a temporary problem.' };
    case 'bounced':
      return { ja: '配信できませんでした。', en: 'The message could not be delivered.' };
    case 'expired':
      return { ja: '期限内に配信できず、あきらめました。', en: 'The message could not be delivered in time and has expired.' };
  }
}

function matches(row: ExplainRow, input: ExplainInput): boolean {
  if (row.outcomes !== undefined && !row.outcomes.includes(input.outcome)) return false;
  if (row.outcomes === undefined && input.outcome === 'delivered') return false;
  if (row.provider !== undefined && !row.provider.test(input.remoteMta ?? '')) return false;
  if (row.codes !== undefined && (input.code === undefined || !row.codes.includes(input.code))) return false;
  if (row.enhanced !== undefined) {
    if (input.enhanced === undefined) return false;
    if (typeof row.enhanced === 'string' ? row.enhanced !== input.enhanced : !row.enhanced.test(input.enhanced)) return false;
  }
  if (row.text !== undefined && !row.text.test(input.text ?? '')) return false;
  return true;
}

function defaultSeverity(outcome: ExplainOutcome): ExplainSeverity {
  if (outcome === 'delivered') return 'info';
  if (outcome === 'deferred') return 'warning';
  return 'error';
}

/** "550 5.1.1 text" → 5.1.1 (replies given whole). */
function enhancedIn(text: string | undefined): string | undefined {
  return text === undefined ? undefined : /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(text)?.[1];
}

function codeIn(text: string | undefined): number | undefined {
  const m = text === undefined ? undefined : /^([2-5]\d\d)[ -]/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** "at 14:05" / "14:05 に" (with the date when not today), or "soon" / "自動で" when unknown. */
export function retryPhrase(atMs: number | undefined, lang: 'ja' | 'en', timeZone?: string, nowMs = Date.now()): string {
  if (atMs === undefined) return lang === 'ja' ? '自動で' : 'automatically';
  const zone = timeZone === undefined ? {} : { timeZone };
  const time = new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, ...zone }).format(atMs);
  const day = (ms: number): string => new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', ...zone }).format(ms);
  if (day(atMs) === day(nowMs)) return lang === 'ja' ? ` ${time} に` : `at ${time}`;
  const date = new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { month: lang === 'ja' ? 'long' : 'short', day: 'numeric', ...zone }).format(atMs);
  return lang === 'ja' ? ` ${date} ${time} に` : `on ${date} at ${time}`;
}
