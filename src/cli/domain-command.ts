// `hikyaku domain add|list|show|remove|rotate-key|activate-key|retire-key|return-path`:
// sending domains, their DKIM keys, and the DNS records to publish for them.
// Changes are files under <dataDir>/domains, which the running server
// re-reads on its next message: no restart needed.
//
// A key rotation has three steps, so that no signature is ever made with a
// key receivers cannot find: rotate-key makes a PENDING key (the active key
// goes on signing) and prints its record; activate-key switches signing once
// the doctor's DKIM check finds the record published (the running server
// does the same by itself, see domains/key-activation.ts); the old key is
// then RETIRING, still published for domains.rotationOverlap, after which
// retire-key removes it.
import type { Resolver } from 'node:dns/promises';
import { parseArgs } from 'node:util';
import type { Config } from '../config/types.js';
import { createResolver } from '../dns/resolver.js';
import { checkKeysPublished } from '../doctor/dkim-check.js';
import type { Finding } from '../doctor/types.js';
import { DomainStore, DomainStoreError, pendingToActivate, type DkimKey, type SendingDomain } from '../domains/domain-store.js';
import { formatRecord, formatRecords } from '../domains/format-records.js';
import { dkimRecordName, formatDate, recordsToPublish, type DnsRecord } from '../domains/records.js';

type Lang = 'ja' | 'en';

export interface DomainCommandContext {
  readonly config: Config;
  readonly lang: Lang;
  readonly out: (line: string) => void;
  /** The resolver activate-key checks the records with; default: delivery.resolvers (or the system's). */
  readonly resolver?: Resolver;
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
       hikyaku domain activate-key NAME [SELECTOR] [--force]
       hikyaku domain retire-key NAME SELECTOR [--force]
       hikyaku domain return-path NAME DOMAIN|none`,
    ja: `使い方: hikyaku domain add ドメイン [--ed25519] [--selector セレクタ]
        hikyaku domain list
        hikyaku domain show ドメイン
        hikyaku domain remove ドメイン
        hikyaku domain rotate-key ドメイン
        hikyaku domain activate-key ドメイン [セレクタ] [--force]
        hikyaku domain retire-key ドメイン セレクタ [--force]
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
  keyPending: {
    en: 'pending (does not sign yet; created {0}): publish its record, then hikyaku domain activate-key {1}',
    ja: '有効化待ち (まだ署名しません、{0} 作成): レコードを公開してから hikyaku domain activate-key {1}',
  },
  keyRetiring: { en: 'retiring (stopped signing {0}): keep published until {1}', ja: '退役中 ({0} に署名を終了): {1} まで公開したまま' },
  keyExpired: {
    en: 'retiring (stopped signing {0}): overlap over since {1}, its record may be removed; then: hikyaku domain retire-key {2} {3}',
    ja: '退役中 ({0} に署名を終了): {1} に猶予期間が終わりました。レコードは削除できます。その後: hikyaku domain retire-key {2} {3}',
  },
  unknownDate: { en: 'date unknown', ja: '日時不明' },
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
    en: 'Made new DKIM keys for {0}: {1}. They are PENDING: mail is still signed with the current keys ({2}) until the new ones are activated.',
    ja: '{0} の新しい DKIM 鍵を作成しました: {1}。これらは有効化待ちです。有効化されるまで、メールは現在の鍵 ({2}) で署名を続けます。',
  },
  publishPending: {
    en: 'Step 1: publish these records now (nothing fails meanwhile):',
    ja: '手順 1: 次のレコードを今すぐ公開してください (その間も何も失敗しません):',
  },
  activateAfter: {
    en: 'Step 2: once they are visible in DNS, switch signing to the new keys with: hikyaku domain activate-key {0} (it checks the records first).',
    ja: '手順 2: DNS で見えるようになったら、次のコマンドで署名を新しい鍵に切り替えてください: hikyaku domain activate-key {0} (先にレコードを確認します)。',
  },
  autoActivateOn: {
    en: 'The running server also does this by itself once it has found the records published at two checks in a row (checked every {0}; domains.autoActivate).',
    ja: '起動中のサーバーも、レコードの公開を 2 回続けて確認すると自動で切り替えます ({0} ごとに確認。domains.autoActivate)。',
  },
  autoActivateOff: {
    en: 'domains.autoActivate is false: the running server will not switch by itself.',
    ja: 'domains.autoActivate が false のため、起動中のサーバーは自動では切り替えません。',
  },
  errPendingExists: {
    en: 'A rotation is already under way: the pending keys {1} wait for their records. Publish them and run: hikyaku domain activate-key {0} — or discard them with: hikyaku domain retire-key {0} SELECTOR',
    ja: '鍵の交換が進行中です: 有効化待ちの鍵 {1} がレコードの公開を待っています。公開してから hikyaku domain activate-key {0} を実行するか、hikyaku domain retire-key {0} セレクタ で破棄してください。',
  },
  activated: {
    en: 'Activated {1} for {0}: mail is signed with it from now on (a running server switches within a second).',
    ja: '{0} の {1} を有効化しました。今後のメールはこの鍵で署名します (起動中のサーバーも 1 秒以内に切り替わります)。',
  },
  activatedForced: {
    en: 'Activated WITHOUT a confirmed DNS record (--force): receivers fail DKIM for this mail until the record is visible.',
    ja: 'DNS レコードを確認せずに有効化しました (--force)。レコードが見えるまで、受信側ではこのメールの DKIM が失敗します。',
  },
  keepRetiring: {
    en: 'The previous keys {0} no longer sign but must stay published until {1} (mail signed with them may still be on its way). After that, delete their records and run: hikyaku domain retire-key {2} SELECTOR',
    ja: '以前の鍵 {0} はもう署名しませんが、{1} までは公開したままにしてください (その鍵で署名したメールがまだ配送中の可能性があります)。その後、レコードを削除してから hikyaku domain retire-key {2} セレクタ を実行してください。',
  },
  notActivated: {
    en: 'Not activated: the DNS record of {1} ({0}) could not be confirmed as published and matching. Mail is still signed with the current key, so nothing fails. What the check found:',
    ja: '有効化しませんでした: {1} ({0}) の DNS レコードが公開され一致していることを確認できませんでした。メールは現在の鍵で署名を続けているため、何も失敗していません。確認結果:',
  },
  notActivatedHint: {
    en: 'Publish the record, wait for it to be visible, and run the command again (check with: hikyaku doctor {0}). To switch anyway (signatures fail until the record is visible): hikyaku domain activate-key {0} --force',
    ja: 'レコードを公開し、見えるようになってから再度実行してください (確認: hikyaku doctor {0})。それでも切り替える場合 (レコードが見えるまで署名は失敗します): hikyaku domain activate-key {0} --force',
  },
  errNoPending: {
    en: '{0} has no pending DKIM key to activate. Make one with: hikyaku domain rotate-key {1}',
    ja: '{0} には有効化待ちの DKIM 鍵がありません。作成するには: hikyaku domain rotate-key {1}',
  },
  errKeyNotFound: {
    en: 'No DKIM key "{0}" for this domain. See its keys with: hikyaku domain show DOMAIN',
    ja: 'このドメインに DKIM 鍵「{0}」はありません。鍵の一覧: hikyaku domain show ドメイン',
  },
  errKeyActive: {
    en: '{0} is the key that signs: it cannot be retired. Rotate first: hikyaku domain rotate-key DOMAIN, then activate-key.',
    ja: '{0} は署名に使っている鍵のため削除できません。先に hikyaku domain rotate-key ドメイン で交換し、activate-key してください。',
  },
  errKeyInOverlap: {
    en: 'Not removed: this key must stay published until {0} (mail signed with it may still be on its way). Remove it after that, or now with --force.',
    ja: '削除しませんでした: この鍵は {0} まで公開しておく必要があります (その鍵で署名したメールがまだ配送中の可能性があります)。その後に削除するか、--force を付けて今すぐ削除してください。',
  },
  missingSelector: {
    en: 'Give the selector of the key to remove, for example: hikyaku domain retire-key {0} SELECTOR (see them with: hikyaku domain show {0})',
    ja: '削除する鍵のセレクタを指定してください。例: hikyaku domain retire-key {0} セレクタ (一覧: hikyaku domain show {0})',
  },
  retired: {
    en: 'Removed the retired DKIM key {1} of {0}. Delete its record if it is still published:',
    ja: '{0} の退役した DKIM 鍵 {1} を削除しました。レコードが残っていれば削除してください:',
  },
  discarded: {
    en: 'Discarded the pending DKIM key {1} of {0} (it never signed). Delete its record if you published it:',
    ja: '{0} の有効化待ちの DKIM 鍵 {1} を破棄しました (署名には使われていません)。公開していればレコードを削除してください:',
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
      options: { ed25519: { type: 'boolean' }, selector: { type: 'string' }, force: { type: 'boolean' } },
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
        const { domain, added } = store.rotate(name as string);
        const signing = domain.keys.filter((k) => k.state === 'active');
        out(t('rotated', domain.name, describeKeys(added), signing.map((k) => k.selector).join(', ')));
        out('');
        out(t('publishPending'));
        for (const record of dkimRecordsFor(domain, added)) for (const line of ['', ...formatRecord(record, lang)]) out(line);
        out('');
        out(t('activateAfter', domain.name));
        out(config.domains.autoActivate ? t('autoActivateOn', formatInterval(config.domains.autoActivateIntervalMs)) : t('autoActivateOff'));
        return 0;
      }
      case 'activate-key': {
        if (needName() === undefined) return 2;
        const domain = store.get(name as string);
        if (!domain) throw new DomainStoreError('not-found', name as string, 'not found');
        const keys = pendingToActivate(domain, extra);
        const selectors = keys.map((k) => k.selector).join(', ');
        if (!parsed.values.force) {
          const resolver = context.resolver ?? createResolver({ servers: config.delivery.resolvers, timeoutMs: config.delivery.dnsTimeoutMs });
          const verdict = await checkKeysPublished({ resolver, domain, nowMs: Date.now() }, keys);
          if (!verdict.published) {
            out(t('notActivated', domain.name, selectors));
            for (const f of verdict.findings) for (const line of describeFinding(f)) out(line);
            out('');
            out(t('notActivatedHint', domain.name));
            return 1;
          }
        }
        const { activated, retiring } = store.activate(domain.name, {
          overlapMs: config.domains.rotationOverlapMs,
          ...(extra === undefined ? {} : { selector: extra }),
        });
        out(t('activated', domain.name, describeKeys(activated)));
        if (parsed.values.force) out(t('activatedForced'));
        const until = retiring[0]?.retireUntilMs;
        if (retiring.length > 0 && until !== undefined) {
          out('');
          out(t('keepRetiring', retiring.map((k) => k.selector).join(', '), formatDate(until), domain.name));
          for (const key of retiring) out(`  TXT  ${dkimRecordName(domain.name, key.selector)}`);
        }
        return 0;
      }
      case 'retire-key': {
        if (needName() === undefined) return 2;
        if (extra === undefined) {
          out(t('missingSelector', name as string));
          return 2;
        }
        const { domain, removed } = store.retireKey(name as string, extra, { force: parsed.values.force === true });
        out(t(removed.state === 'pending' ? 'discarded' : 'retired', domain.name, removed.selector));
        out(`  TXT  ${dkimRecordName(domain.name, removed.selector)}`);
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
        case 'pending-exists':
          out(t('errPendingExists', name ?? '', err.subject));
          return 1;
        case 'no-pending':
          out(t('errNoPending', err.subject, name ?? err.subject));
          return 1;
        case 'key-not-found':
          out(t('errKeyNotFound', err.subject));
          return 1;
        case 'key-active':
          out(t('errKeyActive', err.subject));
          return 1;
        case 'key-in-overlap':
          out(t('errKeyInOverlap', formatDate(Number(err.subject))));
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
    const date = (ms: number | undefined): string => (ms === undefined ? t('unknownDate') : formatDate(ms));
    const order = (k: DkimKey): number => (k.state === 'active' ? 0 : k.state === 'pending' ? 1 : 2);
    for (const key of [...domain.keys].sort((a, b) => order(a) - order(b))) {
      let state: string;
      if (key.state === 'active') state = t('keyActive');
      else if (key.state === 'pending') state = t('keyPending', formatDate(key.createdAtMs), domain.name);
      else if (key.retireUntilMs !== undefined && key.retireUntilMs <= nowMs) state = t('keyExpired', date(key.retiredAtMs), formatDate(key.retireUntilMs), domain.name, key.selector);
      else state = t('keyRetiring', date(key.retiredAtMs), date(key.retireUntilMs));
      lines.push(`  ${key.selector.padEnd(width)}  ${key.algorithm.padEnd(14)}  ${state}`);
    }
    return lines;
  }

  function dkimRecordsFor(domain: SendingDomain, keys: readonly DkimKey[]): DnsRecord[] {
    const all = records(domain);
    return keys
      .map((k) => all.find((r) => r.purpose === 'dkim' && r.name === dkimRecordName(domain.name, k.selector)))
      .filter((r): r is DnsRecord => r !== undefined);
  }

  /** A doctor finding, indented, in the command's language. */
  function describeFinding(f: Finding): string[] {
    const lines = [`  [${f.status}] ${f.title[lang]}`, ...f.explanation[lang].split('\n').map((l) => `    ${l}`)];
    if (f.fix) {
      lines.push(`    ${f.fix[lang]}`);
      if (f.fix.record !== undefined) lines.push(`      ${f.fix.record}`);
    }
    return lines;
  }
}

/** "10m", "1h", "30s": the interval as the configuration writes it. */
function formatInterval(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}
