// Every sentence `hikyaku doctor` prints, in English and Japanese, in one
// place so both languages can be reviewed side by side. Readers are not DNS
// experts: say what is wrong, what it breaks for them, and what to paste.
import type { Message, Text } from './types.js';

const both = (en: string, ja: string): Text => ({ en, ja });
const list = (items: readonly string[]): string => items.join(', ');

/** Lines of a problem list, each on its own line with a bullet. */
export function bullets(items: readonly Text[]): Text {
  return both(items.map((t) => `- ${t.en}`).join('\n'), items.map((t) => `- ${t.ja}`).join('\n'));
}

export function joinText(...parts: (Text | undefined)[]): Text {
  const present = parts.filter((p): p is Text => p !== undefined && p.en !== '');
  return both(present.map((p) => p.en).join('\n'), present.map((p) => p.ja).join('\n'));
}

// ---------------------------------------------------------------- general

export const general = {
  dnsFailed: (title: Text, name: string, code: string): Message => ({
    title,
    explanation: both(
      `The DNS lookup of ${name} failed (${code}), so this could not be checked. Receivers may hit the same failure and delay or reject your mail.`,
      `${name} の DNS 問い合わせに失敗したため（${code}）、確認できませんでした。受信側でも同じ失敗が起きると、メールが遅れたり拒否されたりします。`,
    ),
    fix: both(
      "Check that your DNS provider's name servers answer, and run hikyaku doctor again.",
      'DNS サービスのネームサーバーが正しく応答しているか確認し、もう一度 hikyaku doctor を実行してください。',
    ),
  }),
  noDomains: (): Message => ({
    title: both('Sending domains', '送信ドメイン'),
    explanation: both(
      'No sending domain is registered, so only the checks of this server were run (no SPF, DKIM or DMARC).',
      '送信ドメインが登録されていないため、サーバー自体の確認だけを行いました（SPF・DKIM・DMARC は未確認）。',
    ),
    fix: both(
      'Register the domain you send from (it prints the DNS records to publish), then run hikyaku doctor again:',
      '送信に使うドメインを登録してください（公開すべき DNS レコードが表示されます）。その後もう一度 hikyaku doctor を実行してください:',
    ),
  }),
  noAddresses: (): Message => ({
    title: both('Outbound addresses', '送信元アドレス'),
    explanation: both(
      "No public address of this server is known, so SPF could not be evaluated and reverse DNS and blocklists were not checked.",
      'このサーバーの公開アドレスが分からないため、SPF の評価と、逆引き・ブロックリストの確認ができませんでした。',
    ),
    fix: both('Set the public address(es) mail leaves from in the configuration:', '設定ファイルに、メールが出ていく公開アドレスを設定してください:'),
  }),
  checkFailed: (check: string, detail: string): Message => ({
    title: both(`Check ${check}`, `${check} の確認`),
    explanation: both(
      `This check stopped on an unexpected error (${detail}); the other checks ran normally.`,
      `この確認は予期しないエラーで中断しました（${detail}）。ほかの確認は通常どおり行いました。`,
    ),
  }),
  smarthostAll: (host: string): Message => ({
    title: both('Delivery route', '配送経路'),
    explanation: both(
      `All mail is relayed through the smarthost ${host}, so receivers see the relay's addresses, not this server's. The reverse DNS, blocklist and port 25 checks of this server were skipped.`,
      `すべてのメールはスマートホスト ${host} を経由して送られるため、受信側から見えるのはリレーのアドレスで、このサーバーのアドレスではありません。このサーバーの逆引き・ブロックリスト・25 番ポートの確認は省略しました。`,
    ),
  }),
};

// ---------------------------------------------------------------- SPF

const spfTitle = (domain: string): Text => both(`SPF record of ${domain}`, `${domain} の SPF レコード`);

export const spf = {
  title: spfTitle,
  found: (domain: string, record: string): Message => ({
    title: spfTitle(domain),
    explanation: both(`One SPF record is published: ${record}`, `SPF レコードが 1 件公開されています: ${record}`),
  }),
  missing: (domain: string): Message => ({
    title: spfTitle(domain),
    explanation: both(
      `No SPF record (a TXT record starting with v=spf1) is published at ${domain}. Receivers cannot tell which servers may send mail for ${domain}; Gmail and Yahoo reject or spam-folder such mail.`,
      `${domain} に SPF レコード（v=spf1 で始まる TXT レコード）が公開されていません。受信側はどのサーバーが ${domain} のメールを送ってよいか判断できず、Gmail や Yahoo! では受信拒否や迷惑メール扱いになります。`,
    ),
    fix: both(
      'Add this TXT record at your DNS provider (in some control panels the host name is written "@" or left blank):',
      'DNS 管理画面で次の TXT レコードを追加してください（管理画面によってはホスト名を「@」または空欄にします）:',
    ),
  }),
  missingHelo: (hostname: string): Message => ({
    title: spfTitle(hostname),
    explanation: both(
      `No SPF record is published at ${hostname}, this server's own name. Receivers check it for bounces and other mail sent with an empty envelope sender (RFC 7208 §2.3); without it those get SPF none.`,
      `このサーバー自身の名前 ${hostname} に SPF レコードがありません。エラー通知など、エンベロープ送信者が空のメールでは受信側がこの名前の SPF を確認します（RFC 7208 §2.3）。ないと SPF の結果は none になります。`,
    ),
    fix: both(`Add this TXT record in the zone that holds ${hostname}:`, `${hostname} を管理するゾーンに次の TXT レコードを追加してください:`),
  }),
  multiple: (domain: string, records: readonly string[]): Message => ({
    title: spfTitle(domain),
    explanation: both(
      `${records.length} SPF records are published at ${domain}: ${records.join(' | ')}. Only one is allowed (RFC 7208 §3.2); with two or more every receiver returns permerror and SPF fails for all your mail.`,
      `${domain} に SPF レコードが ${records.length} 件あります: ${records.join(' | ')}。SPF レコードは 1 ドメインに 1 件だけと決まっており（RFC 7208 §3.2）、複数あると受信側はエラー（permerror）とし、すべてのメールで SPF が失敗します。`,
    ),
    fix: both(
      'Merge them into one record and delete the others, for example:',
      '1 件にまとめ、残りは削除してください。まとめた例:',
    ),
  }),
  syntaxOk: (domain: string): Message => ({
    title: both(`SPF syntax of ${domain}`, `${domain} の SPF の書式`),
    explanation: both('The record is well formed.', '書式に問題はありません。'),
  }),
  syntaxProblems: (domain: string, problems: readonly Text[], hasErrors: boolean): Message => ({
    title: both(`SPF syntax of ${domain}`, `${domain} の SPF の書式`),
    explanation: joinText(
      hasErrors
        ? both(
            'The record has errors; receivers return permerror and SPF fails for all your mail:',
            'レコードに誤りがあります。受信側はエラー（permerror）とし、すべてのメールで SPF が失敗します:',
          )
        : both('The record works, but:', 'レコードは機能していますが、次の点に注意してください:'),
      bullets(problems),
    ),
    fix: both('Correct the terms listed above in the TXT record at your DNS provider.', 'DNS 管理画面で TXT レコードの上記の部分を修正してください。'),
  }),
  problem: {
    version: (term: string): Text =>
      both(`"${term}": the record must start with v=spf1`, `「${term}」: レコードは v=spf1 で始める必要があります`),
    'non-ascii': (term: string): Text =>
      both(
        `"${term}" contains non-ASCII characters (a full-width space or letter?)`,
        `「${term}」に半角英数字以外の文字が含まれています（全角スペースや全角文字ではありませんか）`,
      ),
    'unknown-mechanism': (term: string): Text =>
      both(
        `"${term}" is not an SPF mechanism (allowed: all, include, a, mx, ptr, ip4, ip6, exists): a typo?`,
        `「${term}」は SPF の書き方にありません（使えるもの: all, include, a, mx, ptr, ip4, ip6, exists）。入力ミスではありませんか`,
      ),
    'unknown-modifier': (term: string): Text =>
      both(
        `"${term}" is not a known modifier (known: redirect=, exp=): a typo? Receivers ignore it, so what you meant is not applied`,
        `「${term}」は既知の修飾子ではありません（既知: redirect=, exp=）。入力ミスではありませんか。受信側は無視するため、意図した設定が効いていません`,
      ),
    'bad-value': (term: string): Text =>
      both(
        `"${term}" has an invalid value (domain name, IP address or prefix length)`,
        `「${term}」の値（ドメイン名・IP アドレス・プレフィックス長）が正しくありません`,
      ),
    'duplicate-modifier': (term: string): Text =>
      both(`"${term}": this modifier may appear only once`, `「${term}」: この修飾子は 1 回しか書けません`),
    'ptr-used': (term: string): Text =>
      both(
        `"${term}": the ptr mechanism is deprecated (RFC 7208 §5.5) and ignored by many receivers; list addresses with ip4:/ip6: instead`,
        `「${term}」: ptr は非推奨で（RFC 7208 §5.5）、多くの受信側で無視されます。ip4: / ip6: でアドレスを書いてください`,
      ),
    'after-all': (term: string): Text =>
      both(`"${term}" comes after "all" and is never evaluated; move it before "all"`, `「${term}」は all より後ろにあるため評価されません。all の前に移してください`),
    'redirect-ignored': (term: string): Text =>
      both(
        `"${term}" is ignored because the record also has "all" (RFC 7208 §6.1)`,
        `レコードに all があるため「${term}」は無視されます（RFC 7208 §6.1）`,
      ),
  },
  lookupsOk: (domain: string, count: number): Message => ({
    title: both(`SPF DNS lookups of ${domain}: ${count}/10`, `${domain} の SPF の DNS 問い合わせ回数: ${count}/10`),
    explanation: both(
      `Evaluating the record takes ${count} of the 10 DNS lookups allowed (RFC 7208 §4.6.4).`,
      `レコードの評価に必要な DNS 問い合わせは ${count} 回で、上限の 10 回（RFC 7208 §4.6.4）以内です。`,
    ),
  }),
  lookupsOver: (domain: string, count: number, breakdown: readonly string[]): Message => ({
    title: both(`SPF DNS lookups of ${domain}: ${count}/10`, `${domain} の SPF の DNS 問い合わせ回数: ${count}/10`),
    explanation: both(
      `Evaluating the record takes ${count} DNS lookups (include, a, mx, ptr, exists and redirect, counted through every include). Receivers stop at 10 (RFC 7208 §4.6.4) with permerror, so SPF fails for much of your mail. Lookups per include: ${list(breakdown) || '-'}.`,
      `レコードの評価に DNS 問い合わせが ${count} 回必要です（include・a・mx・ptr・exists・redirect を、include の先まで含めて数えます）。受信側は 10 回（RFC 7208 §4.6.4）を超えるとエラー（permerror）とするため、多くのメールで SPF が失敗します。include ごとの回数: ${list(breakdown) || '-'}。`,
    ),
    fix: both(
      'Remove includes of services you no longer use, replace a and mx with ip4:/ip6: addresses, and keep the total at 10 or fewer.',
      '使っていないサービスの include を削除し、a や mx は ip4: / ip6: のアドレス指定に置き換えて、合計 10 回以下にしてください。',
    ),
  }),
  include: {
    missing: (domain: string, target: string): Message => ({
      title: both(`SPF include:${target} (from ${domain})`, `SPF の include:${target}（${domain}）`),
      explanation: both(
        `${target} has no SPF record, so include:${target} makes receivers return permerror (RFC 7208 §5.2).`,
        `${target} には SPF レコードがないため、include:${target} があると受信側はエラー（permerror）とします（RFC 7208 §5.2）。`,
      ),
      fix: both(`Correct or remove include:${target} (check the name your provider documents).`, `include:${target} を修正または削除してください（サービス事業者が案内している名前を確認してください）。`),
    }),
    multiple: (domain: string, target: string): Message => ({
      title: both(`SPF include:${target} (from ${domain})`, `SPF の include:${target}（${domain}）`),
      explanation: both(
        `${target} publishes several SPF records, so include:${target} yields permerror.`,
        `${target} に SPF レコードが複数あるため、include:${target} はエラー（permerror）になります。`,
      ),
      fix: both(`Ask the owner of ${target} to publish a single record, or remove the include.`, `${target} の管理者に 1 件にまとめるよう依頼するか、この include を削除してください。`),
    }),
    loop: (domain: string, target: string): Message => ({
      title: both(`SPF include:${target} (from ${domain})`, `SPF の include:${target}（${domain}）`),
      explanation: both(
        `include:${target} leads back to a record already being evaluated (a loop); receivers stop with permerror.`,
        `include:${target} が評価中のレコードに戻っています（ループ）。受信側はエラー（permerror）とします。`,
      ),
      fix: both('Remove the include that points back.', '戻ってくる include を削除してください。'),
    }),
    syntax: (domain: string, target: string): Message => ({
      title: both(`SPF include:${target} (from ${domain})`, `SPF の include:${target}（${domain}）`),
      explanation: both(
        `The SPF record of ${target}, which ${domain} includes, has syntax errors; evaluation ends in permerror when it gets there.`,
        `${domain} が include している ${target} の SPF レコードに書式の誤りがあり、評価がそこに達するとエラー（permerror）になります。`,
      ),
      fix: both(`Fix ${target}'s record, or remove the include.`, `${target} のレコードを修正するか、include を削除してください。`),
    }),
  },
  resultTitle: (domain: string, ip: string): Text => both(`SPF for ${ip} sending as ${domain}`, `${ip} から送る ${domain} のメールの SPF`),
  pass: (domain: string, ip: string): Message => ({
    title: both(`SPF for ${ip} sending as ${domain}`, `${ip} から送る ${domain} のメールの SPF`),
    explanation: both(`Receivers get SPF pass: the record authorises ${ip}.`, `受信側での SPF の結果は pass です。レコードで ${ip} が許可されています。`),
  }),
  notPass: (domain: string, ip: string, result: string): Message => ({
    title: both(`SPF for ${ip} sending as ${domain}`, `${ip} から送る ${domain} のメールの SPF`),
    explanation: both(
      `Receivers get SPF ${result}: the record does not authorise this server's address ${ip}. Mail from here counts as unauthenticated and goes to spam or is rejected.`,
      `受信側での SPF の結果は ${result} です。このサーバーのアドレス ${ip} がレコードで許可されていません。ここから送ったメールは認証されず、迷惑メール扱いや受信拒否になります。`,
    ),
    fix: both(`Add ip${ip.includes(':') ? '6' : '4'}:${ip} to the record (replace the existing one):`, `レコードに ip${ip.includes(':') ? '6' : '4'}:${ip} を追加してください（既存のレコードを置き換えます）:`),
  }),
  permerror: (domain: string, ip: string, detail: string): Message => ({
    title: both(`SPF for ${ip} sending as ${domain}`, `${ip} から送る ${domain} のメールの SPF`),
    explanation: both(
      `Receivers get SPF permerror (${detail}): a permanent error in the record, so SPF fails for every message.`,
      `受信側での SPF の結果は permerror（${detail}）です。レコードの誤りのため、すべてのメールで SPF が失敗します。`,
    ),
    fix: both('Fix the problems reported above for this record.', 'このレコードについて上に表示した問題を修正してください。'),
  }),
  temperror: (domain: string, ip: string, detail: string): Message => ({
    title: both(`SPF for ${ip} sending as ${domain}`, `${ip} から送る ${domain} のメールの SPF`),
    explanation: both(
      `The SPF evaluation hit a temporary DNS error (${detail}); receivers would defer your mail.`,
      `SPF の評価中に一時的な DNS エラーが起きました（${detail}）。受信側ではメールの受け取りが保留されます。`,
    ),
    fix: both("Check that your DNS provider's name servers answer, and run hikyaku doctor again.", 'DNS サービスのネームサーバーが応答しているか確認し、もう一度 hikyaku doctor を実行してください。'),
  }),
  smarthost: (domain: string, host: string): Message => ({
    title: both(`SPF for mail relayed through ${host}`, `${host} 経由で送るメールの SPF`),
    explanation: both(
      `Mail for ${domain} leaves through the smarthost ${host}, so receivers check SPF against the relay's addresses. Your SPF record must include what the relay provider documents (for example include:_spf.relay-provider.example).`,
      `${domain} のメールはスマートホスト ${host} から送信されるため、受信側はリレーのアドレスで SPF を確認します。リレー事業者が案内している指定（例: include:_spf.relay-provider.example）を SPF レコードに含めてください。`,
    ),
  }),
};

// ---------------------------------------------------------------- DKIM

const dkimTitle = (selector: string, domain: string): Text =>
  both(`DKIM key ${selector} of ${domain}`, `${domain} の DKIM 鍵 ${selector}`);

export const dkim = {
  title: dkimTitle,
  unregistered: (domain: string): Message => ({
    title: both(`DKIM signing for ${domain}`, `${domain} の DKIM 署名`),
    explanation: both(
      `${domain} is not registered in Hikyaku, so its mail is sent without a DKIM signature. Without DKIM, DMARC rests on SPF alone, which breaks when mail is forwarded; Gmail requires DKIM from bulk senders.`,
      `${domain} は Hikyaku に登録されていないため、メールに DKIM 署名が付きません。DKIM がないと DMARC は SPF だけが頼りになり、転送されたメールで失敗します。Gmail は一括送信者に DKIM を必須としています。`,
    ),
    fix: both(
      'Register the domain; the command creates a key and prints the DNS records to publish:',
      'ドメインを登録してください。鍵が作成され、公開すべき DNS レコードが表示されます:',
    ),
  }),
  ok: (selector: string, domain: string, name: string): Message => ({
    title: dkimTitle(selector, domain),
    explanation: both(
      `The public key at ${name} matches the private key Hikyaku signs with.`,
      `${name} の公開鍵は、Hikyaku が署名に使う秘密鍵と一致しています。`,
    ),
  }),
  missing: (selector: string, domain: string, name: string): Message => ({
    title: dkimTitle(selector, domain),
    explanation: both(
      `No DKIM key is published at ${name}. Receivers cannot verify the signature Hikyaku adds, so DKIM fails for every message.`,
      `${name} に DKIM の公開鍵がありません。受信側は Hikyaku が付けた署名を検証できず、すべてのメールで DKIM が失敗します。`,
    ),
    fix: both('Add this TXT record at your DNS provider:', 'DNS 管理画面で次の TXT レコードを追加してください:'),
  }),
  retiringMissing: (selector: string, domain: string, name: string): Message => ({
    title: dkimTitle(selector, domain),
    explanation: both(
      `The previous key ${selector} is no longer published at ${name}, but messages signed with it may still be on their way; they will fail DKIM. Keep it published until the rotation overlap ends.`,
      `以前の鍵 ${selector} が ${name} に公開されていませんが、この鍵で署名したメールがまだ配送途中の可能性があり、それらは DKIM が失敗します。鍵の交換期間が終わるまで公開を続けてください。`,
    ),
    fix: both('Publish it again until then:', 'それまで、次のレコードを再び公開してください:'),
  }),
  retiredStillPublished: (selector: string, domain: string, name: string): Message => ({
    title: dkimTitle(selector, domain),
    explanation: both(
      `The old key ${selector} is no longer used and its overlap period is over; you may delete the TXT record at ${name}, and remove the key from Hikyaku.`,
      `古い鍵 ${selector} はもう使われておらず、交換期間も終わりました。${name} の TXT レコードは削除してかまいません。Hikyaku からも鍵を削除できます。`,
    ),
    fix: both('Remove the key from Hikyaku with:', 'Hikyaku から鍵を削除するには:'),
  }),
  retiredGone: (selector: string, domain: string): Message => ({
    title: dkimTitle(selector, domain),
    explanation: both(
      `The old key ${selector} is no longer used and no longer published; it can be removed from Hikyaku.`,
      `古い鍵 ${selector} はもう使われておらず、公開もされていません。Hikyaku から削除できます。`,
    ),
    fix: both('Remove the key from Hikyaku with:', 'Hikyaku から鍵を削除するには:'),
  }),
  pendingMissing: (selector: string, domain: string, name: string): Message => ({
    title: dkimTitle(selector, domain),
    explanation: both(
      `The new key ${selector} (made by rotate-key) is not published at ${name} yet. Mail is still signed with the current key, so nothing fails; the new key signs only once its record is visible and it is activated.`,
      `新しい鍵 ${selector} (rotate-key で作成) はまだ ${name} に公開されていません。メールは現在の鍵で署名を続けているため問題はありません。新しい鍵はレコードが見えるようになり、有効化された後にだけ署名に使われます。`,
    ),
    fix: both('Publish this TXT record, then run hikyaku domain activate-key (or let the running server activate it):', '次の TXT レコードを公開してから hikyaku domain activate-key を実行してください (起動中のサーバーが自動で有効化することもできます):'),
  }),
  pendingReady: (selector: string, domain: string, name: string): Message => ({
    title: dkimTitle(selector, domain),
    explanation: both(
      `The new key ${selector} is published at ${name} and matches; it is waiting to be activated (it does not sign yet).`,
      `新しい鍵 ${selector} は ${name} に正しく公開されています。有効化を待っています (まだ署名には使われていません)。`,
    ),
    fix: both('Switch signing to it with:', '署名をこの鍵に切り替えるには:'),
  }),
  multiple: (selector: string, domain: string, name: string, count: number): Message => ({
    title: dkimTitle(selector, domain),
    explanation: both(
      `${count} TXT records are published at ${name}; receivers may pick any of them, and DKIM then fails at random.`,
      `${name} に TXT レコードが ${count} 件あります。受信側はどれか 1 件を使うため、DKIM がときどき失敗します。`,
    ),
    fix: both('Keep only this record and delete the others:', '次のレコードだけを残し、ほかは削除してください:'),
  }),
  syntax: (selector: string, domain: string, name: string, problems: readonly Text[]): Message => ({
    title: dkimTitle(selector, domain),
    explanation: joinText(
      both(`The record at ${name} is not a valid DKIM key record (RFC 6376 §3.6.1):`, `${name} のレコードは DKIM の公開鍵レコードとして正しくありません（RFC 6376 §3.6.1）:`),
      bullets(problems),
    ),
    fix: both('Replace it with this TXT record:', '次の TXT レコードに置き換えてください:'),
  }),
  problem: {
    malformed: (): Text => both('the tag list cannot be read (expected tag=value; tag=value)', 'タグの並びが読めません（tag=value; tag=value の形式が必要です）'),
    version: (): Text => both('v= must be DKIM1 and come first', 'v= は DKIM1 で、先頭に置く必要があります'),
    duplicate: (tag: string): Text => both(`the tag ${tag}= appears twice`, `タグ ${tag}= が 2 回あります`),
    noKey: (): Text => both('there is no p= tag (the public key)', 'p= タグ（公開鍵）がありません'),
    revoked: (): Text => both('p= is empty: this means the key is revoked', 'p= が空です。これは鍵が失効していることを意味します'),
    keyType: (published: string, expected: string): Text =>
      both(`k=${published} but the key is ${expected}`, `k=${published} となっていますが、鍵の種類は ${expected} です`),
    base64: (): Text => both('p= is not valid base64 (was the value cut or wrapped when pasted?)', 'p= が正しい base64 ではありません（貼り付けの際に途中で切れたり改行が入ったりしていませんか）'),
  },
  mismatch: (selector: string, domain: string, name: string): Message => ({
    title: dkimTitle(selector, domain),
    explanation: both(
      `The public key published at ${name} is not the one that matches Hikyaku's key for selector ${selector}, so every signature fails verification. It is probably an old key, or the value was cut when pasted.`,
      `${name} に公開されている公開鍵は、Hikyaku のセレクター ${selector} の鍵と一致しないため、すべての署名が検証に失敗します。古い鍵のままか、貼り付けの際に値が途中で切れた可能性があります。`,
    ),
    fix: both('Replace the TXT record with:', 'TXT レコードを次の内容に置き換えてください:'),
  }),
  testing: (selector: string, domain: string): Message => ({
    title: dkimTitle(selector, domain),
    explanation: both(
      't=y marks the key as in testing: receivers may treat failures leniently. Remove t=y once DKIM works.',
      't=y によりこの鍵はテスト中と宣言されており、受信側は失敗を大目に見ることがあります。DKIM が動作したら t=y を外してください。',
    ),
  }),
};

// ---------------------------------------------------------------- DMARC

const dmarcTitle = (domain: string): Text => both(`DMARC record of ${domain}`, `${domain} の DMARC レコード`);

export const dmarc = {
  title: dmarcTitle,
  found: (domain: string, record: string): Message => ({
    title: dmarcTitle(domain),
    explanation: both(`Published at _dmarc.${domain}: ${record}`, `_dmarc.${domain} に公開されています: ${record}`),
  }),
  inherited: (domain: string, orgDomain: string, record: string): Message => ({
    title: dmarcTitle(domain),
    explanation: both(
      `There is no record at _dmarc.${domain}; receivers use the one of the organisational domain, _dmarc.${orgDomain} (RFC 7489 §6.6.3): ${record}`,
      `_dmarc.${domain} にはレコードがないため、受信側は組織ドメインのレコード _dmarc.${orgDomain} を使います（RFC 7489 §6.6.3）: ${record}`,
    ),
  }),
  missing: (domain: string): Message => ({
    title: dmarcTitle(domain),
    explanation: both(
      `No DMARC record at _dmarc.${domain}. Gmail and Yahoo require one from bulk senders since February 2024, and without it you receive no reports about who sends mail in your name.`,
      `_dmarc.${domain} に DMARC レコードがありません。2024 年 2 月から Gmail と Yahoo! は一括送信者に DMARC を必須としています。また、DMARC がないと、誰があなたのドメイン名でメールを送っているかの報告も届きません。`,
    ),
    fix: both(
      'Start with this monitoring-only record (p=none: it changes nothing for delivery and lets you collect reports):',
      'まずは監視のみのレコード（p=none: 配送には影響せず、報告だけを受け取れます）を追加してください:',
    ),
  }),
  multiple: (domain: string, count: number): Message => ({
    title: dmarcTitle(domain),
    explanation: both(
      `${count} DMARC records are published at _dmarc.${domain}; receivers then ignore DMARC altogether (RFC 7489 §6.6.3).`,
      `_dmarc.${domain} に DMARC レコードが ${count} 件あります。この場合、受信側は DMARC をまったく適用しません（RFC 7489 §6.6.3）。`,
    ),
    fix: both('Keep a single record, for example:', '1 件だけにしてください。例:'),
  }),
  syntaxOk: (domain: string): Message => ({
    title: both(`DMARC syntax of ${domain}`, `${domain} の DMARC の書式`),
    explanation: both('The record is well formed.', '書式に問題はありません。'),
  }),
  syntax: (domain: string, problems: readonly Text[], hasErrors: boolean): Message => ({
    title: both(`DMARC syntax of ${domain}`, `${domain} の DMARC の書式`),
    explanation: joinText(
      hasErrors
        ? both('The record has errors (RFC 7489 §6.3); receivers may ignore it entirely:', 'レコードに誤りがあり（RFC 7489 §6.3）、受信側がレコード全体を無視することがあります:')
        : both('The record works, but:', 'レコードは機能していますが、次の点に注意してください:'),
      bullets(problems),
    ),
    fix: both('Replace it with a corrected record, for example:', '修正したレコードに置き換えてください。例:'),
  }),
  problem: {
    version: (): Text => both('the record must start with v=DMARC1', 'レコードは v=DMARC1 で始める必要があります'),
    malformed: (part: string): Text => both(`"${part}" is not tag=value`, `「${part}」が tag=value の形式ではありません`),
    noPolicy: (): Text => both('the p= tag (the policy) is missing', 'p= タグ（ポリシー）がありません'),
    badValue: (tag: string, value: string, allowed: string): Text =>
      both(`${tag}=${value} is not allowed (allowed: ${allowed})`, `${tag}=${value} は使えません（使える値: ${allowed}）`),
    duplicate: (tag: string): Text => both(`the tag ${tag}= appears twice`, `タグ ${tag}= が 2 回あります`),
    unknown: (tag: string): Text =>
      both(`unknown tag ${tag}= (a typo?); receivers ignore it`, `不明なタグ ${tag}= があります（入力ミスではありませんか）。受信側は無視します`),
  },
  policyNone: (domain: string): Message => ({
    title: both(`DMARC policy of ${domain}: none`, `${domain} の DMARC ポリシー: none`),
    explanation: both(
      'p=none only monitors: receivers deliver failing mail as usual and send you reports. It is the right start. When the reports show that all your legitimate mail passes, move to p=quarantine and then p=reject, so that nobody else can send mail in your name.',
      'p=none は監視のみで、認証に失敗したメールも通常どおり配送され、報告だけが届きます。最初の段階としては適切です。報告で正規のメールがすべて合格していると確認できたら、p=quarantine、さらに p=reject へ進めると、なりすましメールを防げます。',
    ),
  }),
  policyEnforced: (domain: string, policy: string): Message => ({
    title: both(`DMARC policy of ${domain}: ${policy}`, `${domain} の DMARC ポリシー: ${policy}`),
    explanation:
      policy === 'reject'
        ? both('Receivers reject mail that fails DMARC: your domain is protected against spoofing.', 'DMARC に失敗したメールは受信拒否されます。なりすましから守られています。')
        : both('Receivers put mail that fails DMARC in the spam folder.', 'DMARC に失敗したメールは迷惑メールフォルダーに入ります。'),
  }),
  partial: (domain: string, pct: number): Message => ({
    title: both(`DMARC pct of ${domain}: ${pct}%`, `${domain} の DMARC の pct: ${pct}%`),
    explanation: both(
      `pct=${pct}: the policy is applied to only ${pct}% of failing mail. Raise it to 100 once you are confident.`,
      `pct=${pct} のため、ポリシーは失敗したメールの ${pct}% にしか適用されません。問題がなければ 100 にしてください。`,
    ),
  }),
  noReports: (domain: string): Message => ({
    title: both(`DMARC reports for ${domain}`, `${domain} の DMARC レポート`),
    explanation: both(
      'There is no rua= tag, so you receive no aggregate reports and cannot see which servers send as your domain.',
      'rua= タグがないため集計レポートが届かず、どのサーバーがあなたのドメイン名で送っているかを確認できません。',
    ),
    fix: both(`Add rua= with a mailbox that receives the reports, e.g. rua=mailto:dmarc-reports@${domain}`, `レポートを受け取るアドレスを rua= で指定してください。例: rua=mailto:dmarc-reports@${domain}`),
  }),
  spfAligned: (domain: string, envelopeDomain: string, strict: boolean): Message => ({
    title: both(`DMARC alignment of SPF for ${domain}`, `${domain} の DMARC における SPF の整合`),
    explanation: both(
      `Mail sent through Hikyaku has the envelope sender (Return-Path) domain ${envelopeDomain}, which aligns with ${domain} (${strict ? 'strict' : 'relaxed'} alignment, RFC 7489 §3.1.2).`,
      `Hikyaku から送るメールのエンベロープ送信者（Return-Path）のドメインは ${envelopeDomain} で、${domain} と整合しています（${strict ? 'strict' : 'relaxed'}、RFC 7489 §3.1.2）。`,
    ),
  }),
  spfNotAligned: (domain: string, envelopeDomain: string, strict: boolean, dkimAligns: boolean): Message => ({
    title: both(`DMARC alignment of SPF for ${domain}`, `${domain} の DMARC における SPF の整合`),
    explanation: joinText(
      both(
        `Mail sent through Hikyaku has the envelope sender (Return-Path) domain ${envelopeDomain}, which does not align with ${domain} under ${strict ? 'strict (aspf=s)' : 'relaxed'} alignment (RFC 7489 §3.1.2): SPF cannot make DMARC pass.`,
        `Hikyaku から送るメールのエンベロープ送信者（Return-Path）のドメイン ${envelopeDomain} は、${strict ? 'strict（aspf=s）' : 'relaxed'} の条件で ${domain} と整合しません（RFC 7489 §3.1.2）。SPF では DMARC に合格できません。`,
      ),
      dkimAligns
        ? both('DKIM alignment still makes DMARC pass, as long as the signature survives.', 'DKIM の整合があるため、署名が保たれている限り DMARC には合格します。')
        : undefined,
    ),
    fix: strict
      ? both(`Use relaxed SPF alignment (remove aspf=s), or a Return-Path domain equal to ${domain}.`, `SPF の整合を relaxed にする（aspf=s を外す）か、Return-Path のドメインを ${domain} と同じにしてください。`)
      : both(`Use a Return-Path domain under ${domain}.`, `Return-Path のドメインを ${domain} 配下のものにしてください。`),
  }),
  dkimAligned: (domain: string): Message => ({
    title: both(`DMARC alignment of DKIM for ${domain}`, `${domain} の DMARC における DKIM の整合`),
    explanation: both(
      `Hikyaku signs mail from ${domain} with d=${domain}, which aligns with the From: domain.`,
      `Hikyaku は ${domain} のメールに d=${domain} で署名するため、From: のドメインと整合します。`,
    ),
  }),
  dkimNotAligned: (domain: string): Message => ({
    title: both(`DMARC alignment of DKIM for ${domain}`, `${domain} の DMARC における DKIM の整合`),
    explanation: both(
      `Hikyaku does not sign mail from ${domain} (the domain is not registered), so DKIM cannot make DMARC pass.`,
      `${domain} は登録されていないため Hikyaku は署名せず、DKIM では DMARC に合格できません。`,
    ),
    fix: both('Register the domain and publish its DKIM key:', 'ドメインを登録し、DKIM の公開鍵を公開してください:'),
  }),
};

// ---------------------------------------------------------------- reverse DNS, EHLO, MX

export const ptr = {
  title: (ip: string): Text => both(`Reverse DNS (PTR) of ${ip}`, `${ip} の逆引き（PTR）`),
  ok: (ip: string, names: readonly string[]): Message => ({
    title: ptr.title(ip),
    explanation: both(`${ip} points back to ${list(names)}.`, `${ip} の逆引きは ${list(names)} です。`),
  }),
  missing: (ip: string): Message => ({
    title: ptr.title(ip),
    explanation: both(
      `${ip} has no reverse DNS (PTR) record. Gmail and most large receivers reject or defer mail from addresses without one.`,
      `${ip} に逆引き（PTR）レコードがありません。Gmail など多くの大手の受信側は、逆引きのないアドレスからのメールを拒否または保留します。`,
    ),
    fix: both(
      "A PTR record is set by whoever owns the IP address (your cloud or hosting provider, e.g. the console's reverse DNS setting), not in your domain's DNS. Ask them to set:",
      'PTR レコードはドメインの DNS ではなく、IP アドレスの管理者（クラウドやホスティング事業者。コントロールパネルの「逆引き」設定など）が設定します。次の内容で設定を依頼してください:',
    ),
  }),
  fcrdnsOk: (ip: string, name: string): Message => ({
    title: both(`Forward-confirmed reverse DNS of ${ip}`, `${ip} の正引き・逆引きの一致`),
    explanation: both(`${name} resolves back to ${ip}.`, `${name} の正引きは ${ip} に戻ります。`),
  }),
  fcrdnsFailed: (ip: string, names: readonly string[]): Message => ({
    title: both(`Forward-confirmed reverse DNS of ${ip}`, `${ip} の正引き・逆引きの一致`),
    explanation: both(
      `The PTR name ${list(names)} of ${ip} does not resolve back to ${ip}. Receivers check this "forward-confirmed reverse DNS" (FCrDNS) and treat a mismatch like a missing PTR.`,
      `${ip} の逆引き名 ${list(names)} を正引きしても ${ip} に戻りません。受信側はこの正引きと逆引きの一致（FCrDNS）を確認しており、一致しないと逆引きがないのと同じ扱いになります。`,
    ),
    fix: both('Add this A record to the DNS of that name:', 'その名前の DNS に次の A レコードを追加してください:'),
  }),
  hostnameOk: (ip: string, hostname: string): Message => ({
    title: both(`PTR of ${ip} and the EHLO name`, `${ip} の逆引きと EHLO 名`),
    explanation: both(`The PTR name matches the name Hikyaku introduces itself with (EHLO ${hostname}).`, `逆引き名は Hikyaku が名乗る名前（EHLO ${hostname}）と一致しています。`),
  }),
  hostnameMismatch: (ip: string, names: readonly string[], hostname: string): Message => ({
    title: both(`PTR of ${ip} and the EHLO name`, `${ip} の逆引きと EHLO 名`),
    explanation: both(
      `The PTR name of ${ip} is ${list(names)}, but Hikyaku introduces itself as ${hostname} (EHLO). Some receivers count the mismatch against you.`,
      `${ip} の逆引き名は ${list(names)} ですが、Hikyaku は ${hostname} と名乗っています（EHLO）。一致しないと不利に扱う受信側があります。`,
    ),
    fix: both(
      `Have the PTR set to ${hostname}, or set "hostname: ${names[0] ?? ''}" in the configuration.`,
      `逆引きを ${hostname} に設定してもらうか、設定ファイルで「hostname: ${names[0] ?? ''}」としてください。`,
    ),
  }),
};

export const ehlo = {
  title: (hostname: string): Text => both(`EHLO name ${hostname}`, `EHLO 名 ${hostname}`),
  ok: (hostname: string, addresses: readonly string[]): Message => ({
    title: ehlo.title(hostname),
    explanation: both(`${hostname} resolves to ${list(addresses)}.`, `${hostname} は ${list(addresses)} に解決されます。`),
  }),
  missing: (hostname: string): Message => ({
    title: ehlo.title(hostname),
    explanation: both(
      `${hostname}, the name Hikyaku introduces itself with (EHLO), has no A/AAAA record. Many receivers reject mail from servers whose EHLO name does not exist.`,
      `Hikyaku が名乗る名前（EHLO）${hostname} に A / AAAA レコードがありません。EHLO 名が存在しないサーバーからのメールを拒否する受信側は多くあります。`,
    ),
    fix: both('Add an A record for it:', '次の A レコードを追加してください:'),
  }),
  notOurs: (hostname: string, addresses: readonly string[], ours: readonly string[]): Message => ({
    title: ehlo.title(hostname),
    explanation: both(
      `${hostname} resolves to ${list(addresses)}, which does not include this server's address ${list(ours)}. Receivers comparing the EHLO name with the connecting address see a mismatch.`,
      `${hostname} は ${list(addresses)} に解決されますが、このサーバーのアドレス ${list(ours)} が含まれていません。EHLO 名と接続元アドレスを照合する受信側では不一致になります。`,
    ),
    fix: both('Point it at this server:', 'このサーバーを指すようにしてください:'),
  }),
};

export const mx = {
  title: (domain: string): Text => both(`MX of ${domain}`, `${domain} の MX`),
  ok: (domain: string, hosts: readonly string[]): Message => ({
    title: mx.title(domain),
    explanation: both(`Mail for ${domain} (replies, bounces) goes to ${list(hosts)}.`, `${domain} 宛てのメール（返信やエラーメール）は ${list(hosts)} に届きます。`),
  }),
  missing: (domain: string): Message => ({
    title: mx.title(domain),
    explanation: both(
      `${domain} has no MX record, so replies and bounces to ${domain} addresses may not reach you, and some receivers distrust sender domains without one.`,
      `${domain} に MX レコードがないため、${domain} 宛ての返信やエラーメールが届かない可能性があり、MX のない送信ドメインを信用しない受信側もあります。`,
    ),
    fix: both('Publish the MX of the service that receives your mail (your mail hosting tells you its value), for example:', 'メールを受信するサービスの MX を公開してください（値はメールサービスの案内を確認してください）。例:'),
  }),
  missingNoAddress: (domain: string): Message => ({
    title: mx.title(domain),
    explanation: both(
      `${domain} has neither an MX nor an A/AAAA record, so no mail can be delivered to it (RFC 5321 §5.1). Receivers that check the sender domain (for example Postfix's reject_unknown_sender_domain) reject mail from it.`,
      `${domain} には MX も A / AAAA レコードもないため、このドメイン宛てのメールは配送できません（RFC 5321 §5.1）。送信元ドメインを確認する受信側（Postfix の reject_unknown_sender_domain など）は、このドメインからのメールを拒否します。`,
    ),
    fix: both('Publish the MX of the service that receives your mail (your mail hosting tells you its value), for example:', 'メールを受信するサービスの MX を公開してください（値はメールサービスの案内を確認してください）。例:'),
  }),
  nxdomain: (domain: string): Message => ({
    title: mx.title(domain),
    explanation: both(
      `${domain} does not exist in DNS (NXDOMAIN). Receivers reject mail whose sender domain does not exist.`,
      `${domain} は DNS に存在しません（NXDOMAIN）。送信元ドメインが存在しないメールは受信を拒否されます。`,
    ),
    fix: both('Check the spelling of the domain, and that its DNS is served.', 'ドメイン名のつづりと、DNS が公開されていることを確認してください。'),
  }),
  nullMx: (domain: string): Message => ({
    title: mx.title(domain),
    explanation: both(
      `${domain} publishes a "null MX" (RFC 7505): it declares that it receives no mail. Replies and bounces cannot reach you, and some receivers reject senders with a null MX.`,
      `${domain} は「null MX」（RFC 7505）を公開しており、メールを受け取らないと宣言しています。返信やエラーメールが届かず、null MX の送信元を拒否する受信側もあります。`,
    ),
    fix: both('Replace it with the MX of the service that receives your mail.', 'メールを受信するサービスの MX に置き換えてください。'),
  }),
};

// ---------------------------------------------------------------- blocklists

export const blocklist = {
  title: (ip: string, zone: string): Text => both(`${ip} on the ${zone} blocklist`, `${zone}（ブロックリスト）での ${ip}`),
  clean: (ip: string, zone: string): Message => ({
    title: blocklist.title(ip, zone),
    explanation: both('Not listed.', '掲載されていません。'),
  }),
  listed: (ip: string, zone: string, answers: readonly string[], reason: string | undefined): Message => ({
    title: blocklist.title(ip, zone),
    explanation: both(
      `${ip} is listed on ${zone} (answer ${list(answers)})${reason ? `: ${reason}` : ''}. Receivers using this list reject or spam-folder mail from this address.`,
      `${ip} は ${zone} に掲載されています（応答 ${list(answers)}）${reason ? `: ${reason}` : ''}。このリストを使う受信側は、このアドレスからのメールを拒否するか迷惑メールとして扱います。`,
    ),
    fix: both(
      `Find and fix the cause (a compromised account, a web form sending spam, a previous user of the address), then request removal on the website of the ${zone} operator. If the address belongs to your provider's shared pool, ask them for a clean one.`,
      `原因（乗っ取られたアカウント、スパムを送るウェブフォーム、アドレスの以前の利用者など）を調べて解消してから、${zone} の運営者のウェブサイトで掲載の解除を申請してください。事業者の共有アドレスの場合は、別のアドレスを依頼してください。`,
    ),
  }),
  refused: (ip: string, zone: string, answers: readonly string[]): Message => ({
    title: blocklist.title(ip, zone),
    explanation: both(
      `${zone} answered ${list(answers)}, which means it refused the query (Spamhaus, for example, does not answer queries made through public resolvers such as 8.8.8.8). The listing status is unknown.`,
      `${zone} の応答は ${list(answers)} で、問い合わせが拒否されたことを意味します（たとえば Spamhaus は 8.8.8.8 などの公開リゾルバー経由の問い合わせに答えません）。掲載の有無は不明です。`,
    ),
    fix: both("Set delivery.resolvers to your own resolver, or check the address on the operator's website.", 'delivery.resolvers に自前のリゾルバーを設定するか、運営者のウェブサイトでアドレスを確認してください。'),
  }),
  failed: (ip: string, zone: string, code: string): Message => ({
    title: blocklist.title(ip, zone),
    explanation: both(`The query failed (${code}); the listing status is unknown.`, `問い合わせに失敗しました（${code}）。掲載の有無は不明です。`),
  }),
  ipv6: (ip: string): Message => ({
    title: both(`Blocklists for ${ip}`, `${ip} のブロックリスト`),
    explanation: both('IPv6 addresses are not checked: most blocklists list only IPv4.', 'IPv6 アドレスは確認していません。ほとんどのブロックリストは IPv4 のみを扱います。'),
  }),
};

// ---------------------------------------------------------------- TLS certificate

const letsEncryptSnippet = (hostname: string): string =>
  [
    `sudo certbot certonly --standalone -d ${hostname}`,
    '',
    'tls:',
    `  certFile: /etc/letsencrypt/live/${hostname}/fullchain.pem`,
    `  keyFile: /etc/letsencrypt/live/${hostname}/privkey.pem`,
  ].join('\n');

export const tls = {
  title: both('TLS certificate', 'TLS 証明書'),
  letsEncryptSnippet,
  unreadable: (file: string, detail: string): Message => ({
    title: tls.title,
    explanation: both(`The certificate file ${file} cannot be read (${detail}).`, `証明書ファイル ${file} を読めません（${detail}）。`),
    fix: both('Check tls.certFile in the configuration and the file permissions.', '設定ファイルの tls.certFile とファイルの権限を確認してください。'),
  }),
  notYetGenerated: (file: string): Message => ({
    title: tls.title,
    explanation: both(
      `No certificate yet: Hikyaku creates a self-signed one at ${file} when it first starts. Mail programs will not trust it; see the fix.`,
      `証明書はまだありません。初回起動時に Hikyaku が自己署名証明書を ${file} に作成しますが、メールソフトからは信頼されません。対処方法を参照してください。`,
    ),
    fix: both("Get a free certificate from Let's Encrypt and configure it:", "Let's Encrypt の無料の証明書を取得し、設定してください:"),
  }),
  unparsable: (file: string, detail: string): Message => ({
    title: tls.title,
    explanation: both(`${file} is not a PEM certificate (${detail}).`, `${file} は PEM 形式の証明書ではありません（${detail}）。`),
    fix: both('Point tls.certFile at the PEM certificate (for certbot: fullchain.pem).', 'tls.certFile には PEM 形式の証明書を指定してください（certbot なら fullchain.pem）。'),
  }),
  hostnameOk: (hostname: string): Message => ({
    title: both(`TLS certificate name (${hostname})`, `TLS 証明書の名前（${hostname}）`),
    explanation: both(`The certificate is valid for ${hostname}.`, `証明書は ${hostname} 用として有効です。`),
  }),
  hostnameMismatch: (hostname: string, names: readonly string[]): Message => ({
    title: both(`TLS certificate name (${hostname})`, `TLS 証明書の名前（${hostname}）`),
    explanation: both(
      `The certificate is for ${list(names) || '(no names)'}, not ${hostname}. Mail programs connecting to ${hostname} show a certificate warning or refuse to send.`,
      `証明書は ${list(names) || '（名前なし）'} 用で、${hostname} 用ではありません。${hostname} に接続するメールソフトは証明書の警告を出すか、送信を拒否します。`,
    ),
    fix: both(`Get a certificate that includes ${hostname}:`, `${hostname} を含む証明書を取得してください:`),
  }),
  expiresIn: (days: number, date: string): Message => ({
    title: both('TLS certificate expiry', 'TLS 証明書の有効期限'),
    explanation: both(`Valid until ${date} (${days} days left).`, `${date} まで有効です（残り ${days} 日）。`),
  }),
  expiresSoon: (days: number, date: string): Message => ({
    title: both('TLS certificate expiry', 'TLS 証明書の有効期限'),
    explanation: both(`The certificate expires on ${date}, in ${days} days.`, `証明書は ${date} に期限切れになります（残り ${days} 日）。`),
    fix: both(
      'Renew it. certbot renews 30 days ahead, so this close to the date renewal is failing: see sudo certbot renew --dry-run. After hikyaku tls use-certbot, the renewed certificate is loaded without a restart; otherwise run sudo systemctl reload hikyaku.',
      '更新してください。certbot は期限の 30 日前に更新するので、ここまで近いのは更新が失敗しているためです (sudo certbot renew --dry-run で確認)。hikyaku tls use-certbot を設定済みなら更新後の証明書は再起動なしで読み込まれます。それ以外は sudo systemctl reload hikyaku を実行してください。',
    ),
  }),
  expired: (date: string): Message => ({
    title: both('TLS certificate expiry', 'TLS 証明書の有効期限'),
    explanation: both(
      `The certificate expired on ${date}. Mail programs refuse to connect.`,
      `証明書は ${date} に期限が切れています。メールソフトは接続を拒否します。`,
    ),
    fix: both(
      'Renew it. certbot renews 30 days ahead, so this close to the date renewal is failing: see sudo certbot renew --dry-run. After hikyaku tls use-certbot, the renewed certificate is loaded without a restart; otherwise run sudo systemctl reload hikyaku.',
      '更新してください。certbot は期限の 30 日前に更新するので、ここまで近いのは更新が失敗しているためです (sudo certbot renew --dry-run で確認)。hikyaku tls use-certbot を設定済みなら更新後の証明書は再起動なしで読み込まれます。それ以外は sudo systemctl reload hikyaku を実行してください。',
    ),
  }),
  selfSigned: (): Message => ({
    title: both('TLS certificate issuer', 'TLS 証明書の発行者'),
    explanation: both(
      'The certificate is self-signed: mail programs (Outlook, Thunderbird, iPhone Mail) warn about it or refuse to connect on ports 587 and 465.',
      '証明書は自己署名です。メールソフト（Outlook、Thunderbird、iPhone のメールなど）は 587・465 番ポートへの接続で警告を出すか、接続を拒否します。',
    ),
    fix: both("Get a free certificate from Let's Encrypt and configure it:", "Let's Encrypt の無料の証明書を取得し、設定してください:"),
  }),
  issuerOk: (issuer: string): Message => ({
    title: both('TLS certificate issuer', 'TLS 証明書の発行者'),
    explanation: both(`Issued by ${issuer}.`, `発行者: ${issuer}`),
  }),
  chainMissing: (): Message => ({
    title: both('TLS certificate chain', 'TLS 証明書の中間証明書'),
    explanation: both(
      'The file holds only the server certificate, without the intermediate certificate, so some clients cannot verify it.',
      'ファイルにはサーバー証明書だけが入っていて中間証明書がないため、検証できないクライアントがあります。',
    ),
    fix: both('Point tls.certFile at the full chain (with certbot: fullchain.pem, not cert.pem).', 'tls.certFile には中間証明書を含むファイルを指定してください（certbot なら cert.pem ではなく fullchain.pem）。'),
  }),
  keyMismatch: (keyFile: string): Message => ({
    title: both('TLS private key', 'TLS 秘密鍵'),
    explanation: both(
      `The private key ${keyFile} does not belong to the certificate; TLS connections will fail.`,
      `秘密鍵 ${keyFile} は証明書と対になっていないため、TLS 接続が失敗します。`,
    ),
    fix: both('Set tls.keyFile to the key issued with this certificate (with certbot: privkey.pem).', 'tls.keyFile には、この証明書と一緒に発行された鍵を指定してください（certbot なら privkey.pem）。'),
  }),
  keyUnreadable: (keyFile: string, detail: string): Message => ({
    title: both('TLS private key', 'TLS 秘密鍵'),
    explanation: both(`The private key ${keyFile} cannot be read (${detail}).`, `秘密鍵 ${keyFile} を読めません（${detail}）。`),
    fix: both('Check tls.keyFile in the configuration and the file permissions.', '設定ファイルの tls.keyFile とファイルの権限を確認してください。'),
  }),
};

// ---------------------------------------------------------------- MTA-STS and TLS-RPT

export const mtaSts = {
  title: (domain: string): Text => both(`MTA-STS of ${domain}`, `${domain} の MTA-STS`),
  absent: (domain: string): Message => ({
    title: mtaSts.title(domain),
    explanation: both(
      `No MTA-STS policy (_mta-sts.${domain}). It is optional: it makes other servers use TLS when they send mail to ${domain}, so it protects mail you receive, not mail you send.`,
      `MTA-STS のポリシー（_mta-sts.${domain}）はありません。これは任意の設定で、他のサーバーが ${domain} 宛てに送る際に TLS を必須にするものです。受信するメールの保護であり、送信には影響しません。`,
    ),
  }),
  recordOk: (domain: string, id: string): Message => ({
    title: mtaSts.title(domain),
    explanation: both(`_mta-sts.${domain} announces policy id ${id}.`, `_mta-sts.${domain} はポリシー ID ${id} を公開しています。`),
  }),
  multiple: (domain: string, count: number): Message => ({
    title: mtaSts.title(domain),
    explanation: both(
      `${count} MTA-STS records at _mta-sts.${domain}; senders then ignore the policy (RFC 8461 §3.1).`,
      `_mta-sts.${domain} に MTA-STS レコードが ${count} 件あり、この場合送信側はポリシーを無視します（RFC 8461 §3.1）。`,
    ),
    fix: both('Keep a single record, e.g.:', '1 件だけにしてください。例:'),
  }),
  syntax: (domain: string, problems: readonly Text[]): Message => ({
    title: mtaSts.title(domain),
    explanation: joinText(both(`The record at _mta-sts.${domain} is invalid (RFC 8461 §3.1):`, `_mta-sts.${domain} のレコードが正しくありません（RFC 8461 §3.1）:`), bullets(problems)),
    fix: both('Replace it with a record like:', '次のようなレコードに置き換えてください:'),
  }),
  problem: {
    version: (): Text => both('the record must start with v=STSv1', 'レコードは v=STSv1 で始める必要があります'),
    id: (value: string | undefined): Text =>
      value === undefined
        ? both('the id= tag is missing', 'id= タグがありません')
        : both(`id=${value} must be 1 to 32 letters and digits`, `id=${value} は 1〜32 文字の英数字である必要があります`),
    policyLine: (line: string): Text => both(`"${line}" is not a valid policy line`, `「${line}」はポリシーの行として正しくありません`),
    policyVersion: (): Text => both('"version: STSv1" is missing', '「version: STSv1」がありません'),
    policyMode: (value: string | undefined): Text =>
      both(`mode: ${value ?? '(missing)'} is not allowed (allowed: enforce, testing, none)`, `mode: ${value ?? '（なし）'} は使えません（使える値: enforce, testing, none）`),
    policyMaxAge: (value: string | undefined): Text =>
      both(`max_age: ${value ?? '(missing)'} must be a number of seconds up to 31557600`, `max_age: ${value ?? '（なし）'} は 31557600 以下の秒数である必要があります`),
    policyMx: (): Text => both('no mx: line (required unless mode is none)', 'mx: の行がありません（mode が none 以外では必須）'),
  },
  policyOk: (domain: string, mode: string): Message => ({
    title: both(`MTA-STS policy file of ${domain}`, `${domain} の MTA-STS ポリシーファイル`),
    explanation: both(`The policy file is valid (mode: ${mode}).`, `ポリシーファイルは正しく、mode は ${mode} です。`),
  }),
  fetchFailed: (domain: string, url: string, detail: string): Message => ({
    title: both(`MTA-STS policy file of ${domain}`, `${domain} の MTA-STS ポリシーファイル`),
    explanation: both(
      `${url} could not be fetched (${detail}). Senders that see the TXT record but cannot fetch the policy fall back to their cached policy or to none.`,
      `${url} を取得できませんでした（${detail}）。TXT レコードがあるのにポリシーを取得できないと、送信側はキャッシュしたポリシーを使うか、ポリシーなしとして扱います。`,
    ),
    fix: both(
      `Serve the policy over HTTPS with a valid certificate for mta-sts.${domain}, or remove the _mta-sts TXT record.`,
      `mta-sts.${domain} の正しい証明書を使って HTTPS でポリシーを公開するか、_mta-sts の TXT レコードを削除してください。`,
    ),
  }),
  policyInvalid: (domain: string, problems: readonly Text[]): Message => ({
    title: both(`MTA-STS policy file of ${domain}`, `${domain} の MTA-STS ポリシーファイル`),
    explanation: joinText(both('The policy file is invalid (RFC 8461 §3.2):', 'ポリシーファイルが正しくありません（RFC 8461 §3.2）:'), bullets(problems)),
    fix: both('Correct the file, for example:', 'ファイルを修正してください。例:'),
  }),
  mxNotCovered: (domain: string, hosts: readonly string[], mode: string): Message => ({
    title: both(`MTA-STS policy file of ${domain}`, `${domain} の MTA-STS ポリシーファイル`),
    explanation: both(
      `The MX host(s) ${list(hosts)} do not match any mx: line of the policy.${mode === 'enforce' ? ' In enforce mode, senders refuse to deliver to them.' : ''}`,
      `MX ホスト ${list(hosts)} がポリシーのどの mx: 行にも一致しません。${mode === 'enforce' ? 'enforce モードでは、送信側はこれらのホストへの配送を拒否します。' : ''}`,
    ),
    fix: both('Add an mx: line for each MX host to the policy file.', 'ポリシーファイルに各 MX ホストの mx: 行を追加してください。'),
  }),
};

export const tlsRpt = {
  title: (domain: string): Text => both(`TLS-RPT of ${domain}`, `${domain} の TLS-RPT`),
  absent: (domain: string): Message => ({
    title: tlsRpt.title(domain),
    explanation: both(
      `No TLS reporting record (_smtp._tls.${domain}). Optional: it asks senders to report TLS problems they meet when delivering to ${domain}.`,
      `TLS レポートのレコード（_smtp._tls.${domain}）はありません。任意の設定で、${domain} 宛ての配送で起きた TLS の問題を送信側から報告してもらうためのものです。`,
    ),
  }),
  ok: (domain: string, rua: string): Message => ({
    title: tlsRpt.title(domain),
    explanation: both(`Reports go to ${rua}.`, `レポートの送り先: ${rua}`),
  }),
  syntax: (domain: string, problems: readonly Text[]): Message => ({
    title: tlsRpt.title(domain),
    explanation: joinText(both(`The record at _smtp._tls.${domain} is invalid (RFC 8460 §3):`, `_smtp._tls.${domain} のレコードが正しくありません（RFC 8460 §3）:`), bullets(problems)),
    fix: both('Replace it with a record like:', '次のようなレコードに置き換えてください:'),
  }),
  multiple: (domain: string, count: number): Message => ({
    title: tlsRpt.title(domain),
    explanation: both(
      `${count} TLS-RPT records at _smtp._tls.${domain}; senders then send no reports (RFC 8460 §3).`,
      `_smtp._tls.${domain} に TLS-RPT レコードが ${count} 件あり、この場合レポートは送られません（RFC 8460 §3）。`,
    ),
    fix: both('Keep a single record, e.g.:', '1 件だけにしてください。例:'),
  }),
  problem: {
    version: (): Text => both('the record must start with v=TLSRPTv1', 'レコードは v=TLSRPTv1 で始める必要があります'),
    rua: (value: string | undefined): Text =>
      value === undefined
        ? both('the rua= tag is missing', 'rua= タグがありません')
        : both(`rua=${value} must be mailto: or https: addresses, separated by commas`, `rua=${value} は mailto: または https: のアドレス（カンマ区切り）である必要があります`),
  },
};

// ---------------------------------------------------------------- outbound port 25

export const port25 = {
  title: both('Outbound port 25', '送信用の 25 番ポート'),
  smarthostSnippet: [
    'delivery:',
    '  smarthost:',
    '    host: smtp.relay.example.net',
    '    port: 587',
    '    tls: starttls',
    '    username: your-relay-user',
    '    passwordFile: /etc/hikyaku/smarthost-password',
  ].join('\n'),
  ok: (target: string): Message => ({
    title: port25.title,
    explanation: both(`A connection to ${target} succeeded: this server can deliver mail directly.`, `${target} への接続に成功しました。このサーバーから直接メールを配送できます。`),
  }),
  blocked: (target: string, detail: string): Message => ({
    title: port25.title,
    explanation: both(
      `Could not connect to ${target} (${detail}). Most clouds (AWS, Google Cloud, Azure, and many VPS services) block outbound port 25 by default; then Hikyaku cannot deliver mail directly.`,
      `${target} に接続できませんでした（${detail}）。多くのクラウド（AWS、Google Cloud、Azure、多くの VPS）は初期状態で送信用の 25 番ポートを遮断しており、その場合 Hikyaku は直接メールを配送できません。`,
    ),
    fix: both(
      'Ask the provider to lift the block (on AWS: the "Request to remove email sending limitations" form), or send through a relay service (smarthost) by adding to the configuration:',
      '事業者に遮断の解除を申請するか（AWS では「メール送信制限の解除申請」フォーム）、設定ファイルに次を追加してリレーサービス（スマートホスト）経由で送信してください:',
    ),
  }),
  noTarget: (detail: string): Message => ({
    title: port25.title,
    explanation: both(`Could not find a mail server to test against (${detail}).`, `接続テストに使うメールサーバーが見つかりませんでした（${detail}）。`),
  }),
  skipped: (): Message => ({
    title: port25.title,
    explanation: both('Not checked (--no-port25).', '確認していません（--no-port25）。'),
  }),
};

// ---------------------------------------------------------------- bulk sender rules

/** One of the rules Gmail and Yahoo set for bulk senders (2024), by what the doctor found. */
export const bulkRule = {
  spf: both('SPF passes for the domain', 'ドメインの SPF が正しく設定されている'),
  dkim: both('DKIM signature with a published key', 'DKIM 署名と公開鍵の DNS 登録'),
  alignment: both('From domain aligned with SPF or DKIM (DMARC alignment)', 'From ドメインが SPF か DKIM と一致している (DMARC のアライメント)'),
  dmarc: both('a DMARC record (p=none at least)', 'DMARC レコード (少なくとも p=none)'),
  ptr: both('reverse DNS (PTR) of the sending IP matching its name', '送信 IP の逆引き (PTR) と名前の一致'),
  tls: both('TLS when delivering', '配送時の TLS 暗号化'),
  unsubscribe: both('one-click unsubscribe (RFC 8058) in bulk mail', '一斉配信メールのワンクリック配信停止 (RFC 8058)'),
};

export const bulk = {
  title: both('Gmail / Yahoo bulk sender rules', 'Gmail・Yahoo の大量送信者向けルール'),
  met: (rules: readonly Text[]): Message => ({
    title: bulk.title,
    explanation: both(
      `Every rule that applies to sending more than 5,000 messages a day to Gmail or Yahoo is met:\n${rules.map((r) => `✓ ${r.en}`).join('\n')}\nAlso keep the spam complaint rate under 0.3 % (Google Postmaster Tools shows it).`,
      `Gmail・Yahoo に 1 日 5,000 通を超えて送る場合のルールをすべて満たしています:\n${rules.map((r) => `✓ ${r.ja}`).join('\n')}\n迷惑メール報告率も 0.3 % 未満に保ってください (Google Postmaster Tools で確認できます)。`,
    ),
  }),
  missing: (met: readonly Text[], missing: readonly Text[]): Message => ({
    title: bulk.title,
    explanation: both(
      `Sending more than 5,000 messages a day to Gmail or Yahoo requires all of these; missing ones get mail refused (550 5.7.26, 5.7.9) or put in spam:\n${met.map((r) => `✓ ${r.en}`).join('\n')}\n${missing.map((r) => `✗ ${r.en}`).join('\n')}`,
      `Gmail・Yahoo に 1 日 5,000 通を超えて送るには、次のすべてが必要です。欠けているとメールが拒否される (550 5.7.26、5.7.9) か迷惑メールになります:\n${met.map((r) => `✓ ${r.ja}`).join('\n')}\n${missing.map((r) => `✗ ${r.ja}`).join('\n')}`,
    ),
    fix: both(
      'Fix the checks marked ✗ above (each has its own finding with the record to publish). For one-click unsubscribe, set the public address of the HTTP listener and mark bulk mail with "X-Hikyaku-Bulk: yes" (or "bulk": true in the API):',
      '上の ✗ の項目を直してください (それぞれの項目に公開すべきレコードがあります)。ワンクリック配信停止には、HTTP リスナーの公開アドレスを設定し、一斉配信メールに "X-Hikyaku-Bulk: yes" ヘッダー (API では "bulk": true) を付けます:',
    ),
  }),
};

// ---------------------------------------------------------------- mail-client autoconfiguration

export const autoconfig = {
  thunderbirdTitle: (domain: string): Text => both(`Mail-client autoconfig (autoconfig.${domain})`, `メールソフトの自動設定 (autoconfig.${domain})`),
  autodiscoverTitle: (domain: string): Text => both(`Outlook Autodiscover (autodiscover.${domain})`, `Outlook の自動設定 (autodiscover.${domain})`),
  found: (title: Text, name: string, values: readonly string[]): Message => ({
    title,
    explanation: both(
      `${name} is published (${list(values)}). Clients fetch it over HTTPS: it must reach Hikyaku's HTTP listener (README "Mail-client setup").`,
      `${name} は公開されています（${list(values)}）。メールソフトは HTTPS で取得するので、Hikyaku の HTTP 受付に届くようにしてください（README「メールソフトの設定」）。`,
    ),
  }),
  missingThunderbird: (domain: string): Message => ({
    title: autoconfig.thunderbirdTitle(domain),
    explanation: both(
      `autoconfig.${domain} is not in DNS, so Thunderbird (and other clients that read its format) cannot configure ${domain} addresses by themselves; users type the settings (hikyaku user setup) instead.`,
      `autoconfig.${domain} が DNS にないため、Thunderbird など（同じ形式を読むメールソフト）は ${domain} のアドレスを自動設定できません。その場合は設定を手で入力します（hikyaku user setup）。`,
    ),
    fix: both(
      'To offer it, publish this name for the host that serves Hikyaku\'s HTTP listener over HTTPS (README "Mail-client setup"):',
      '提供する場合は、Hikyaku の HTTP 受付を HTTPS で公開するホストを指す次の名前を公開してください（README「メールソフトの設定」）:',
    ),
  }),
  missingAutodiscover: (domain: string): Message => ({
    title: autoconfig.autodiscoverTitle(domain),
    explanation: both(
      `Neither autodiscover.${domain} nor the SRV record _autodiscover._tcp.${domain} is in DNS, so Outlook cannot configure ${domain} addresses by itself.`,
      `autodiscover.${domain} も SRV レコード _autodiscover._tcp.${domain} も DNS にないため、Outlook は ${domain} のアドレスを自動設定できません。`,
    ),
    fix: both(
      `To offer it, publish this name (or instead an SRV record: _autodiscover._tcp.${domain}. 3600 IN SRV 0 0 443 HOST.):`,
      `提供する場合は、次の名前を公開してください（代わりに SRV レコード _autodiscover._tcp.${domain}. 3600 IN SRV 0 0 443 ホスト名. でも可）:`,
    ),
  }),
  loopbackTitle: both('Autoconfiguration reachable from clients', 'メールソフトからの自動設定の取得'),
  loopback: (where: string): Message => ({
    title: autoconfig.loopbackTitle,
    explanation: both(
      `Autoconfiguration is served on the HTTP listener, which listens on ${where} only: no mail client can fetch it yet.`,
      `自動設定は HTTP 受付で提供していますが、受付は ${where} だけで待ち受けているため、まだどのメールソフトからも取得できません。`,
    ),
    fix: both(
      'Forward https://autoconfig.DOMAIN/mail/config-v1.1.xml, /.well-known/autoconfig/, /autodiscover/ and /autoconfig/ from a reverse proxy with a certificate for those names, or bind listeners.http to a public address (HTTPS with the server certificate). README "Mail-client setup".',
      'autoconfig.ドメイン の /mail/config-v1.1.xml、/.well-known/autoconfig/、/autodiscover/、/autoconfig/ を、それらの名前の証明書を持つリバースプロキシから転送するか、listeners.http を公開アドレスで待ち受けてください（サーバー証明書による HTTPS）。README「メールソフトの設定」。',
    ),
  }),
};
