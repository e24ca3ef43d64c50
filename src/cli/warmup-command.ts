// `hikyaku warmup status`: where each sending address stands in its warm-up
// per provider group (deliverability/warmup.ts): which day, how many of the
// day's allowance are sent, when the next day starts and what it allows.
// Read from deliverability.db, where the server saves its counts every 2 s.
import { parseArgs } from 'node:util';
import { BackoffStore } from '../deliverability/backoff-store.js';
import { clock } from '../deliverability/engine.js';
import { dailyLimit, dayAt, dayEndsAtMs, type WarmupSettings } from '../deliverability/warmup.js';
import type { CommandContext } from './user-command.js';

const text = {
  usage: { en: 'usage: hikyaku warmup status [--json]', ja: '使い方: hikyaku warmup status [--json]' },
  disabled: {
    en: 'Warm-up is off (deliverability.warmup.enabled: false): no daily allowance per provider group.',
    ja: 'ウォームアップは無効です (deliverability.warmup.enabled: false)。事業者グループごとの 1 日の上限はありません。',
  },
  none: {
    en: 'Nothing sent to a provider group yet: each group starts its warm-up with its first message (%s on day 1).',
    ja: 'まだどの事業者グループにも送っていません。各グループは最初のメールからウォームアップを始めます (1 日目は %s 通)。',
  },
  header: { en: 'GROUP\tSOURCE\tDAY\tSENT TODAY / ALLOWED\tNEXT DAY', ja: 'グループ\t送信元\t日目\t本日の送信数 / 上限\t翌日' },
  row: { en: '%group\t%source\tday %day\t%sent / %limit\tfrom %next: %nextLimit', ja: '%group\t%source\t%day 日目\t%sent / %limit\t%next から %nextLimit 通' },
} as const;

export function runWarmupCommand(args: string[], ctx: CommandContext): number {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true });
  if (positionals[0] !== 'status') {
    ctx.out(text.usage[ctx.lang]);
    return 2;
  }
  const w = ctx.config.deliverability.warmup;
  const settings: WarmupSettings = { firstDay: w.firstDay, growth: w.growth, dayMs: w.dayMs };
  const store = BackoffStore.open(ctx.config.dataDir);
  const records = (() => {
    try {
      return store.allWarmup();
    } finally {
      store.close();
    }
  })();
  const nowMs = Date.now();
  const rows = records.map((r) => {
    const day = dayAt(r, settings, nowMs);
    const sent = day === r.day ? r.sent : 0;
    return { group: r.group, source: r.source, day: day + 1, sent, limit: dailyLimit(settings, day), nextDayAtMs: dayEndsAtMs(r, settings, day), nextLimit: dailyLimit(settings, day + 1) };
  });
  if (values.json === true) {
    ctx.out(JSON.stringify({ enabled: w.enabled, groups: rows }, null, 2));
    return 0;
  }
  if (!w.enabled) ctx.out(text.disabled[ctx.lang]);
  if (rows.length === 0) {
    if (w.enabled) ctx.out(text.none[ctx.lang].replace('%s', String(dailyLimit(settings, 0))));
    return 0;
  }
  ctx.out(text.header[ctx.lang]);
  for (const r of rows) {
    ctx.out(
      text.row[ctx.lang]
        .replace('%group', r.group)
        .replace('%source', r.source)
        .replace('%day', String(r.day))
        .replace('%sent', String(r.sent))
        .replace('%limit', String(r.limit))
        .replace('%nextLimit', String(r.nextLimit))
        .replace('%next', clock(r.nextDayAtMs)),
    );
  }
  return 0;
}
