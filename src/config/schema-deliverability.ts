// The deliverability part of the configuration schema (see schema-table.ts
// for the format): provider groups added to or overriding the shipped table
// (src/deliverability/providers.yaml) and the back-off periods. Kept apart so
// that schema-table.ts stays readable; it is concatenated there. The group
// validator is the one the shipped file is checked with (a pure module).
import { groupProblems, toGroup } from '../deliverability/provider-groups.js';
import { booleanKind, durationKind, integerKind, listKind, type Kind } from './kinds.js';
import type { SchemaEntry, SchemaSection } from './schema-table.js';

const positiveDuration = durationKind(1);

const groupKind: Kind = {
  type: { en: 'group {name, mx, connections, messagesPerConnection, perMinute, perHour}', ja: 'グループ {name, mx, connections, messagesPerConnection, perMinute, perHour}' },
  parse: (raw) => {
    const problems = groupProblems(raw, '');
    if (problems.length > 0) return { ok: false, problems: problems.map((p) => ({ at: p.slice(0, p.indexOf(':')), message: p.slice(p.indexOf(':') + 2) })) };
    return { ok: true, value: toGroup(raw as Record<string, unknown>) };
  },
  format: (value) => value,
};

export const deliverabilitySections: readonly SchemaSection[] = [
  {
    key: 'deliverability',
    optional: false,
    description: {
      en: 'Sending to each mailbox provider at the pace it accepts: provider groups, limits per group, the reply table, automatic back-off (README "Deliverability").',
      ja: 'メールボックス事業者ごとに受け入れられる速さで送る: 事業者グループ、グループごとの上限、応答表、自動減速 (README「到達性」)。',
    },
  },
  {
    key: 'deliverability.warmup',
    optional: false,
    description: {
      en: 'IP warm-up: a new sending address ramps up per provider group, day by day (`hikyaku warmup status`).',
      ja: 'IP のウォームアップ: 新しい送信元アドレスは、事業者グループごとに日ごとに送信量を増やす (`hikyaku warmup status`)。',
    },
  },
];

export const deliverabilityEntries: readonly SchemaEntry[] = [
  {
    key: 'deliverability.enabled',
    target: 'deliverability.enabled',
    kind: booleanKind,
    default: true,
    description: {
      en: 'Shape delivery per provider group and apply the reply table. false = every destination as before (only delivery.maxConnectionsPerDestination).',
      ja: '事業者グループごとの送信制御と応答表を使う。false = 以前どおり (delivery.maxConnectionsPerDestination のみ)。',
    },
  },
  {
    key: 'deliverability.groups',
    target: 'deliverability.groups',
    kind: listKind(groupKind),
    default: [],
    example: [{ name: 'gmail', perMinute: 120 }, { name: 'example-hosting', mx: ['*.mx.example-hosting.net'], connections: 2, perMinute: 20 }],
    description: {
      en: 'Provider groups added to the shipped table, each a mapping: name, mx (host patterns such as "*.google.com"), and the limits connections, messagesPerConnection, perMinute, perHour. A shipped name (gmail, microsoft, yahoo, icloud, docomo, au, softbank, ocn, nifty, …) overrides the limits it sets and adds its patterns.',
      ja: '同梱の表に加える事業者グループ。各項目は name、mx (「*.google.com」のような MX ホスト名のパターン)、上限 connections・messagesPerConnection・perMinute・perHour を持つマッピング。同梱の名前 (gmail, microsoft, yahoo, icloud, docomo, au, softbank, ocn, nifty など) を書くと、指定した上限を上書きし、パターンを追加する。',
    },
  },
  {
    key: 'deliverability.coolingPeriod',
    target: 'deliverability.coolingPeriodMs',
    kind: positiveDuration,
    default: '15m',
    description: {
      en: 'After a throttling reply (e.g. Gmail 421 4.7.28) the group is sent to at half the rate for this long, then recovers step by step.',
      ja: '速度制限の応答 (Gmail の 421 4.7.28 など) の後、この時間はそのグループへの送信速度を半分にし、その後段階的に戻す。',
    },
  },
  {
    key: 'deliverability.recoveryStep',
    target: 'deliverability.recoveryStepMs',
    kind: positiveDuration,
    default: '5m',
    description: {
      en: 'After the cooling period, the rate goes up by a quarter of the full rate at each step of this length.',
      ja: '減速期間の後、この間隔ごとに本来の速度の 4 分の 1 ずつ戻す。',
    },
  },
  {
    key: 'deliverability.suspendPeriod',
    target: 'deliverability.suspendPeriodMs',
    kind: positiveDuration,
    default: '1h',
    description: {
      en: 'After a block-list reply (e.g. Microsoft 5.7.606), nothing is sent to the group for this long; the mail waits in the queue.',
      ja: 'ブロックリストの応答 (Microsoft の 5.7.606 など) の後、この時間はそのグループに何も送らない。メールはキューで待つ。',
    },
  },
  {
    key: 'deliverability.rateInterval',
    target: 'deliverability.rateIntervalMs',
    kind: durationKind(100),
    default: '1m',
    description: {
      en: 'The "minute" of perMinute (and 60 of them the hour of perHour). Always 1m; shorter only in tests.',
      ja: 'perMinute の「1 分」(その 60 倍が perHour の 1 時間)。常に 1m。テスト以外で変えないこと。',
    },
  },
  {
    key: 'deliverability.warmup.enabled',
    target: 'deliverability.warmup.enabled',
    kind: booleanKind,
    default: false,
    description: {
      en: 'Ramp up each provider group from the first message sent to it from this address; mail over the day\'s allowance waits in the queue for the next day.',
      ja: 'このアドレスから各事業者グループへ最初に送った日から、送信量を段階的に増やす。その日の上限を超えたメールは翌日までキューで待つ。',
    },
  },
  {
    key: 'deliverability.warmup.firstDay',
    target: 'deliverability.warmup.firstDay',
    kind: integerKind(1),
    default: 50,
    description: { en: 'Messages per provider group on the first day.', ja: '初日に各事業者グループへ送る通数。' },
  },
  {
    key: 'deliverability.warmup.growth',
    target: 'deliverability.warmup.growth',
    kind: integerKind(1, 10),
    default: 2,
    description: { en: 'Each day allows this many times the day before (2 = doubling daily).', ja: '毎日、前日の何倍まで送るか (2 = 毎日 2 倍)。' },
  },
  {
    key: 'deliverability.warmup.day',
    target: 'deliverability.warmup.dayMs',
    kind: durationKind(100),
    default: '1d',
    description: { en: 'The length of a warm-up day. Always 1d; shorter only in tests.', ja: 'ウォームアップの 1 日の長さ。常に 1d。テスト以外で変えないこと。' },
  },
];
