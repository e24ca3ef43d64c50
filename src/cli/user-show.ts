// `hikyaku user show ADDRESS`: one user with its settings and app
// passwords, in Japanese or English. Never prints a secret, only whether
// SCRAM keys and a CRAM-MD5 secret exist.
import type { AccountFlag, AppPasswordRecord, QuotaOverrides, UserDetails } from '../users/principal.js';
import type { Lang } from './language.js';

/** Extra lines per user or app password, e.g. usage against limits; given by whoever knows the counters. */
export type UsageLines = (user: string, label?: string) => string[];

const words = {
  user: { en: 'User', ja: 'ユーザー' },
  created: { en: 'Created', ja: '作成' },
  updated: { en: 'Updated', ja: '更新' },
  maySendAs: { en: 'May send as', ja: '送信元として使えるアドレス' },
  defaultSenders: { en: "default (own address, and its domain when it is a sending domain)", ja: '既定 (自分のアドレスと、送信ドメインとして登録されていればそのドメイン)' },
  usersSenders: { en: "the user's", ja: 'ユーザーの設定どおり' },
  senderCheck: { en: 'Sender check', ja: '送信元チェック' },
  on: { en: 'on', ja: '有効' },
  off: { en: 'off (trusted relay: any From)', ja: '無効 (信頼された中継: どの From でも可)' },
  quota: { en: 'Limits', ja: '送信上限' },
  perHour: { en: 'messages/hour', ja: '通/時' },
  perDay: { en: 'messages/day', ja: '通/日' },
  perMessage: { en: 'recipients/message', ja: '宛先/通' },
  byDefault: { en: 'default', ja: '既定値' },
  flagged: { en: 'Flagged', ja: '停止フラグ' },
  no: { en: 'no', ja: 'なし' },
  scram: { en: 'SCRAM-SHA-256', ja: 'SCRAM-SHA-256' },
  scramReady: { en: 'ready', ja: '利用可' },
  scramLater: { en: 'after the next password login', ja: '次回のパスワードでのログイン後に利用可' },
  cram: { en: 'CRAM-MD5 secret', ja: 'CRAM-MD5 用の秘密' },
  cramKept: { en: 'kept (encrypted)', ja: '保存あり (暗号化)' },
  cramNone: { en: 'none', ja: 'なし' },
  appPasswords: { en: 'App passwords', ja: 'アプリパスワード' },
  networks: { en: 'networks', ja: '接続元' },
  anyNetwork: { en: 'any', ja: '制限なし' },
} as const;

export function renderUserDetails(details: UserDetails, lang: Lang, usage?: UsageLines): string[] {
  const w = (key: keyof typeof words): string => words[key][lang];
  const date = (ms: number): string => new Date(ms).toISOString();
  const patterns = (list: readonly string[], empty: string): string => (list.length === 0 ? empty : list.join(', '));
  const lines = [
    `${w('user')}: ${details.address}`,
    `${w('created')}: ${date(details.createdAtMs)}  ${w('updated')}: ${date(details.updatedAtMs)}`,
    `${w('maySendAs')}: ${patterns(details.maySendAs, w('defaultSenders'))}`,
    `${w('senderCheck')}: ${details.senderCheck ? w('on') : w('off')}`,
    `${w('quota')}: ${renderQuota(details.quota, lang)}`,
    `${w('flagged')}: ${renderFlag(details.flag, lang)}`,
    `${w('scram')}: ${details.hasScramKeys ? w('scramReady') : w('scramLater')}`,
    `${w('cram')}: ${details.hasCramSecret ? w('cramKept') : w('cramNone')}`,
    ...(usage?.(details.address) ?? []),
    `${w('appPasswords')} (${details.appPasswords.length}):`,
  ];
  for (const app of details.appPasswords) lines.push(...renderAppPassword(details.address, app, lang, usage));
  return lines;
}

export function renderAppPassword(user: string, app: AppPasswordRecord, lang: Lang, usage?: UsageLines): string[] {
  const w = (key: keyof typeof words): string => words[key][lang];
  return [
    `  ${app.label}  ${w('created')}: ${new Date(app.createdAtMs).toISOString()}`,
    `    ${w('networks')}: ${app.networks.length === 0 ? w('anyNetwork') : app.networks.join(', ')}`,
    `    ${w('maySendAs')}: ${app.maySendAs.length === 0 ? w('usersSenders') : app.maySendAs.join(', ')}`,
    `    ${w('quota')}: ${renderQuota(app.quota, lang, w('usersSenders'))}`,
    `    ${w('flagged')}: ${renderFlag(app.flag, lang)}`,
    ...(usage?.(user, app.label) ?? []).map((line) => `    ${line}`),
  ];
}

function renderQuota(quota: QuotaOverrides, lang: Lang, unset: string = words.byDefault[lang]): string {
  const show = (value: number | undefined, unit: keyof typeof words): string => `${value ?? unset} ${words[unit][lang]}`;
  return [show(quota.messagesPerHour, 'perHour'), show(quota.messagesPerDay, 'perDay'), show(quota.recipientsPerMessage, 'perMessage')].join(', ');
}

function renderFlag(flag: AccountFlag | undefined, lang: Lang): string {
  if (!flag) return words.no[lang];
  const at = new Date(flag.atMs).toISOString();
  return lang === 'ja' ? `あり (${at} から) — ${flag.reason}` : `yes, since ${at} — ${flag.reason}`;
}
