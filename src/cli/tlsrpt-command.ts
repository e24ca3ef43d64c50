// `hikyaku tlsrpt report [--date YYYY-MM-DD] [--dry-run]`: builds the TLS-RPT
// reports (RFC 8460) of one UTC day from tlsrpt.db and sends them to the
// domains that ask (_smtp._tls rua), as the daily job does; --dry-run prints
// each report and where it would go. Mailed reports go through the running
// server's sendmail socket (or the maildrop), so they are signed and queued
// like any message.
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createResolver } from '../dns/resolver.js';
import { sendReports } from '../tlsrpt/report-send.js';
import { TlsReportStore } from '../tlsrpt/tlsrpt-store.js';
import { reportSender } from '../tlsrpt/report-sender.js';
import { readFileSync } from 'node:fs';
import type { Bilingual } from './language.js';
import { runSendmailCommand } from './sendmail-command.js';
import type { CommandContext } from './user-command.js';

const text = {
  usage: {
    en: 'usage: hikyaku tlsrpt report [--date YYYY-MM-DD] [--dry-run]   (default: yesterday, UTC)',
    ja: '使い方: hikyaku tlsrpt report [--date YYYY-MM-DD] [--dry-run]   (既定: 前日、UTC)',
  },
  badOption: { en: 'Invalid arguments: {0}', ja: '引数が正しくありません: {0}' },
  badDate: {
    en: '"{0}" is not a date. Write it as YYYY-MM-DD (a UTC day), for example --date 2026-12-03.',
    ja: '「{0}」は日付として読めません。YYYY-MM-DD (UTC の日付) で指定してください。例: --date 2026-12-03',
  },
  nothing: { en: 'No TLS sessions were recorded on {0} (UTC): no report.', ja: '{0} (UTC) に記録された TLS セッションはありません。レポートはありません。' },
  noRecord: { en: '{0}: no report requested ({1}).', ja: '{0}: レポートの送付先が公開されていません ({1})。' },
  wouldSend: { en: '{0}: would send to {1}', ja: '{0}: 送付先 {1}' },
  sent: { en: '{0}: sent to {1} ({2})', ja: '{0}: {1} へ送りました ({2})' },
  failed: { en: '{0}: could not send to {1}: {2}', ja: '{0}: {1} へ送れませんでした: {2}' },
} as const satisfies Record<string, Bilingual>;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export async function runTlsRptCommand(args: string[], ctx: CommandContext): Promise<number> {
  const t = (key: keyof typeof text, ...params: string[]): string => text[key][ctx.lang].replace(/\{(\d)\}/g, (_, i: string) => params[Number(i)] ?? '');
  const err = (line: string): void => void process.stderr.write(line + '\n');
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { date: { type: 'string' }, 'dry-run': { type: 'boolean' } } });
  } catch (e) {
    err(`${t('badOption', (e as Error).message)}\n${t('usage')}`);
    return 2;
  }
  if (parsed.positionals[0] !== 'report' || parsed.positionals.length !== 1) {
    err(t('usage'));
    return 2;
  }
  const day = parsed.values.date ?? new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  if (!DATE.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
    err(t('badDate', day));
    return 2;
  }
  const { config } = ctx;
  const dryRun = parsed.values['dry-run'] === true;
  const sender = reportSender(config);
  const store = TlsReportStore.open(config.dataDir);
  try {
    const results = await sendReports({
      store,
      resolver: createResolver({ servers: config.delivery.resolvers, timeoutMs: config.delivery.dnsTimeoutMs }),
      meta: { ...sender.meta, day },
      from: sender.from,
      mail: async (from, to, message) => {
        const problems: string[] = [];
        const code = await runSendmailCommand(['-f', from, to], { config, stdin: Readable.from([message]), err: (line) => problems.push(line) });
        if (code !== 0) throw new Error(problems.join('; ') || `sendmail exit ${code}`);
        return 'queued';
      },
      dryRun,
      ca: config.delivery.mtaSts?.caFile === undefined ? undefined : readFileSync(config.delivery.mtaSts.caFile, 'utf8'),
    });
    if (results.length === 0) ctx.out(t('nothing', day));
    let failed = false;
    for (const r of results) {
      if (r.rua.length === 0) ctx.out(t('noRecord', r.domain, r.noRecordReason ?? ''));
      else if (dryRun) ctx.out(t('wouldSend', r.domain, r.rua.join(', ')));
      for (const x of r.results) {
        if (x.ok) ctx.out(t('sent', r.domain, x.uri, x.detail));
        else {
          failed = true;
          ctx.out(t('failed', r.domain, x.uri, x.detail));
        }
      }
      if (dryRun) ctx.out(JSON.stringify(r.report, null, 2));
      else if (r.results.some((x) => x.ok)) store.markSent(day, r.domain);
    }
    return failed ? 1 : 0;
  } finally {
    store.close();
  }
}
