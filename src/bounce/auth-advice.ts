// Advice for a bounce caused by the sender's own authentication: Gmail's
// 5.7.26/5.7.27/5.7.30 (SPF, DKIM, DMARC), 5.7.25 (no PTR), Microsoft's
// 5.7.515. The reply table (deliverability/replies.yaml) names the records to
// fix in each row's `fix`; the DSN tells the sender which ones in plain
// words, since resending will fail the same way until the DNS is corrected.
import type { RemoteReply } from '../core/outcome.js';
import { matchReply, type AuthRecord } from '../deliverability/reply-rules.js';
import { shippedReplies } from '../deliverability/shipped-tables.js';
import type { StatusText } from './status-text.js';

const RECORD_TEXT: Readonly<Record<AuthRecord, StatusText>> = {
  spf: {
    ja: '- SPF: 送信元ドメインの TXT レコード (v=spf1 …) に、このサーバーの IP アドレスが含まれている必要があります。',
    en: "- SPF: the sender domain's TXT record (v=spf1 …) must include this server's IP address.",
  },
  dkim: {
    ja: '- DKIM: 送信元ドメインの鍵で署名し、その公開鍵を DNS (セレクター._domainkey.ドメイン) に公開してください (hikyaku domain add ドメイン名)。',
    en: "- DKIM: sign with a key of the sender's domain and publish it in DNS (selector._domainkey.domain; hikyaku domain add DOMAIN).",
  },
  dmarc: {
    ja: '- DMARC: _dmarc.送信元ドメイン の TXT レコードを確認し、SPF か DKIM が From のドメインと一致して合格するようにしてください。',
    en: '- DMARC: check the TXT record at _dmarc.<sender domain>; SPF or DKIM must pass for the From domain itself (alignment).',
  },
  ptr: {
    ja: '- 逆引き (PTR): このサーバーの IP アドレスの逆引きをサーバーのホスト名に設定してください (VPS・クラウドの管理画面で設定します)。',
    en: "- Reverse DNS (PTR): set the reverse DNS of this server's IP address to its host name (at your hosting provider).",
  },
};

const INTRO: StatusText = {
  ja: '受信側は送信元ドメインの認証の不備を理由に拒否しました。次の DNS レコードを直してから送り直してください:',
  en: "The receiver refused the message because the sender's authentication is incomplete. Fix these DNS records, then send again:",
};

const OUTRO: StatusText = {
  ja: '`hikyaku doctor` で何が足りないかを確認できます。',
  en: '`hikyaku doctor` shows what is missing.',
};

/** The advice when the remote reply matches a reply-table row that names records to fix; undefined otherwise. */
export function authAdvice(remoteReply: RemoteReply | undefined): StatusText | undefined {
  if (remoteReply === undefined) return undefined;
  const rule = matchReply(shippedReplies(), remoteReply, undefined);
  if (rule?.fix === undefined || rule.fix.length === 0) return undefined;
  const lines = (lang: 'ja' | 'en'): string => [INTRO[lang], ...(rule.fix ?? []).map((r) => RECORD_TEXT[r][lang]), OUTRO[lang]].join('\n');
  return { ja: lines('ja'), en: lines('en') };
}
