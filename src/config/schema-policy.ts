// The policy part of the configuration schema (see schema-table.ts for the
// format): per-client limits, AUTH brute-force protection, quotas, the
// compromised-account brake and the suppression list. Kept apart only so
// that schema-table.ts stays readable; it is concatenated there.
import {
  booleanKind,
  cidrKind,
  durationKind,
  durationOrOffKind,
  integerKind,
  listKind,
  mailboxKind,
  senderPatternKind,
} from './kinds.js';
import type { SchemaEntry, SchemaSection } from './schema-table.js';

const count = integerKind(1);
const countOrOff = integerKind(0, Number.MAX_SAFE_INTEGER, { en: 'integer (0 = no limit)', ja: '整数 (0 = 制限なし)' });
const positiveDuration = durationKind(1);

export const policySections: readonly SchemaSection[] = [
  {
    key: 'auth',
    optional: false,
    description: { en: 'SMTP AUTH and protection against password guessing.', ja: 'SMTP 認証とパスワード総当たり攻撃への対策。' },
  },
  {
    key: 'quotas',
    optional: false,
    description: {
      en: 'Sending limits. Exceeding one answers 450 4.7.1 (or 452 4.5.3 for recipients) saying which limit and when it resets.',
      ja: '送信量の上限。超えると、どの上限でいつ戻るかを 450 4.7.1 (宛先数は 452 4.5.3) で返す。',
    },
  },
  { key: 'quotas.user', optional: false, description: { en: 'Per user (its password and all its app passwords together).', ja: 'ユーザーごと (パスワードとすべてのアプリパスワードの合計)。' } },
  { key: 'quotas.appPassword', optional: false, description: { en: 'Per app password (0 = only its user\'s limits).', ja: 'アプリパスワードごと (0 = ユーザーの上限のみ)。' } },
  { key: 'quotas.domain', optional: false, description: { en: 'Per sending domain, all users together.', ja: '送信ドメインごと (全ユーザーの合計)。' } },
  {
    key: 'brake',
    optional: false,
    description: {
      en: "Compromised-account brake: a credential whose sending rate jumps far above its own normal has its new mail held in the queue until an admin releases it.",
      ja: '乗っ取り対策ブレーキ: 普段よりはるかに多く送り始めた認証情報の新しいメールをキューに保留し、管理者が解除するまで送らない。',
    },
  },
  { key: 'suppression', optional: false, description: { en: 'The suppression list of recipients that hard-bounced.', ja: '宛先不明で戻ったアドレスの送信停止リスト。' } },
];

function quotaEntries(who: 'user' | 'appPassword', defaults: readonly [number, number, number]): SchemaEntry[] {
  const whom = who === 'user' ? { en: 'user', ja: 'ユーザー' } : { en: 'app password', ja: 'アプリパスワード' };
  return [
    {
      key: `quotas.${who}.messagesPerHour`,
      target: `quotas.${who}.messagesPerHour`,
      kind: countOrOff,
      default: defaults[0],
      description: { en: `Messages per hour per ${whom.en}.`, ja: `${whom.ja}ごとの 1 時間あたりの通数。` },
    },
    {
      key: `quotas.${who}.messagesPerDay`,
      target: `quotas.${who}.messagesPerDay`,
      kind: countOrOff,
      default: defaults[1],
      description: { en: `Messages per day per ${whom.en}.`, ja: `${whom.ja}ごとの 1 日あたりの通数。` },
    },
    {
      key: `quotas.${who}.recipientsPerMessage`,
      target: `quotas.${who}.recipientsPerMessage`,
      kind: countOrOff,
      default: defaults[2],
      description: {
        en: `Recipients per message per ${whom.en} (0 = limits.maxRecipients only).`,
        ja: `${whom.ja}ごとの 1 通あたりの宛先数 (0 = limits.maxRecipients のみ)。`,
      },
    },
  ];
}

export const policyEntries: readonly SchemaEntry[] = [
  {
    key: 'listeners.relay.maySendAs',
    target: 'listeners.relay.maySendAs',
    kind: listKind(senderPatternKind),
    default: [],
    description: {
      en: 'Senders the trusted networks may use (MAIL FROM and From): info@example.com, *@example.com, or * for any. Empty = a From in a registered sending domain, and any MAIL FROM (programs on the host send as www-data@…; Hikyaku moves the envelope into the From domain).',
      ja: '信頼するネットワークが使える送信者 (MAIL FROM と From): info@example.com、*@example.com、または * (すべて)。空 = From は登録済み送信ドメインのアドレスに限り、MAIL FROM は問わない (サーバー上のプログラムは www-data@… で送るため。エンベロープは From のドメインに移される)。',
    },
  },
  {
    key: 'limits.maxConnectionsPerClient',
    target: 'limits.maxConnectionsPerClient',
    kind: count,
    default: 20,
    description: { en: 'Simultaneous connections from one client address (IPv6: one /64); more get 421 4.7.0.', ja: '1 つのクライアントアドレス (IPv6 は /64 単位) からの同時接続数。超えると 421 4.7.0。' },
  },
  {
    key: 'limits.connectionRatePerClient',
    target: 'limits.connectionRatePerClient',
    kind: count,
    default: 120,
    description: { en: 'New connections from one client address per minute; more get 421 4.7.0.', ja: '1 つのクライアントアドレスからの 1 分あたりの新規接続数。超えると 421 4.7.0。' },
  },
  {
    key: 'limits.clientLimitExemptNetworks',
    target: 'limits.clientLimitExemptNetworks',
    kind: listKind(cidrKind),
    default: [],
    description: {
      en: 'Client addresses exempt from the two per-client connection limits (e.g. a busy web app on 127.0.0.1/32). Loopback is not exempt unless listed.',
      ja: '接続数の 2 つの上限を適用しないクライアントアドレス (同じホストの Web アプリなら 127.0.0.1/32 など)。ループバックも記載しない限り対象。',
    },
  },
  {
    key: 'limits.commandDeadline',
    target: 'limits.commandDeadlineMs',
    kind: positiveDuration,
    default: '1m',
    description: {
      en: 'A whole command line must arrive within this, however slowly it drips (Postfix: smtpd_per_request_deadline); else 421 4.4.2.',
      ja: 'コマンド 1 行全体がこの時間内に届かなければ 421 4.4.2 で切断 (1 バイトずつ送って居座る攻撃への対策。Postfix の smtpd_per_request_deadline)。',
    },
  },
  {
    key: 'limits.dataDeadline',
    target: 'limits.dataDeadlineMs',
    kind: positiveDuration,
    default: '10m',
    description: { en: 'The whole message after DATA must arrive within this; else 421 4.4.2.', ja: 'DATA 後のメッセージ全体がこの時間内に届かなければ 421 4.4.2 で切断。' },
  },
  {
    key: 'limits.maxReceivedHeaders',
    target: 'limits.maxReceivedHeaders',
    kind: count,
    default: 50,
    description: { en: 'A message with more Received fields is a mail loop and is refused with 554 5.4.6 (RFC 5321 §6.3).', ja: 'これより多い Received ヘッダーを持つメッセージはループとみなし 554 5.4.6 で拒否 (RFC 5321 §6.3)。' },
  },
  {
    key: 'auth.tarpitDelay',
    target: 'auth.tarpitDelayMs',
    kind: durationKind(0),
    default: '1s',
    description: { en: 'Wait before answering a failed AUTH; doubles with each failure in the session (at most 8×).', ja: '認証失敗の応答を返すまでの待ち時間。同じ接続で失敗するたびに倍 (最大 8 倍)。' },
  },
  {
    key: 'auth.maxFailuresPerSession',
    target: 'auth.maxFailuresPerSession',
    kind: count,
    default: 3,
    description: { en: 'Failed AUTH attempts after which the connection is closed (421 4.7.0).', ja: 'この回数認証に失敗すると接続を切る (421 4.7.0)。' },
  },
  {
    key: 'auth.maxFailuresPerClient',
    target: 'auth.maxFailuresPerClient',
    kind: count,
    default: 10,
    description: { en: 'Failures from one client address within failureWindow before AUTH from it is refused with 454 4.7.0 for blockDuration.', ja: '1 つのクライアントアドレスから failureWindow 内にこの回数失敗すると、blockDuration の間 AUTH を 454 4.7.0 で断る。' },
  },
  {
    key: 'auth.maxFailuresPerLogin',
    target: 'auth.maxFailuresPerLogin',
    kind: count,
    default: 10,
    description: { en: 'Failures for one login name (from any address) within failureWindow before AUTH for it is refused for blockDuration.', ja: '1 つのログイン名に対して (どのアドレスからでも) failureWindow 内にこの回数失敗すると、blockDuration の間その名前での AUTH を断る。' },
  },
  {
    key: 'auth.failureWindow',
    target: 'auth.failureWindowMs',
    kind: positiveDuration,
    default: '15m',
    description: { en: 'How long a failed AUTH is counted.', ja: '認証失敗を数える期間。' },
  },
  {
    key: 'auth.blockDuration',
    target: 'auth.blockDurationMs',
    kind: positiveDuration,
    default: '15m',
    description: { en: 'How long AUTH stays refused once a failure limit is passed.', ja: '失敗回数の上限を超えた後、AUTH を断り続ける時間。' },
  },
  {
    key: 'auth.cramMd5',
    target: 'auth.cramMd5',
    kind: booleanKind,
    default: false,
    description: {
      en: 'Offer CRAM-MD5 (RFC 2195). It needs each password stored recoverably (encrypted with a key kept in dataDir/keys); passwords set before enabling it must be set again. SCRAM-SHA-256 needs none of this and is always offered.',
      ja: 'CRAM-MD5 (RFC 2195) を提供する。パスワードを復元可能な形 (dataDir/keys の鍵で暗号化) で保存する必要があり、有効にする前に設定したパスワードは設定し直しが必要。SCRAM-SHA-256 はその必要がなく常に提供する。',
    },
  },
  ...quotaEntries('user', [1000, 10000, 0]),
  ...quotaEntries('appPassword', [0, 0, 0]),
  {
    key: 'quotas.domain.messagesPerHour',
    target: 'quotas.domain.messagesPerHour',
    kind: countOrOff,
    default: 0,
    description: { en: 'Messages per hour per sending domain.', ja: '送信ドメインごとの 1 時間あたりの通数。' },
  },
  {
    key: 'quotas.domain.messagesPerDay',
    target: 'quotas.domain.messagesPerDay',
    kind: countOrOff,
    default: 0,
    description: { en: 'Messages per day per sending domain.', ja: '送信ドメインごとの 1 日あたりの通数。' },
  },
  {
    key: 'quotas.hourWindow',
    target: 'quotas.hourWindowMs',
    kind: positiveDuration,
    default: '1h',
    description: { en: 'Length of the "per hour" window (shorten only for tests).', ja: '「1 時間あたり」の期間の長さ (テスト以外で変えないこと)。' },
  },
  {
    key: 'quotas.dayWindow',
    target: 'quotas.dayWindowMs',
    kind: positiveDuration,
    default: '1d',
    description: { en: 'Length of the "per day" window (shorten only for tests).', ja: '「1 日あたり」の期間の長さ (テスト以外で変えないこと)。' },
  },
  {
    key: 'brake.enabled',
    target: 'brake.enabled',
    kind: booleanKind,
    default: true,
    description: { en: 'Hold the mail of a credential whose rate jumps (see factor and floor).', ja: '送信量が急増した認証情報のメールを保留する。' },
  },
  {
    key: 'brake.factor',
    target: 'brake.factor',
    kind: count,
    default: 10,
    description: { en: 'Trip when a window holds more than this many times the credential\'s normal…', ja: '1 期間の通数が普段の何倍を超えたら作動するか…' },
  },
  {
    key: 'brake.floor',
    target: 'brake.floor',
    kind: count,
    default: 200,
    description: { en: '…and more than this many messages (so a new or quiet account can still send a normal batch).', ja: '…かつ何通を超えたら作動するか (新しい・普段静かなアカウントの通常の一斉送信は止めない)。' },
  },
  {
    key: 'brake.window',
    target: 'brake.windowMs',
    kind: positiveDuration,
    default: '1h',
    description: { en: 'The window the rate is counted in.', ja: '送信量を数える期間。' },
  },
  {
    key: 'brake.historyWindows',
    target: 'brake.historyWindows',
    kind: count,
    default: 168,
    description: { en: 'How many past windows make up "normal" (168 hours = one week).', ja: '「普段」を求める過去の期間の数 (168 時間 = 1 週間)。' },
  },
  {
    key: 'brake.alertAddress',
    target: 'brake.alertAddress',
    kind: mailboxKind,
    example: 'admin@example.com',
    description: { en: 'Also mail the alert to this address (it is always logged).', ja: '警告をこのアドレスにもメールで送る (ログには常に出す)。' },
  },
  {
    key: 'suppression.expireAfter',
    target: 'suppression.expireAfterMs',
    kind: durationOrOffKind(1),
    default: '90d',
    description: { en: 'How long a hard-bounced recipient stays suppressed (off = for ever).', ja: '宛先不明で戻ったアドレスを送信停止にしておく期間 (off = 無期限)。' },
  },
];
