// How findings look: text for people (coloured on a terminal, plain when
// piped) in one language, or JSON for machines with both languages.
import type { CheckStatus, Finding } from './types.js';

export type Lang = 'ja' | 'en';

export interface RenderOptions {
  readonly lang: Lang;
  readonly color: boolean;
  /** The server's name: findings about it are shown under "This server". */
  readonly hostname: string;
}

const LABELS: Record<CheckStatus, Record<Lang, string>> = {
  ok: { en: 'OK', ja: 'OK' },
  warning: { en: 'WARNING', ja: '警告' },
  error: { en: 'ERROR', ja: 'エラー' },
  info: { en: 'INFO', ja: '情報' },
};

const SYMBOLS: Record<CheckStatus, string> = { ok: '✔', warning: '▲', error: '✖', info: 'i' };

// SGR colours (ECMA-48): green, yellow, red, cyan; bold for headings.
const COLORS: Record<CheckStatus, string> = { ok: '32', warning: '33', error: '31', info: '36' };

const TEXT = {
  server: { en: 'This server', ja: 'このサーバー' },
  fix: { en: 'Fix:', ja: '対処:' },
  summary: {
    en: (c: Counts) => `Summary: ${c.error} error(s), ${c.warning} warning(s), ${c.ok} OK, ${c.info} info`,
    ja: (c: Counts) => `まとめ: エラー ${c.error} 件、警告 ${c.warning} 件、OK ${c.ok} 件、情報 ${c.info} 件`,
  },
  allGood: { en: 'No errors: mail sent through this server should be accepted.', ja: 'エラーはありません。このサーバーから送るメールは受け取ってもらえるはずです。' },
  hasErrors: { en: 'Fix the errors above, then run hikyaku doctor again.', ja: '上のエラーを直してから、もう一度 hikyaku doctor を実行してください。' },
};

// Checks of the machine rather than of a sending domain.
const SERVER_CHECKS = ['ptr.', 'ehlo.', 'blocklist.', 'tls.', 'port25.', 'delivery.', 'doctor.'];

export type Counts = Record<CheckStatus, number>;

export function countFindings(findings: readonly Finding[]): Counts {
  const counts: Counts = { ok: 0, warning: 0, error: 0, info: 0 };
  for (const f of findings) counts[f.status]++;
  return counts;
}

function groupOf(f: Finding, hostname: string): string {
  if (SERVER_CHECKS.some((p) => f.id.startsWith(p)) || f.subject === hostname) return '';
  return f.subject ?? '';
}

export function renderText(findings: readonly Finding[], options: RenderOptions): string {
  const { lang, color } = options;
  const paint = (code: string, s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const lines: string[] = [];
  // Domains first, then the server, each group in the order the checks ran.
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = groupOf(f, options.hostname);
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const ordered = [...groups].sort(([a], [b]) => (a === '' ? 1 : 0) - (b === '' ? 1 : 0));
  for (const [group, members] of ordered) {
    const heading = group === '' ? `${TEXT.server[lang]} (${options.hostname})` : group;
    if (lines.length > 0) lines.push('');
    lines.push(paint('1', `== ${heading} ==`));
    for (const f of members) lines.push(...renderFinding(f, lang, paint));
  }
  const counts = countFindings(findings);
  lines.push('', paint('1', TEXT.summary[lang](counts)));
  lines.push(counts.error === 0 ? paint(COLORS.ok, TEXT.allGood[lang]) : paint(COLORS.error, TEXT.hasErrors[lang]));
  return lines.join('\n');
}

const INDENT = '    ';

function renderFinding(f: Finding, lang: Lang, paint: (code: string, s: string) => string): string[] {
  const label = `${SYMBOLS[f.status]} ${LABELS[f.status][lang]}`;
  const lines = [`${paint(COLORS[f.status], label)}  ${f.title[lang]}  ${paint('2', `[${f.id}]`)}`];
  for (const line of f.explanation[lang].split('\n')) lines.push(INDENT + line);
  if (f.fix) {
    lines.push(`${INDENT}${paint('1', TEXT.fix[lang])} ${f.fix[lang]}`);
    // The record is indented but otherwise verbatim, so it can be copied as is.
    if (f.fix.record !== undefined) for (const line of f.fix.record.split('\n')) lines.push(line === '' ? '' : `${INDENT}  ${line}`);
  }
  return lines;
}

/** JSON for scripts and monitoring: every finding with both languages, and the counts. */
export function renderJson(findings: readonly Finding[]): string {
  const counts = countFindings(findings);
  return JSON.stringify({ ok: counts.error === 0, summary: counts, findings }, null, 2);
}
