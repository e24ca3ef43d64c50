// `hikyaku suppression list|add|remove|purge`: the recipients Hikyaku refuses
// at RCPT because they hard-bounced (or an admin said so). Works while the
// server runs: both open <dataDir>/suppression.db, and every RCPT reads it.
import { parseArgs } from 'node:util';
import { isRoutableAddress } from '../core/address.js';
import { parseDuration } from '../config/units.js';
import { normalizeDomainName } from '../domains/domain-name.js';
import { SuppressionStore, type SuppressionChange, type SuppressionEntry } from '../policy/suppression-store.js';
import { chosenStore } from '../queue/open-queue-store.js';
import type { Bilingual } from './language.js';
import type { CommandContext } from './user-command.js';

// Every user-facing message, in both languages. {0}, {1}… are replaced in order.
const text = {
  usage: {
    en: `usage: hikyaku suppression list [--domain D] [--json] [--all]
       hikyaku suppression add ADDRESS [--domain D] [--for 30d | --forever] [--reason TEXT]
       hikyaku suppression remove ADDRESS [--domain D]
       hikyaku suppression purge`,
    ja: `使い方: hikyaku suppression list [--domain ドメイン] [--json] [--all]
        hikyaku suppression add アドレス [--domain ドメイン] [--for 30d | --forever] [--reason 理由]
        hikyaku suppression remove アドレス [--domain ドメイン]
        hikyaku suppression purge`,
  },
  badOption: { en: 'Invalid arguments: {0}', ja: '引数が正しくありません: {0}' },
  missingAddress: {
    en: 'Give the recipient address, for example: hikyaku suppression {0} taro@example.com',
    ja: '宛先アドレスを指定してください。例: hikyaku suppression {0} taro@example.com',
  },
  badAddress: {
    en: '"{0}" is not a usable address: {1}. Give the full address as it appears in the bounce, for example: taro@example.com',
    ja: '「{0}」は使えるアドレスではありません: {1}。エラーメールに書かれているとおりのアドレス全体を指定してください。例: taro@example.com',
  },
  badDomain: {
    en: '"{0}" is not a valid domain name. Give the sending domain as written after @ in the From address, for example: --domain example.com',
    ja: '「{0}」は正しいドメイン名ではありません。From アドレスの @ より後ろの部分を指定してください。例: --domain example.com',
  },
  badDuration: {
    en: '"{0}" is not a duration. Write it like 30d, 12h or 1h30m, or use --forever.',
    ja: '「{0}」は期間として読めません。30d、12h、1h30m のように書くか、--forever を指定してください。',
  },
  forAndForever: { en: 'Give --for or --forever, not both.', ja: '--for と --forever はどちらか一方だけを指定してください。' },
  added: {
    en: 'Suppressed {0} for mail from {1}, {2}: Hikyaku refuses it at RCPT (550 5.1.1), also on a server already running.',
    ja: '{0} を送信抑止リストに追加しました (送信ドメイン: {1}、{2})。起動中のサーバーでも、すぐに RCPT で拒否します (550 5.1.1)。',
  },
  allDomains: { en: 'every sending domain', ja: 'すべて' },
  notShared: {
    en: 'Changed on this node, but the other nodes could not be told ({0}): check that PostgreSQL answers, then run the command again.',
    ja: 'このノードでは変更しましたが、他のノードに伝えられませんでした ({0})。PostgreSQL に接続できるか確認して、もう一度実行してください。',
  },
  until: { en: 'until {0}', ja: '期限 {0}' },
  forever: { en: 'until removed', ja: '期限なし' },
  removed: { en: 'Removed {0} for {1}: mail to it is accepted again.', ja: '{1} の登録を {0}削除しました。このアドレスへのメールを再び受け付けます。' },
  notListed: {
    en: '{0} is not on the suppression list{1}; nothing removed. See the list with: hikyaku suppression list',
    ja: '{0} は送信抑止リストにありません{1}。何も削除していません。一覧: hikyaku suppression list',
  },
  forDomain: { en: ' for {0}', ja: ' (送信ドメイン {0})' },
  empty: { en: 'The suppression list is empty.', ja: '送信抑止リストは空です。' },
  header: { en: 'RECIPIENT\tSENDING DOMAIN\tSOURCE\tADDED\tEXPIRES\tREASON', ja: '宛先\t送信ドメイン\t登録元\t登録日時\t期限\t理由' },
  allColumn: { en: '(all)', ja: '(すべて)' },
  never: { en: 'never', ja: 'なし' },
  purged: { en: 'Removed {0} whose time was up.', ja: '期限切れの登録を {0}削除しました。' },
  oneEntry: { en: '1 entry', ja: '1 件' },
  entries: { en: '{0} entries', ja: '{0} 件' },
  // Address problems, named so that the admin knows what to fix.
  noAt: { en: 'there is no @ and domain', ja: '@ とドメインがありません' },
  angleBrackets: { en: 'remove the < > around it', ja: '前後の < > を外してください' },
  emptyLocal: { en: 'there is nothing before the @', ja: '@ の前が空です' },
  emptyDomain: { en: 'there is nothing after the @', ja: '@ の後ろが空です' },
  spaces: { en: 'it contains a space or control character', ja: '空白か制御文字が含まれています' },
  longLocal: { en: 'the part before @ is longer than 64 characters', ja: '@ の前が 64 文字を超えています' },
  badAddressDomain: { en: '"{0}" after the @ is not a domain name that mail can be sent to', ja: '@ の後ろの「{0}」はメールを送れるドメイン名ではありません' },
} as const satisfies Record<string, Bilingual>;

type Key = keyof typeof text;
type Translate = (key: Key, ...params: string[]) => string;

const options = {
  domain: { type: 'string' },
  json: { type: 'boolean' },
  all: { type: 'boolean' },
  for: { type: 'string' },
  forever: { type: 'boolean' },
  reason: { type: 'string' },
} as const;

interface Values {
  readonly json?: boolean | undefined;
  readonly all?: boolean | undefined;
  readonly for?: string | undefined;
  readonly forever?: boolean | undefined;
  readonly reason?: string | undefined;
}

export async function runSuppressionCommand(args: string[], ctx: CommandContext): Promise<number> {
  const t: Translate = (key, ...params) => text[key][ctx.lang].replace(/\{(\d)\}/g, (_, i: string) => params[Number(i)] ?? '');
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    ctx.out(t('badOption', (err as Error).message));
    ctx.out(t('usage'));
    return 2;
  }
  const { values, positionals } = parsed;
  const [action, address] = positionals;
  const domain = sendingDomainOption(values.domain);
  if (domain === 'invalid') {
    ctx.out(t('badDomain', values.domain ?? ''));
    return 2;
  }
  if ((action === 'add' || action === 'remove') && address === undefined) {
    ctx.out(t('missingAddress', action));
    ctx.out(t('usage'));
    return 2;
  }
  if (action !== 'list' && action !== 'add' && action !== 'remove' && action !== 'purge') {
    ctx.out(t('usage'));
    return 2;
  }
  const store = SuppressionStore.open(ctx.config.dataDir);
  const changes: SuppressionChange[] = [];
  store.watch((change) => changes.push(change));
  let code: number;
  try {
    code = run(store, action, address as string, domain, values, ctx, t);
  } finally {
    store.close();
  }
  // On a node of a cluster the other nodes' lists learn of it too (cluster/shared-suppression.ts).
  const url = chosenStore(ctx.config);
  if (changes.length > 0 && url !== 'embedded') {
    try {
      const { publishSuppressionChanges } = await import('../cluster/publish-from-cli.js');
      await publishSuppressionChanges(url, ctx.config.dataDir, changes);
    } catch (err) {
      ctx.out(t('notShared', (err as Error).message));
      return 1;
    }
  }
  return code;
}

function run(store: SuppressionStore, action: 'list' | 'add' | 'remove' | 'purge', address: string, domain: string | undefined, values: Values, ctx: CommandContext, t: Translate): number {
  switch (action) {
    case 'list':
      return list(store, domain, values, ctx, t);
    case 'add':
      return add(store, address, domain, values, ctx, t);
    case 'remove':
      return remove(store, address, domain, ctx, t);
    case 'purge':
      ctx.out(t('purged', entryCount(store.purgeExpired(Date.now()), t)));
      return 0;
  }
}

/** undefined when not given; 'invalid' when not a domain name. */
function sendingDomainOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return normalizeDomainName(value) ?? 'invalid';
}

function list(store: SuppressionStore, domain: string | undefined, values: Values, ctx: CommandContext, t: Translate): number {
  const entries = store.list({ ...(domain !== undefined && { sendingDomain: domain }), includeExpired: values.all === true });
  if (values.json === true) {
    ctx.out(JSON.stringify(entries.map(toJson), null, 2));
    return 0;
  }
  if (entries.length === 0) {
    ctx.out(t('empty'));
    return 0;
  }
  ctx.out(t('header'));
  for (const e of entries) {
    const expires = e.expiresAtMs === undefined ? t('never') : isoMinute(e.expiresAtMs);
    ctx.out([e.recipient, e.sendingDomain || t('allColumn'), e.source, isoMinute(e.createdAtMs), expires, e.reason].join('\t'));
  }
  return 0;
}

function add(store: SuppressionStore, address: string, domain: string | undefined, values: Values, ctx: CommandContext, t: Translate): number {
  const problem = addressProblem(address);
  if (problem !== undefined) {
    ctx.out(t('badAddress', address, t(...problem)));
    return 2;
  }
  if (values.for !== undefined && values.forever === true) {
    ctx.out(t('forAndForever'));
    return 2;
  }
  // A manual entry lasts until removed unless the admin gives a time.
  const ttlMs = values.for === undefined ? undefined : parseDuration(values.for);
  if (values.for !== undefined && (ttlMs === undefined || ttlMs <= 0)) {
    ctx.out(t('badDuration', values.for));
    return 2;
  }
  const nowMs = Date.now();
  store.add({ sendingDomain: domain ?? '', recipient: address, reason: values.reason ?? 'manual', source: 'manual', nowMs, ttlMs });
  const until = ttlMs === undefined ? t('forever') : t('until', isoMinute(nowMs + ttlMs));
  ctx.out(t('added', address, domain ?? t('allDomains'), until));
  return 0;
}

function remove(store: SuppressionStore, address: string, domain: string | undefined, ctx: CommandContext, t: Translate): number {
  // No syntax check here: whatever got onto the list must be removable.
  const removed = store.remove(address, domain);
  if (removed === 0) {
    ctx.out(t('notListed', address, domain === undefined ? '' : t('forDomain', domain)));
    return 1;
  }
  ctx.out(t('removed', entryCount(removed, t), address));
  return 0;
}

function entryCount(n: number, t: Translate): string {
  return n === 1 ? t('oneEntry') : t('entries', String(n));
}

/** What is wrong with an address, as a message key and its parameters; undefined when it is usable. */
function addressProblem(address: string): [Key, ...string[]] | undefined {
  if (isRoutableAddress(address)) return undefined;
  if (address.startsWith('<') || address.endsWith('>')) return ['angleBrackets'];
  const at = address.lastIndexOf('@');
  if (at < 0) return ['noAt'];
  if (at === 0) return ['emptyLocal'];
  if (at === address.length - 1) return ['emptyDomain'];
  const local = address.slice(0, at);
  if (/[\s\x00-\x1f\x7f]/.test(address)) return ['spaces'];
  // RFC 5321 §4.5.3.1.1: a local part is at most 64 octets.
  if (local.length > 64) return ['longLocal'];
  return ['badAddressDomain', address.slice(at + 1)];
}

function toJson(e: SuppressionEntry) {
  return {
    recipient: e.recipient,
    sendingDomain: e.sendingDomain === '' ? null : e.sendingDomain,
    source: e.source,
    reason: e.reason,
    createdAt: new Date(e.createdAtMs).toISOString(),
    expiresAt: e.expiresAtMs === undefined ? null : new Date(e.expiresAtMs).toISOString(),
  };
}

/** "2026-01-31 09:00Z": a list column, to the minute. */
function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + 'Z';
}
