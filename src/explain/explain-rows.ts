// The explanation table: remote replies (and our own delivery failures) →
// what they mean and what to do, in Japanese and English, for a web
// director rather than a mail engineer. First matching row wins, so
// specific rows (a provider's code, a bracketed tag) come before generic
// ones; a reply no row matches is explained from its enhanced code
// (explain-reply.ts, built on bounce/status-text.ts).
//
// Kept as a TypeScript module of rows rather than JSON/YAML: the compiler
// checks that every row has both languages and valid fields, the regular
// expressions are written as literals (no escaping inside strings), and
// nothing has to be found and parsed at start. Correcting a row is editing
// one object here. Sources: /work/shared/deliverability/provider-replies.md
// and the providers' pages it names.
//
// `{retry}` in an action is replaced by when Hikyaku tries again
// ("at 14:05" / "14:05 に"), or by "soon" / "自動で" when that is unknown.

export type ExplainOutcome = 'delivered' | 'deferred' | 'bounced' | 'expired';
export type ExplainSeverity = 'info' | 'warning' | 'error';

export interface Bilingual {
  readonly ja: string;
  readonly en: string;
}

export interface ExplainRow {
  readonly id: string;
  /** The remote MTA's name (e.g. "gmail-smtp-in.l.google.com[…]:25") must match. */
  readonly provider?: RegExp;
  /** Basic reply code, one of these. */
  readonly codes?: readonly number[];
  /** Enhanced status code: exact, or a pattern. */
  readonly enhanced?: string | RegExp;
  /** The reply text (or our own detail) must match. */
  readonly text?: RegExp;
  /** Only for these outcomes. */
  readonly outcomes?: readonly ExplainOutcome[];
  /** Default: info for delivered, warning for deferred, error for bounced and expired. */
  readonly severity?: ExplainSeverity;
  readonly summary: Bilingual;
  readonly action: Bilingual;
}

const GMAIL = /google\.com|googlemail\.com|gmail/i;
const MICROSOFT = /outlook\.com|hotmail|microsoft|office365/i;
const YAHOO = /yahoodns\.net|yahoo|aol\.com/i;

/** Shared wording for "fix your domain's authentication". */
const FIX_AUTH: Bilingual = {
  ja: '送信元ドメインの SPF・DKIM・DMARC を設定してください。`hikyaku doctor` で何が足りないかを確認できます (DKIM 鍵の登録は `hikyaku domain add ドメイン名`)。直したあと、同じメールを送り直してください。',
  en: "Set up SPF, DKIM and DMARC for the sender's domain. `hikyaku doctor` shows what is missing (register a DKIM key with `hikyaku domain add DOMAIN`). After fixing it, send the message again.",
};

export const EXPLAIN_ROWS: readonly ExplainRow[] = [
  // ---- delivered
  {
    id: 'delivered',
    outcomes: ['delivered'],
    summary: { ja: '相手のメールサーバーがメールを受け取りました。', en: "The recipient's mail server accepted the message." },
    action: {
      ja: '対応は不要です。受信箱に見当たらない場合は、相手の迷惑メールフォルダーやフィルターを確認してもらってください。',
      en: "Nothing to do. If the recipient cannot find it, ask them to look in their spam folder or filters.",
    },
  },
  // ---- expired: a verdict after days of deferrals, whatever the last reply was
  {
    id: 'expired',
    outcomes: ['expired'],
    summary: {
      ja: '配信の期限内に相手へ届けられなかったため、配信をあきらめました。送信者にはエラー通知を送っています。',
      en: 'The message could not be delivered before its time limit and was given up; the sender has been sent a failure notice.',
    },
    action: {
      ja: '最後の試行の応答 (下記) が原因を示しています。相手のサーバーの障害が続いていた可能性もあるため、宛先が正しいかを確かめ、必要なら時間をおいて送り直してください。',
      en: 'The reply to the last attempt (below) tells why. The receiving server may have been down for a long time: check the address and send the message again later if needed.',
    },
  },
  // ---- our own shaping (src/deliverability/): a wait, not a failure
  {
    id: 'shaping-suspended',
    outcomes: ['deferred'],
    text: /^[a-z0-9-]+: suspended after .*held in the queue until/,
    severity: 'warning',
    summary: {
      ja: 'この事業者からブロックリストの応答があったため、飛脚はこの事業者への送信をしばらく止めています。メールはキューで待っています。',
      en: 'This provider answered with a block-list reply, so Hikyaku has paused all sending to it for a while. The message is waiting in the queue.',
    },
    action: {
      ja: '`hikyaku queue providers` で再開の時刻を確認できます。繰り返す場合は、サーバー管理者に事業者への解除申請 (Microsoft なら sender.office.com) を依頼してください。',
      en: 'See when sending resumes with `hikyaku queue providers`. If it keeps happening, ask your administrator to request delisting from the provider (for Microsoft: sender.office.com).',
    },
  },
  {
    id: 'shaping-held',
    outcomes: ['deferred'],
    text: /^[a-z0-9-]+: (rate limit .* reached|\d+ connections busy); held in the queue until/,
    severity: 'info',
    summary: {
      ja: 'エラーではありません。この事業者に受け入れられる速さで送るため、飛脚がメールを順番待ちにしています。',
      en: 'Not an error: Hikyaku is pacing mail to this provider at the rate it accepts, and this message is waiting its turn.',
    },
    action: {
      ja: '対応は不要です。飛脚が{retry}送ります。上限は `hikyaku queue providers` で確認でき、設定の deliverability.groups で変えられます。',
      en: 'Nothing to do: Hikyaku sends it {retry}. `hikyaku queue providers` shows the limits; deliverability.groups in the configuration changes them.',
    },
  },
  // ---- Gmail
  {
    id: 'gmail-4.7.28',
    enhanced: '4.7.28',
    summary: {
      ja: 'Gmail が、このサーバーからのメールが急に増えた、または送信者の要件 (SPF・DKIM・DMARC など) を満たしていないと判断し、受け取りを一時的に制限しています。',
      en: 'Gmail is temporarily limiting mail from this server: it saw an unusual rate of mail, or the sender does not meet its requirements (SPF, DKIM, DMARC…).',
    },
    action: {
      ja: '飛脚が{retry}再送します。何度も続く場合は `hikyaku doctor` で SPF・DKIM・DMARC・逆引き (PTR) を確認し、Gmail 宛ての一斉送信は少しずつ送るようにしてください。',
      en: 'Hikyaku will retry {retry}. If it keeps happening, check SPF, DKIM, DMARC and reverse DNS (PTR) with `hikyaku doctor`, and spread large sends to Gmail over time.',
    },
  },
  {
    id: 'gmail-4.2.1',
    provider: GMAIL,
    enhanced: '4.2.1',
    summary: {
      ja: 'この Gmail の宛先は短時間に多くのメールを受け取っているため、一時的に受信を止めています。',
      en: 'This Gmail recipient is receiving mail too fast right now, so Gmail is holding back new messages for a while.',
    },
    action: {
      ja: '飛脚が{retry}再送します。対応は不要です。同じ宛先に短時間で大量に送っていないかだけ確認してください。',
      en: 'Hikyaku will retry {retry}; nothing to do. Just make sure you are not sending many messages to this one address in a short time.',
    },
  },
  {
    id: 'gmail-5.7.26',
    enhanced: /^5\.7\.(26|27|30)$/,
    summary: {
      ja: '送信元ドメインの認証 (SPF・DKIM・DMARC) が通らなかったため、Gmail がメールを拒否しました。',
      en: "Gmail refused the message because the sender's domain failed authentication (SPF, DKIM, DMARC).",
    },
    action: FIX_AUTH,
  },
  {
    id: 'gmail-5.7.25',
    enhanced: '5.7.25',
    summary: {
      ja: 'このサーバーの IP アドレスに逆引き (PTR レコード) がないため、Gmail がメールを拒否しました。',
      en: "Gmail refused the message because this server's IP address has no reverse DNS (PTR record).",
    },
    action: {
      ja: 'サーバーの提供元 (VPS やクラウドの管理画面) で IP アドレスの逆引きをメールサーバーのホスト名に設定し、`hikyaku doctor` で確認してから送り直してください。',
      en: "Set the IP address's reverse DNS to the mail server's host name at your hosting provider, check it with `hikyaku doctor`, then send again.",
    },
  },
  {
    id: 'gmail-5.1.1',
    provider: GMAIL,
    enhanced: '5.1.1',
    summary: { ja: 'この Gmail アドレスは存在しません。', en: 'This Gmail address does not exist.' },
    action: {
      ja: 'アドレスの綴り (余分な空白やドットの位置など) を確認してください。飛脚はこのアドレスを送信停止リストに入れたので、正しいアドレスが分かったらそちらに送ってください。',
      en: 'Check the spelling of the address (extra spaces, misplaced dots). Hikyaku has put it on the suppression list; send to the right address once you know it.',
    },
  },
  {
    id: 'gmail-5.2.2',
    provider: GMAIL,
    enhanced: '5.2.2',
    summary: { ja: '相手の Gmail の保存容量がいっぱいで、受け取れませんでした。', en: "The recipient's Gmail storage is full, so the message could not be delivered." },
    action: {
      ja: '電話や別のアドレスなどで相手に容量の整理をお願いし、空いたあとで送り直してください。',
      en: 'Ask the recipient by another channel (phone, another address) to free some space, then send the message again.',
    },
  },
  {
    id: 'gmail-4.7.0-tls',
    provider: GMAIL,
    codes: [421, 451, 454],
    text: /TLS/i,
    summary: { ja: 'Gmail が暗号化 (TLS) での送信を求めています。', en: 'Gmail requires the message to be sent over an encrypted (TLS) connection.' },
    action: {
      ja: '飛脚が{retry}再送します。繰り返す場合は `hikyaku doctor` で送信側の TLS 設定を確認してください。',
      en: "Hikyaku will retry {retry}. If it repeats, check the outbound TLS settings with `hikyaku doctor`.",
    },
  },
  {
    id: 'gmail-4.7.0',
    provider: GMAIL,
    enhanced: '4.7.0',
    summary: {
      ja: 'Gmail が、このサーバーの IP アドレスの評判や送信量を理由に、受け取りを一時的に断っています。',
      en: "Gmail is temporarily turning mail away because of this server's IP reputation or sending volume.",
    },
    action: {
      ja: '飛脚が{retry}再送します。頻繁に起きる場合は一斉送信の量を抑え、`hikyaku doctor` で認証設定と逆引きを確認してください。',
      en: 'Hikyaku will retry {retry}. If it happens often, send large batches more slowly and check authentication and reverse DNS with `hikyaku doctor`.',
    },
  },
  // ---- Microsoft (Outlook, Hotmail, Microsoft 365)
  {
    id: 'ms-4.7.650',
    enhanced: '4.7.650',
    summary: {
      ja: 'Microsoft (Outlook・Hotmail) が、このサーバーの IP アドレスの評判を理由に受け取りを一時的に制限しています。新しい IP アドレスでよく起きます。',
      en: "Microsoft (Outlook, Hotmail) is temporarily rate-limiting this server because of its IP reputation; common with a new IP address.",
    },
    action: {
      ja: '飛脚が{retry}再送します。新しいサーバーでは、数週間かけて送信量を少しずつ増やしてください (ウォームアップ)。',
      en: 'Hikyaku will retry {retry}. With a new server, increase the volume gradually over a few weeks (warm-up).',
    },
  },
  {
    id: 'ms-5.7.515',
    enhanced: '5.7.515',
    summary: {
      ja: '送信元ドメインが Microsoft (Outlook) の送信者要件 (SPF・DKIM・DMARC) を満たしていないため、拒否されました。',
      en: "Microsoft (Outlook) refused the message because the sender's domain does not meet its sender requirements (SPF, DKIM, DMARC).",
    },
    action: FIX_AUTH,
  },
  {
    id: 'ms-5.7.708',
    enhanced: '5.7.708',
    summary: {
      ja: 'Microsoft が、このサーバーの IP アドレスからのメールを受け付けていません (評判の低い、または実績のない IP アドレス)。',
      en: "Microsoft does not accept mail from this server's IP address (low or unknown reputation).",
    },
    action: {
      ja: 'このままでは Outlook・Hotmail 宛てに届きません。サーバー管理者に、IP アドレスの変更か Microsoft への解除申請 (sender.office.com) を依頼してください。',
      en: 'Mail to Outlook and Hotmail will not get through as is. Ask your server administrator to change the IP address or request delisting from Microsoft (sender.office.com).',
    },
  },
  {
    id: 'ms-blocklist',
    enhanced: /^5\.7\.(1|520|6[0-4]\d)$/,
    text: /S3150|block ?list|banned/i,
    summary: {
      ja: 'このサーバーの IP アドレス (またはそのネットワーク) が Microsoft のブロックリストに載っているため、拒否されました。',
      en: "Microsoft refused the message because this server's IP address (or its network) is on Microsoft's block list.",
    },
    action: {
      ja: 'サーバー管理者に、Microsoft の解除申請フォーム (sender.office.com) からの解除申請を依頼してください。解除されるまで Outlook・Hotmail 宛ては届きません。',
      en: "Ask your server administrator to request delisting through Microsoft's form (sender.office.com). Until then, mail to Outlook and Hotmail will not get through.",
    },
  },
  // ---- Yahoo / AOL
  {
    id: 'yahoo-tss04',
    codes: [421],
    text: /\[TSS?0[1245]\]/,
    summary: {
      ja: 'Yahoo が、想定外の送信量や苦情の多さを理由に、このサーバーからのメールを一時的に保留しています。',
      en: 'Yahoo is temporarily deferring mail from this server because of unexpected volume or user complaints.',
    },
    action: {
      ja: '飛脚が{retry}再送します。Yahoo 宛ては数時間あけて少しずつ送るようにし、配信停止の希望にすぐ応じるなど苦情を減らしてください。',
      en: 'Hikyaku will retry {retry}. Send to Yahoo more slowly, hours apart, and reduce complaints (honour unsubscribe requests promptly).',
    },
  },
  {
    id: 'yahoo-5.7.2',
    codes: [553, 554],
    enhanced: '5.7.2',
    text: /\[TSS?0?9\]|permanently deferred|yahoo/i,
    summary: {
      ja: 'Yahoo が、このサーバーからのメールを今後受け付けないと判断しました (送り方が大量送信の典型に見えるため)。',
      en: 'Yahoo has decided not to accept mail from this server any more (its sending looks like typical bulk mail).',
    },
    action: {
      ja: '送り直しても届きません。送信の仕方 (宛先リストの質、送信量、配信停止の扱い) を見直したうえで、サーバー管理者から Yahoo の Sender Hub に相談してください。',
      en: "Resending will not help. Review how you send (list quality, volume, unsubscribe handling), then have your administrator contact Yahoo's Sender Hub.",
    },
  },
  {
    id: 'yahoo-5.7.9',
    enhanced: '5.7.9',
    provider: YAHOO,
    summary: {
      ja: 'Yahoo がポリシー上の理由 (DMARC など送信元の認証、または内容) でメールを拒否しました。',
      en: "Yahoo refused the message for policy reasons (the sender's authentication such as DMARC, or its content).",
    },
    action: FIX_AUTH,
  },
  // ---- greylisting: before the generic 4.7.1 / 4.2.0 rows
  {
    id: 'greylisting',
    codes: [450, 451, 452],
    text: /gr[ae]y ?list/i,
    severity: 'info',
    summary: {
      ja: '相手のサーバーが「グレーリスト」で一度目の受信を保留しました。迷惑メール対策として普通の動きです。',
      en: "The receiving server greylisted the first try: it asks unknown senders to come back later, a common anti-spam measure.",
    },
    action: { ja: '飛脚が{retry}再送します。対応は不要です。', en: 'Hikyaku will retry {retry}; nothing to do.' },
  },
  // ---- generic
  {
    id: 'relay-denied',
    enhanced: /^5\.7\.1$/,
    text: /relay/i,
    summary: {
      ja: '相手のサーバーが、この宛先への中継を断りました (そのサーバーはこの宛先ドメインのメールを扱っていません)。',
      en: 'The receiving server refused to relay to this address: it does not handle mail for that domain.',
    },
    action: {
      ja: '宛先ドメインの綴りを確認してください。綴りが正しければ、相手ドメインの MX 設定が誤っている可能性があるので、相手の管理者に知らせてください。',
      en: "Check the spelling of the recipient's domain. If it is right, that domain's MX records are probably wrong: tell its administrator.",
    },
  },
  {
    id: 'no-such-user',
    enhanced: '5.1.1',
    summary: { ja: '宛先のメールアドレスは存在しません。', en: 'The recipient address does not exist.' },
    action: {
      ja: 'アドレスの綴りを確認してください。飛脚はこのアドレスを送信停止リストに入れたので、正しいアドレスが分かったらそちらに送ってください。',
      en: 'Check the spelling of the address. Hikyaku has put it on the suppression list; send to the right address once you know it.',
    },
  },
  {
    id: 'mailbox-full',
    enhanced: '5.2.2',
    summary: { ja: '相手のメールボックスがいっぱいで、受け取れませんでした。', en: "The recipient's mailbox is full." },
    action: {
      ja: '別の手段で相手に容量の整理をお願いし、空いたあとで送り直してください。',
      en: 'Ask the recipient by another channel to free some space, then send the message again.',
    },
  },
  {
    id: 'null-mx',
    enhanced: '5.1.10',
    summary: {
      ja: '宛先のドメインは「メールを受け取らない」と宣言しています (null MX)。',
      en: 'The recipient domain declares that it receives no mail (null MX).',
    },
    action: {
      ja: 'このドメイン宛てには送れません。アドレスのドメイン部分 (@ より後) が正しいか確認してください。',
      en: "Mail cannot be sent to this domain. Check the part after the @ of the address.",
    },
  },
  {
    id: 'no-answer',
    enhanced: '4.4.1',
    summary: {
      ja: '相手のメールサーバーに接続できませんでした (応答がない、または接続を拒否された)。相手側の一時的な障害でよく起きます。',
      en: "Hikyaku could not connect to the recipient's mail server (no answer, or the connection was refused); usually a temporary problem on their side.",
    },
    action: {
      ja: '飛脚が{retry}再送します。何日も続く場合は、宛先のドメインが正しいか、相手のサーバーが動いているかを確認してください。',
      en: "Hikyaku will retry {retry}. If it lasts for days, check the recipient's domain and whether their server is up.",
    },
  },
  {
    id: 'tls-failure',
    enhanced: /^4\.7\.5$|^5\.7\.10$/,
    summary: {
      ja: '相手のメールサーバーと暗号化 (TLS) の接続を確立できませんでした。',
      en: "An encrypted (TLS) connection to the recipient's mail server could not be established.",
    },
    action: {
      ja: '飛脚が{retry}再送します。続く場合は、相手のサーバーの証明書の期限切れや、こちらの TLS 必須設定 (delivery.tls) が原因のことがあります。サーバー管理者に確認してください。',
      en: "Hikyaku will retry {retry}. If it lasts, the recipient server's certificate may have expired, or our TLS requirement (delivery.tls) may be too strict: ask your administrator.",
    },
  },
  {
    id: 'dns-failure',
    enhanced: '4.4.3',
    summary: {
      ja: '宛先ドメインのメールサーバーを DNS で調べられませんでした (一時的な DNS の障害)。',
      en: "The DNS lookup for the recipient domain's mail server failed (a temporary DNS problem).",
    },
    action: {
      ja: '飛脚が{retry}再送します。続く場合は、宛先ドメインの綴りと、このサーバーの DNS 設定 (delivery.resolvers) を確認してください。',
      en: "Hikyaku will retry {retry}. If it lasts, check the recipient's domain and this server's DNS settings (delivery.resolvers).",
    },
  },
];
