// `hikyaku history ADDRESS|ID [--json] [--limit N]`: what happened to mail
// after it left the queue (history.db, src/history/). For an address, the
// recent messages from or to it, delivered and bounced ones included; for a
// queue id, the message with every attempt, the remote reply and what it
// means (src/explain/). Works while the server runs (WAL).
import { parseArgs } from 'node:util';
import { mailboxProblem } from '../core/mailbox.js';
import { explainReply, type Explanation } from '../explain/explain-reply.js';
import { HistoryStore } from '../history/history-store.js';
import type { HistoryAttempt, HistoryMessage, HistorySummary } from '../history/history-types.js';
import { explanationLines } from './explain-text.js';
import type { Lang } from './language.js';
import type { CommandContext } from './user-command.js';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 1000;

const text = {
  usage: {
    en: 'usage: hikyaku history ADDRESS|ID [--json] [--limit N]   (recent messages from or to ADDRESS, or one message with every attempt)',
    ja: '使い方: hikyaku history アドレス|ID [--json] [--limit N]   (アドレスとやりとりした最近のメール、または 1 通の全配信記録)',
  },
  badLimit: { en: '--limit %s: give a whole number from 1 to 1000', ja: '--limit %s: 1 から 1000 までの整数を指定してください' },
  badAddress: { en: '%s: not an address', ja: '%s: アドレスではありません' },
  disabled: {
    en: 'The message history is off (history.retentionDays: 0 in the configuration).',
    ja: 'メッセージ履歴は無効です (設定で history.retentionDays: 0)。',
  },
  none: { en: 'No message from or to %s in the history.', ja: '%s とやりとりしたメールは履歴にありません。' },
  missing: { en: 'No message %s in the history (older than history.retentionDays, or a mistyped id).', ja: '履歴にメッセージ %s はありません (保存期間 history.retentionDays より古いか、ID の誤り)。' },
  header: { en: 'ACCEPTED\tID\tSTATE\tSENDER\tRECIPIENTS\tSUBJECT\tLAST REPLY', ja: '受付日時\tID\t状態\t送信者\t宛先\t件名\t最後の応答' },
  attempts: { en: 'Attempts:', ja: '配信の記録:' },
  noAttempts: { en: '  (no delivery attempt yet)', ja: '  (まだ配信を試みていません)' },
} as const;

const STATE: Record<string, { en: string; ja: string }> = {
  queued: { en: 'queued', ja: '送信待ち' },
  held: { en: 'held', ja: '保留中' },
  deferred: { en: 'deferred', ja: '再送待ち' },
  delivered: { en: 'delivered', ja: '配信済み' },
  bounced: { en: 'bounced', ja: '配信失敗' },
  expired: { en: 'expired', ja: '期限切れ' },
  partial: { en: 'partly delivered', ja: '一部配信' },
  deleted: { en: 'deleted', ja: '削除済み' },
};

export async function runHistoryCommand(args: string[], ctx: CommandContext): Promise<number> {
  const t = (key: keyof typeof text, arg = ''): string => text[key][ctx.lang].replace('%s', arg);
  let parsed;
  try {
    parsed = parseArgs({ args, options: { json: { type: 'boolean' }, limit: { type: 'string' } }, allowPositionals: true });
  } catch (err) {
    ctx.out(`${(err as Error).message}\n${t('usage')}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [target] = positionals;
  if (target === undefined || positionals.length > 1) {
    ctx.out(t('usage'));
    return 2;
  }
  const limit = values.limit === undefined ? DEFAULT_LIMIT : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    ctx.out(t('badLimit', values.limit));
    return 2;
  }
  if (ctx.config.history.retentionDays <= 0) {
    ctx.out(t('disabled'));
    return 1;
  }
  const isAddress = target.includes('@');
  if (isAddress && mailboxProblem(target) !== undefined) {
    ctx.out(`${t('badAddress', target)} (${mailboxProblem(target)})`);
    return 2;
  }
  const history = HistoryStore.open(ctx.config.dataDir);
  try {
    if (isAddress) return forAddress(history.recentForAddress(target, limit), target, values.json === true, ctx, t);
    const message = history.message(target);
    if (message === undefined) {
      ctx.out(t('missing', target));
      return 1;
    }
    return forMessage(message, values.json === true, ctx, t);
  } finally {
    history.close();
  }
}

function forAddress(items: HistorySummary[], address: string, json: boolean, ctx: CommandContext, t: (k: keyof typeof text, a?: string) => string): number {
  if (json) {
    ctx.out(JSON.stringify(items.map(withIsoTimes), null, 2));
    return 0;
  }
  if (items.length === 0) {
    ctx.out(t('none', address));
    return 0;
  }
  ctx.out(t('header'));
  for (const m of items) {
    ctx.out([localTime(m.acceptedAtMs), m.id, stateText(m.state, ctx.lang), m.mailFrom || '<>', m.rcptTo.join(','), m.subject ?? '', m.lastReply ?? ''].join('\t'));
  }
  return 0;
}

function forMessage(m: HistoryMessage, json: boolean, ctx: CommandContext, t: (k: keyof typeof text, a?: string) => string): number {
  const nextFor = new Map(m.recipients.map((r) => [r.rcptTo, r.nextAttemptAtMs]));
  const explained = m.attempts.map((a) => ({ attempt: a, explanation: explain(a, ctx.lang, nextFor.get(a.rcptTo)) }));
  if (json) {
    const { headers: _headers, ...rest } = m;
    ctx.out(
      JSON.stringify(
        {
          ...withIsoTimes(rest),
          attempts: explained.map(({ attempt, explanation }) => ({ ...attempt, at: new Date(attempt.atMs).toISOString(), explanation })),
          headers: m.headers,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  const [accepted, from, to, subject, state, source] =
    ctx.lang === 'ja' ? ['受付', '送信者', '宛先', '件名', '状態', '経路'] : ['accepted', 'sender', 'recipients', 'subject', 'state', 'way in'];
  ctx.out(`${m.id}`);
  ctx.out(`  ${accepted}: ${localTime(m.acceptedAtMs)}   ${source}: ${m.source}${m.user === undefined ? '' : ` (${m.user})`}   ${m.size} bytes`);
  ctx.out(`  ${from}: ${m.mailFrom || '<>'}${m.from === undefined ? '' : `   From: ${m.from}`}`);
  ctx.out(`  ${to}: ${m.recipients.map((r) => `${r.rcptTo} (${stateText(r.state, ctx.lang)})`).join(', ')}`);
  if (m.subject !== undefined) ctx.out(`  ${subject}: ${m.subject}`);
  ctx.out(`  ${state}: ${stateText(m.state, ctx.lang)}`);
  ctx.out('');
  ctx.out(t('attempts'));
  if (explained.length === 0) ctx.out(t('noAttempts'));
  for (const { attempt: a, explanation } of explained) {
    const said = a.reply ?? a.detail ?? '';
    ctx.out(`  ${localTime(a.atMs)}  ${a.rcptTo}  ${stateText(a.outcome, ctx.lang)}${a.remoteMta === undefined ? '' : `  ${a.remoteMta}`}`);
    if (said !== '') ctx.out(`    ${said}`);
    for (const line of explanationLines(explanation, ctx.lang, '    ')) ctx.out(line);
  }
  return 0;
}

function explain(a: HistoryAttempt, lang: Lang, nextAttemptAtMs: number | undefined): Explanation {
  return explainReply({ code: a.code, enhanced: a.enhanced, text: a.reply ?? a.detail, remoteMta: a.remoteMta, outcome: a.outcome, nextAttemptAtMs }, lang);
}

function stateText(state: string, lang: Lang): string {
  return STATE[state]?.[lang] ?? state;
}

function withIsoTimes<T extends { acceptedAtMs: number; updatedAtMs: number }>(m: T): T & { acceptedAt: string; updatedAt: string } {
  return { ...m, acceptedAt: new Date(m.acceptedAtMs).toISOString(), updatedAt: new Date(m.updatedAtMs).toISOString() };
}

/** "2026-12-04 14:05:09" in the machine's time zone. */
function localTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
