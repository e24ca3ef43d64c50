// Advice for a bounce to a legacy Japanese mobile-carrier address. Until
// 2009 docomo and au let subscribers choose addresses that break the RFC 5321
// Dot-string (taro..yamada@docomo.ne.jp, hanako.@ezweb.ne.jp). We send them
// quoted, which is valid, but many receiving servers still refuse them; the
// only lasting fix is a new address, so when a carrier refuses one (5xx) the
// DSN says so in plain words instead of leaving the sender to guess.
import { parseMailbox } from '../core/mailbox.js';
import type { RemoteReply } from '../core/outcome.js';
import type { StatusText } from './status-text.js';

/** The carriers' mail domains; each covers its subdomains too (biz.ezweb.ne.jp, d.vodafone.ne.jp …). */
const CARRIER_DOMAINS: readonly string[] = [
  'docomo.ne.jp', // NTT docomo
  'mopera.net', // docomo's ISP service
  'ezweb.ne.jp', // au (KDDI), the old domain
  'au.com', // au (KDDI), since 2017
  'uqmobile.jp', // UQ mobile (KDDI)
  'softbank.ne.jp', // SoftBank
  'i.softbank.jp', // SoftBank iPhone
  'vodafone.ne.jp', // SoftBank, ex-Vodafone (x.vodafone.ne.jp)
  'disney.ne.jp', // Disney Mobile (SoftBank)
  'ymobile.ne.jp', // Y!mobile
  'y-mobile.ne.jp', // Y!mobile, the old domain
  'emnet.ne.jp', // EMOBILE
  'willcom.com', // WILLCOM
  'pdx.ne.jp', // WILLCOM, the old domain (xx.pdx.ne.jp)
];

export function isCarrierDomain(domain: string): boolean {
  return CARRIER_DOMAINS.some((d) => domain === d || domain.endsWith(`.${d}`));
}

const ADVICE: StatusText = {
  ja: [
    'このアドレスはメールの規格 (RFC 5321) に合わない形式です',
    '(「.」が続いている、または先頭か @ の直前に「.」がある)。',
    'このような形式のアドレスは多くのメールサーバーで受け取れません。',
    '宛先の方に、携帯電話会社で新しいメールアドレスを登録 (変更) するよう',
    'お伝えください。',
  ].join('\n'),
  en: [
    'This address breaks the mail standard (RFC 5321): it has two dots in a',
    'row, or a dot at the start or just before the "@". Many mail servers',
    'refuse such addresses. Please ask the recipient to register a new',
    'address with their mobile carrier.',
  ].join('\n'),
};

/**
 * The advice for a recipient, when it applies: a carrier domain refused
 * (5xx) an address whose local part is not a Dot-string only because of
 * its dots — the pre-2009 carrier form.
 */
export function carrierAdvice(rcptTo: string, remoteReply: RemoteReply | undefined): StatusText | undefined {
  if (remoteReply === undefined || remoteReply.code < 500 || remoteReply.code > 599) return undefined;
  const parsed = parseMailbox(rcptTo);
  if (!parsed.ok || parsed.form !== 'legacy-dots' || !isCarrierDomain(parsed.domain)) return undefined;
  return ADVICE;
}
