// `hikyaku status [--json]`: asks the running server (its control socket,
// src/status/) how it is, prints it, and says by the exit status whether it
// needs attention, for monitoring (Nagios/Icinga plugin codes):
//   0 ok · 1 warning · 2 critical · 3 unknown: the server is not running, does
//   not answer, or the command was mistyped.
// The thresholds are the configuration's (status.*), read here, not by the server.
import { parseArgs } from 'node:util';
import { assessStatus, formatAge, type Assessment } from '../status/assess.js';
import { ControlUnreachable, requestStatus } from '../status/control-socket.js';
import type { StatusReport } from '../status/status-report.js';
import type { Lang } from './language.js';
import type { CommandContext } from './user-command.js';

export const STATUS_UNKNOWN = 3;

type T = { readonly en: string; readonly ja: string };
const text = {
  usage: { en: 'usage: hikyaku status [--json]   (exit status: 0 ok, 1 warning, 2 critical, 3 not running or unknown)', ja: '使い方: hikyaku status [--json]   (終了ステータス: 0 正常、1 警告、2 重大、3 停止中または不明)' },
  'not-running': {
    en: 'Hikyaku is not running with the data directory %s (no answer on %s). Start it: systemctl start hikyaku (or hikyaku start).',
    ja: 'データディレクトリ %s の Hikyaku は動いていません (%s に応答がありません)。起動してください: systemctl start hikyaku (または hikyaku start)。',
  },
  permission: {
    en: 'No permission to ask the running server (%s, %s): run hikyaku status as the server\'s user (sudo -u hikyaku hikyaku status) or as root.',
    ja: '起動中のサーバーに問い合わせる権限がありません (%s、%s)。サーバーのユーザー (sudo -u hikyaku hikyaku status) か root で実行してください。',
  },
  'no-answer': { en: 'The server with the data directory %s did not answer properly (%s): see its log (journalctl -u hikyaku).', ja: 'データディレクトリ %s のサーバーが正しく応答しません (%s)。ログを確認してください (journalctl -u hikyaku)。' },
  ok: { en: 'OK: nothing needs attention.', ja: '正常: 対応が必要なことはありません。' },
  warning: { en: 'WARNING: needs attention:', ja: '警告: 対応が必要です:' },
  critical: { en: 'CRITICAL: needs attention now:', ja: '重大: すぐに対応が必要です:' },
} satisfies Record<string, T>;

export async function runStatusCommand(args: string[], ctx: CommandContext): Promise<number> {
  const say = (t: T, ...values: string[]): string => values.reduce((s, v) => s.replace('%s', v), t[ctx.lang]);
  let json = false;
  try {
    const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true });
    if (positionals.length > 0) throw new Error(`unexpected argument: ${positionals[0]}`);
    json = values.json === true;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${say(text.usage)}\n`);
    return STATUS_UNKNOWN;
  }
  let report: StatusReport;
  try {
    report = await requestStatus(ctx.config.dataDir);
  } catch (err) {
    if (!(err instanceof ControlUnreachable)) throw err;
    const message = say(text[err.reason], ctx.config.dataDir, err.message);
    if (json) ctx.out(JSON.stringify({ running: false, reason: err.reason, message: { en: text[err.reason].en, ja: text[err.reason].ja }, detail: err.message }));
    else process.stderr.write(message + '\n');
    return STATUS_UNKNOWN;
  }
  const attention = assessStatus(report, ctx.config.status);
  if (json) ctx.out(JSON.stringify({ running: true, ...report, attention }, null, 2));
  else ctx.out(renderStatus(report, attention, ctx.lang));
  return attention.exitCode;
}

function renderStatus(r: StatusReport, a: Assessment, lang: Lang): string {
  const ja = lang === 'ja';
  const date = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  const age = (ms: number): string => formatAge(ms)[lang];
  const lines: string[] = [];
  lines.push(ja ? `Hikyaku ${r.hostname} (pid ${r.pid}、データ ${r.dataDir}、フォーマット ${r.dataFormat})` : `Hikyaku ${r.hostname} (pid ${r.pid}, data ${r.dataDir}, format ${r.dataFormat})`);
  lines.push(ja ? `  起動:       ${date(r.startedAtMs)} (${age(r.nowMs - r.startedAtMs)}前)` : `  up since:   ${date(r.startedAtMs)} (${age(r.nowMs - r.startedAtMs)})`);
  lines.push((ja ? '  受付:       ' : '  listeners:  ') + r.listeners.map((l) => `${l.kind} ${l.host}:${l.port}`).join(', '));
  const oldest = r.queue.oldestCreatedAtMs === null ? '' : ja ? `、最古 ${age(r.nowMs - r.queue.oldestCreatedAtMs)}前` : `, oldest ${age(r.nowMs - r.queue.oldestCreatedAtMs)} old`;
  lines.push(ja ? `  キュー:     ${r.queue.messages} 通${oldest}` : `  queue:      ${r.queue.messages} message(s)${oldest}`);
  const d = r.deliveries;
  lines.push(
    ja
      ? `  配信 (${date(d.sinceMs)} 以降): 配信済み ${d.delivered}、再送待ち ${d.deferred}、失敗 ${d.bounced}`
      : `  deliveries since ${date(d.sinceMs)}: delivered ${d.delivered}, deferred ${d.deferred}, bounced ${d.bounced}`,
  );
  for (const f of r.failingDestinations) lines.push(`    ${f.domain}: ${f.failures} ${ja ? '件失敗' : 'failed'}${f.lastReply ? ` — ${f.lastReply}` : ''}`);
  if (r.certificate !== null) {
    const c = r.certificate;
    const kind = c.generated ? (ja ? '自動生成の自己署名' : 'generated, self-signed') : c.subject;
    lines.push(ja ? `  証明書:     ${date(c.notAfterMs)} まで (${kind})` : `  certificate: valid until ${date(c.notAfterMs)} (${kind})`);
  }
  for (const k of r.dkimKeys) lines.push(ja ? `  DKIM:       ${k.domain} ${k.selector} (${k.state === 'pending' ? '有効化待ち' : '退役中'})` : `  DKIM:       ${k.domain} ${k.selector} (${k.state})`);
  if (r.errorsSinceStart > 0) {
    lines.push(ja ? `  エラー:     起動以来 ${r.errorsSinceStart} 件。最近のもの:` : `  errors:     ${r.errorsSinceStart} logged since start; the last:`);
    for (const e of r.lastErrors.slice(0, 5)) lines.push(`    ${date(e.atMs)} ${e.msg}${e.detail ? `: ${e.detail}` : ''}`);
  }
  if (r.doctor === null && r.doctorIntervalMs === null) lines.push(ja ? '  doctor:     定期実行なし (doctor.interval: off)' : '  doctor:     not run periodically (doctor.interval: off)');
  else if (r.doctor === null) lines.push(ja ? '  doctor:     まだ実行されていません (起動の 1 分後に初回)' : '  doctor:     not run yet (the first run is a minute after start)');
  else {
    lines.push(ja ? `  doctor:     ${date(r.doctor.checkedAtMs)}: エラー ${r.doctor.errors}、警告 ${r.doctor.warnings}` : `  doctor:     ${date(r.doctor.checkedAtMs)}: ${r.doctor.errors} error(s), ${r.doctor.warnings} warning(s)`);
    for (const p of r.doctor.problems.slice(0, 5)) lines.push(`    ${p.status === 'error' ? '✗' : '!'} ${p.subject ? `${p.subject}: ` : ''}${p.title[lang]}`);
  }
  lines.push('');
  lines.push(text[a.level][lang]);
  for (const reason of a.reasons) lines.push(`  - ${reason[lang]}`);
  return lines.join('\n');
}
