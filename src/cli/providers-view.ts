// `hikyaku queue providers`: the provider groups in effect (shipped table +
// configuration), their limits, and the back-off state of each group per
// source address as stored in deliverability.db: normal, slowed (to what,
// until when, after which reply, full again when), or suspended. Computed
// from the stored record and the clock, exactly as the running server does.
import { factorAt, fullAtMs, isSuspended, type BackoffRecord } from '../deliverability/backoff.js';
import { BackoffStore } from '../deliverability/backoff-store.js';
import { clock, rateText } from '../deliverability/engine.js';
import { effectiveGroups } from '../deliverability/open-engine.js';
import type { ProviderGroup } from '../deliverability/provider-groups.js';
import { scaled } from '../deliverability/backoff.js';
import type { CommandContext } from './user-command.js';

const text = {
  header: { en: 'GROUP\tLIMITS (connections, per connection, /min, /hour)\tSTATE', ja: 'グループ\t上限 (同時接続, 1 接続あたり, 毎分, 毎時)\t状態' },
  normal: { en: 'normal', ja: '通常' },
  slowed: { en: 'slowed to %rate until %until after %reason; full rate at %full', ja: '%until まで %rate に減速中 (%reason のため)。%full に通常の速度に戻る' },
  recovering: { en: 'recovering: %rate now, full rate at %full (after %reason)', ja: '回復中: 現在 %rate、%full に通常の速度に戻る (%reason の後)' },
  suspended: { en: 'suspended until %until after %reason (mail waits in the queue)', ja: '%until まで送信停止中 (%reason のため。メールはキューで待機)' },
  disabled: { en: 'deliverability.enabled is false: no shaping, no reply table.', ja: 'deliverability.enabled が false のため、送信制御と応答表は使われていません。' },
  none: { en: '-', ja: '-' },
} as const;

export function runProvidersView(ctx: CommandContext, json: boolean): number {
  const groups = effectiveGroups(ctx.config);
  const store = BackoffStore.open(ctx.config.dataDir);
  let records: BackoffRecord[];
  try {
    records = store.all();
  } finally {
    store.close();
  }
  const nowMs = Date.now();
  if (json) {
    ctx.out(JSON.stringify({ enabled: ctx.config.deliverability.enabled, groups, backoff: records.map((r) => ({ ...r, factorNow: factorAt(r, ctx.config.deliverability, nowMs) })) }, null, 2));
    return 0;
  }
  if (!ctx.config.deliverability.enabled) ctx.out(text.disabled[ctx.lang]);
  ctx.out(text.header[ctx.lang]);
  for (const g of groups) {
    const states = records.filter((r) => r.group === g.name && nowMs < fullAtMs(r, ctx.config.deliverability));
    const shown = states.length === 0 ? [text.normal[ctx.lang]] : states.map((r) => `${r.source === 'default' ? '' : `${r.source}: `}${stateText(ctx, g, r, nowMs)}`);
    ctx.out(`${g.name}\t${limitsText(ctx, g)}\t${shown.join('; ')}`);
  }
  return 0;
}

function limitsText(ctx: CommandContext, g: ProviderGroup): string {
  const v = (n: number | undefined): string => (n === undefined ? text.none[ctx.lang] : String(n));
  return [g.connections, g.messagesPerConnection, g.perMinute, g.perHour].map(v).join(', ');
}

function stateText(ctx: CommandContext, g: ProviderGroup, r: BackoffRecord, nowMs: number): string {
  const f = factorAt(r, ctx.config.deliverability, nowMs);
  const rate = rateText({
    connections: g.connections === undefined ? undefined : scaled(g.connections, f),
    perMinute: g.perMinute === undefined ? undefined : scaled(g.perMinute, f),
    perHour: g.perHour === undefined ? undefined : scaled(g.perHour, f),
  });
  const fill = (t: string): string =>
    t
      .replace('%rate', ctx.lang === 'ja' ? rate.replace('/min', '/分').replace('/hour', '/時') : rate)
      .replace('%until', clock(isSuspended(r, nowMs) ? r.suspendedUntilMs : r.coolUntilMs))
      .replace('%reason', r.reason)
      .replace('%full', clock(fullAtMs(r, ctx.config.deliverability)));
  if (isSuspended(r, nowMs)) return fill(text.suspended[ctx.lang]);
  if (nowMs < r.coolUntilMs) return fill(text.slowed[ctx.lang]);
  return fill(text.recovering[ctx.lang]);
}
