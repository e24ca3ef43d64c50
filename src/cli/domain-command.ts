// `hikyaku domain add|list|show|remove|rotate-key|return-path`: sending
// domains, their DKIM keys, and the DNS records to publish for them.
// Changes are files under <dataDir>/domains, which the running server
// re-reads on its next message: no restart needed.
import { parseArgs } from 'node:util';
import type { Config } from '../config/types.js';
import { DomainStore, DomainStoreError, type DkimKey, type SendingDomain } from '../domains/domain-store.js';
import { formatRecord, formatRecords } from '../domains/format-records.js';
import { dkimRecordName, formatDate, recordsToPublish, type DnsRecord } from '../domains/records.js';

type Lang = 'ja' | 'en';

export interface DomainCommandContext {
  readonly config: Config;
  readonly lang: Lang;
  readonly out: (line: string) => void;
}

type Text = { readonly en: string; readonly ja: string };

// Every user-facing message, in both languages. {0}, {1}… are replaced in order.
const text = {
  usage: {
    en: `usage: hikyaku domain add NAME [--ed25519] [--selector SELECTOR]
       hikyaku domain list
       hikyaku domain show NAME
       hikyaku domain remove NAME
       hikyaku domain rotate-key NAME
       hikyaku domain return-path NAME DOMAIN|none`,
    ja: `使い方: hikyaku domain add ドメイン [--ed25519] [--selector セレクタ]
        hikyaku domain list
        hikyaku domain show ドメイン
        hikyaku domain remove ドメイン
        hikyaku domain rotate-key ドメイン
        hikyaku domain return-path ドメイン リターンパス用ドメイン|none`,
  },
  badOption: { en: 'Invalid arguments: {0}', ja: '引数が正しくありません: {0}' },
  missingName: { en: 'Give the domain name, for example: hikyaku domain {0} example.com', ja: 'ドメイン名を指定してください。例: hikyaku domain {0} example.com' },
  missingReturnPath: {
    en: 'Give the return-path domain, or "none" to clear it, for example: hikyaku domain return-path {0} bounces.{0}',
    ja: 'リターンパス用ドメイン (解除するなら none) を指定してください。例: hikyaku domain return-path {0} bounces.{0}',
  },
  unknownAction: { en: 'Unknown domain command: {0}', ja: '不明な domain コマンドです: {0}' },
  added: { en: 'Added the sending domain {0}. DKIM keys: {1}.', ja: '送信ドメイン {0} を追加しました。DKIM 鍵: {1}。' },
  addedPublish: {
    en: 'Mail with a From address in {0} (or a subdomain) is DKIM-signed from now on, also by a server already running. Publish the records below now: until the DKIM record is visible in DNS, receivers cannot verify the signature.',
    ja: '今後、From アドレスが {0} (またはそのサブドメイン) のメールに DKIM 署名を付けます (起動中のサーバーにもすぐ反映されます)。下のレコードをすぐに公開してください。DKIM レコードが DNS で見えるまで、受信側は署名を検証できません。',
  },
  checkAfter: {
    en: 'Once published, check everything with: hikyaku doctor {0}',
    ja: '公開したら次のコマンドで確認できます: hikyaku doctor {0}',
  },
  recordsFor: { en: 'DNS records to publish for {0}:', ja: '{0} のために公開する DNS レコード:' },
  none: {
    en: 'No sending domains yet. Add one with: hikyaku domain add example.com',
    ja: '送信ドメインはまだありません。追加するには: hikyaku domain add example.com',
  },
  listHeader: { en: '{0}  (added {1}; return-path domain: {2})', ja: '{0}  (追加 {1}、リターンパス用ドメイン: {2})' },
  returnPathNone: { en: 'none', ja: 'なし' },
  keyActive: { en: 'active (signs)', ja: '使用中 (署名する)' },
  keyRetiring: { en: 'retiring: keep published until {0}', ja: '退役中: {0} まで公開したまま' },
  keyExpired: { en: 'retired: its record can be removed (since {0})', ja: '退役済み: レコードを削除できます ({0} 以降)' },
  removed: {
    en: 'Removed {0} and its DKIM private keys: its mail is no longer signed. You may now delete its DKIM records:',
    ja: '{0} と DKIM 秘密鍵を削除しました。このドメインのメールには今後署名しません。DKIM レコードは削除してかまいません:',
  },
  removedOther: {
    en: 'Remove its SPF and DMARC records only if nothing else sends mail for {0}.',
    ja: 'SPF と DMARC のレコードは、{0} のメールを送る他のサービスがない場合にだけ削除してください。',
  },
  notRemoved: { en: '{0} is not registered; nothing removed. See the list with: hikyaku domain list', ja: '{0} は登録されていないため、何も削除していません。一覧: hikyaku domain list' },
  rotated: {
    en: 'Rotated the DKIM keys of {0}. New keys sign from now on: {1}.',
    ja: '{0} の DKIM 鍵を更新しました。今後は新しい鍵で署名します: {1}。',
  },
  addNow: {
    en: 'ADD these records NOW (mail is already signed with the new keys; it cannot be verified until they are visible in DNS):',
    ja: '次のレコードを今すぐ追加してください (すでに新しい鍵で署名しています。DNS で見えるまで検証できません):',
  },
  removeAfter: {
    en: 'REMOVE these records after {0} (not before: mail signed with the old keys may still be on its way):',
    ja: '次のレコードは {0} 以降に削除してください (それより前は不可: 古い鍵で署名したメールがまだ配送中の可能性があります):',
  },
  removeStale: {
    en: 'These older keys had finished their overlap and were dropped: remove their records if still published:',
    ja: '次の古い鍵は猶予期間が終わっていたため削除しました。レコードが残っていれば削除してください:',
  },
  returnPathSet: {
    en: 'Return-path domain of {0} set to {1}. Publish its SPF record:',
    ja: '{0} のリターンパス用ドメインを {1} に設定しました。その SPF レコードを公開してください:',
  },
  returnPathCleared: {
    en: 'Return-path domain of {0} cleared: bounces go to the sender address itself.',
    ja: '{0} のリターンパス用ドメインを解除しました。エラー通知は送信者アドレスに直接届きます。',
  },
  errInvalidName: {
    en: '"{0}" is not a valid domain name. Give the domain as written after @ in the From address, for example: example.com',
    ja: '「{0}」は正しいドメイン名ではありません。From アドレスの @ より後ろの部分を指定してください。例: example.com',
  },
  errInvalidSelector: {
    en: '"{0}" is not a valid DKIM selector. Use letters, digits and hyphens, for example: --selector mail2026',
    ja: '「{0}」は正しい DKIM セレクタではありません。英数字とハイフンを使ってください。例: --selector mail2026',
  },
  errInvalidReturnPath: {
    en: '"{0}" is not a valid return-path domain. Give a domain name such as bounces.example.com, or none to clear it.',
    ja: '「{0}」は正しいリターンパス用ドメインではありません。bounces.example.com のようなドメイン名か、解除するなら none を指定してください。',
  },
  errExists: {
    en: '{0} is already registered. Show its records with: hikyaku domain show {0} — or make new keys with: hikyaku domain rotate-key {0}',
    ja: '{0} は既に登録されています。レコードの確認: hikyaku domain show {0} / 鍵の更新: hikyaku domain rotate-key {0}',
  },
  errNotFound: {
    en: '{0} is not registered. Add it with: hikyaku domain add {0} — or see the list with: hikyaku domain list',
    ja: '{0} は登録されていません。追加: hikyaku domain add {0} / 一覧: hikyaku domain list',
  },
  errCorrupt: {
    en: 'Cannot read the domain file {0}: {1}. Restore it from a backup, or run "hikyaku domain remove" for that domain and add it again (new keys need new DNS records).',
    ja: 'ドメインのファイル {0} を読めません: {1}。バックアップから戻すか、「hikyaku domain remove」でそのドメインを削除してから追加し直してください (新しい鍵には新しい DNS レコードが必要です)。',
  },
  errIo: {
    en: 'Cannot access {0}: {1}. Run the command as the user that owns the data directory ({2}), or fix its permissions.',
    ja: '{0} にアクセスできません: {1}。データディレクトリ ({2}) の所有ユーザーで実行するか、権限を直してください。',
  },
} as const satisfies Record<string, Text>;

export async function runDomainCommand(args: string[], context: DomainCommandContext): Promise<number> {
  const { lang, out, config } = context;
  const t = (key: keyof typeof text, ...params: string[]): string =>
    text[key][lang].replace(/\{(\d)\}/g, (_, i: string) => params[Number(i)] ?? '');

  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ed25519: { type: 'boolean' }, selector: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    out(t('badOption', (err as Error).message));
    out(t('usage'));
    return 2;
  }
  const [action, name, extra] = parsed.positionals;
  const store = DomainStore.open(config.dataDir);
  const records = (domain: SendingDomain): DnsRecord[] =>
    recordsToPublish(domain, {
      hostname: config.hostname,
      outboundAddresses: config.outboundAddresses,
      smarthost: config.delivery.smarthost,
      nowMs: Date.now(),
    });
  const needName = (): string | undefined => {
    if (name === undefined) {
      out(t('missingName', action ?? 'show'));
      out(t('usage'));
    }
    return name;
  };

  try {
    switch (action) {
      case 'add': {
        if (needName() === undefined) return 2;
        const options: { ed25519?: boolean; selector?: string } = {};
        if (parsed.values.ed25519) options.ed25519 = true;
        if (parsed.values.selector !== undefined) options.selector = parsed.values.selector;
        const domain = store.add(name as string, options);
        out(t('added', domain.name, describeKeys(domain.keys)));
        out(t('addedPublish', domain.name));
        out('');
        out(t('recordsFor', domain.name));
        for (const line of formatRecords(records(domain), lang)) out(line);
        out('');
        out(t('checkAfter', domain.name));
        return 0;
      }
      case 'list': {
        const domains = store.list();
        if (domains.length === 0) out(t('none'));
        for (const domain of domains) for (const line of describeDomain(domain)) out(line);
        return 0;
      }
      case 'show': {
        if (needName() === undefined) return 2;
        const domain = store.get(name as string);
        if (!domain) throw new DomainStoreError('not-found', name as string, 'not found');
        for (const line of describeDomain(domain)) out(line);
        out('');
        out(t('recordsFor', domain.name));
        for (const line of formatRecords(records(domain), lang)) out(line);
        return 0;
      }
      case 'remove': {
        if (needName() === undefined) return 2;
        let domain: SendingDomain | undefined;
        try {
          domain = store.get(name as string);
        } catch (err) {
          // A damaged file must still be removable: that is the advice errCorrupt gives.
          if (!(err instanceof DomainStoreError && err.code === 'corrupt')) throw err;
        }
        if (!store.remove(name as string)) {
          out(t('notRemoved', name as string));
          return 1;
        }
        const removedName = domain?.name ?? (name as string);
        out(t('removed', removedName));
        for (const key of domain?.keys ?? []) out(`  ${dkimRecordName(removedName, key.selector)}  TXT`);
        out(t('removedOther', removedName));
        return 0;
      }
      case 'rotate-key': {
        if (needName() === undefined) return 2;
        const before = store.get(name as string);
        if (!before) throw new DomainStoreError('not-found', name as string, 'not found');
        const nowMs = Date.now();
        const { domain, added, retiring } = store.rotate(before.name, { overlapMs: config.domains.rotationOverlapMs, nowMs });
        const kept = new Set(domain.keys.map((k) => k.selector));
        const dropped = before.keys.filter((k) => !kept.has(k.selector));
        const all = records(domain);
        const dkimFor = (keys: readonly DkimKey[]): DnsRecord[] =>
          keys.map((k) => all.find((r) => r.purpose === 'dkim' && r.name === dkimRecordName(domain.name, k.selector))).filter((r): r is DnsRecord => r !== undefined);
        out(t('rotated', domain.name, describeKeys(added)));
        out('');
        out(t('addNow'));
        for (const record of dkimFor(added)) for (const line of ['', ...formatRecord(record, lang)]) out(line);
        if (retiring.length > 0) {
          const until = retiring[0]?.retireUntilMs;
          out('');
          out(t('removeAfter', until === undefined ? '' : formatDate(until)));
          for (const key of retiring) out(`  TXT  ${dkimRecordName(domain.name, key.selector)}`);
        }
        if (dropped.length > 0) {
          out('');
          out(t('removeStale'));
          for (const key of dropped) out(`  TXT  ${dkimRecordName(domain.name, key.selector)}`);
        }
        return 0;
      }
      case 'return-path': {
        if (needName() === undefined) return 2;
        if (extra === undefined) {
          out(t('missingReturnPath', name as string));
          return 2;
        }
        const clear = extra.toLowerCase() === 'none';
        const domain = store.setReturnPathDomain(name as string, clear ? undefined : extra);
        if (domain.returnPathDomain === undefined) {
          out(t('returnPathCleared', domain.name));
          return 0;
        }
        out(t('returnPathSet', domain.name, domain.returnPathDomain));
        const spf = records(domain).filter((r) => r.purpose === 'spf' && r.name === domain.returnPathDomain);
        for (const record of spf) for (const line of ['', ...formatRecord(record, lang)]) out(line);
        return 0;
      }
      case undefined:
        out(t('usage'));
        return 2;
      default:
        out(t('unknownAction', action));
        out(t('usage'));
        return 2;
    }
  } catch (err) {
    if (err instanceof DomainStoreError) {
      switch (err.code) {
        case 'invalid-name':
          out(t('errInvalidName', err.subject));
          return 2;
        case 'invalid-selector':
          out(t('errInvalidSelector', err.subject));
          return 2;
        case 'invalid-return-path':
          out(t('errInvalidReturnPath', err.subject));
          return 2;
        case 'exists':
          out(t('errExists', err.subject));
          return 1;
        case 'not-found':
          out(t('errNotFound', err.subject));
          return 1;
        case 'corrupt':
          out(t('errCorrupt', err.subject, err.message));
          return 1;
      }
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS' || e.code === 'ENOSPC') {
      out(t('errIo', e.path ?? store.dir, e.message, config.dataDir));
      return 1;
    }
    throw err;
  }

  function describeKeys(keys: readonly DkimKey[]): string {
    return keys.map((k) => `${k.selector} (${k.algorithm === 'ed25519-sha256' ? 'Ed25519' : 'RSA 2048'})`).join(', ');
  }

  function describeDomain(domain: SendingDomain): string[] {
    const nowMs = Date.now();
    const lines = [
      t('listHeader', domain.name, formatDate(domain.createdAtMs), domain.returnPathDomain ?? t('returnPathNone')),
    ];
    const width = Math.max(...domain.keys.map((k) => k.selector.length));
    for (const key of domain.keys) {
      let state: string;
      if (key.state === 'active') state = t('keyActive');
      else if (key.retireUntilMs !== undefined && key.retireUntilMs <= nowMs) state = t('keyExpired', formatDate(key.retireUntilMs));
      else state = t('keyRetiring', key.retireUntilMs === undefined ? '?' : formatDate(key.retireUntilMs));
      lines.push(`  ${key.selector.padEnd(width)}  ${key.algorithm.padEnd(14)}  ${state}`);
    }
    return lines;
  }
}
