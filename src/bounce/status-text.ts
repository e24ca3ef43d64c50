// Plain-language explanations of RFC 3463 enhanced status codes for the human
// part of a DSN, in Japanese and English. Specific codes first, then the
// subject (second number), then the class: every valid code gets some text.

export interface StatusText {
  readonly ja: string;
  readonly en: string;
}

// Keyed by "subject.detail"; the class (2/4/5) is judged separately.
const DETAIL: Readonly<Record<string, StatusText>> = {
  '1.1': { ja: '宛先のメールアドレスが存在しません', en: 'The recipient address does not exist' },
  '1.2': { ja: '宛先のドメインが見つかりません', en: 'The recipient domain could not be found' },
  '1.3': { ja: '宛先のメールアドレスの書式が正しくありません', en: 'The recipient address is not valid' },
  '1.6': { ja: '宛先のメールアドレスは移転しました', en: 'The recipient has moved' },
  // RFC 7505 §4.2: the domain publishes a null MX.
  '1.10': { ja: '宛先のドメインはメールを受け付けていません', en: 'The recipient domain does not accept mail' },
  '2.1': { ja: '宛先のメールボックスは受信を停止しています', en: "The recipient's mailbox is disabled" },
  '2.2': { ja: '宛先のメールボックスが満杯です', en: "The recipient's mailbox is full" },
  '2.3': { ja: 'メールのサイズが宛先の上限を超えています', en: 'The message is larger than the recipient accepts' },
  '3.4': { ja: 'メールのサイズが宛先のサーバーの上限を超えています', en: 'The message is larger than the receiving server accepts' },
  '4.1': { ja: '宛先のサーバーから応答がありません', en: 'The receiving server did not answer' },
  '4.2': { ja: '宛先のサーバーとの接続が途中で切れました', en: 'The connection to the receiving server was lost' },
  '4.3': { ja: '宛先を調べるための DNS の問い合わせに失敗しました', en: 'The DNS lookup for the recipient domain failed' },
  '4.4': { ja: '宛先のサーバーが見つかりません', en: 'No server could be found for the recipient domain' },
  '4.7': { ja: '配信の期限を過ぎたため、配信をあきらめました', en: 'The message could not be delivered in time and has expired' },
  // RFC 6531 §3.5 / RFC 3463 X.6.7: the next hop does not offer SMTPUTF8.
  '6.7': {
    ja: '宛先のメールサーバーが国際化メールアドレス (日本語などを含むアドレス、SMTPUTF8) を受け付けられません',
    en: 'The receiving mail server cannot accept internationalised (non-ASCII) email addresses (no SMTPUTF8 support)',
  },
  '7.1': { ja: '宛先のサーバーがポリシーによりメールを拒否しました', en: 'The receiving server refused the message by policy' },
  // RFC 3463 X.7.5 "Cryptographic failure": TLS or the certificate (MTA-STS enforce, required TLS).
  '7.5': {
    ja: '宛先のサーバーと安全な TLS 接続を確立できませんでした (証明書が無効、または TLS に非対応)',
    en: 'A secure TLS connection to the receiving server could not be established (invalid certificate, or no TLS)',
  },
  // RFC 8689 §5: REQUIRETLS and no verified TLS to the next hop.
  '7.10': {
    ja: '送信者が TLS 必須 (REQUIRETLS) を指定しましたが、宛先のサーバーと証明書を検証できる TLS 接続を確立できなかったため、送信しませんでした',
    en: 'The sender required TLS (REQUIRETLS), but no TLS connection with a verified certificate could be made to the receiving server, so the message was not sent',
  },
  // RFC 8689 §5: REQUIRETLS and a next hop that does not offer it.
  '7.30': {
    ja: '送信者が TLS 必須 (REQUIRETLS) を指定しましたが、宛先のサーバーが REQUIRETLS に対応していないため、送信しませんでした',
    en: 'The sender required TLS (REQUIRETLS), but the receiving server does not support REQUIRETLS, so the message was not sent',
  },
};

const SUBJECT: Readonly<Record<string, StatusText>> = {
  '1': { ja: '宛先のアドレスに問題があります', en: 'There is a problem with the recipient address' },
  '2': { ja: '宛先のメールボックスに問題があります', en: "There is a problem with the recipient's mailbox" },
  '3': { ja: '宛先のメールシステムに問題があります', en: 'There is a problem with the receiving mail system' },
  '4': { ja: '宛先までのネットワークまたは経路に問題があります', en: 'There is a network or routing problem' },
  '5': { ja: '宛先のサーバーとの通信で問題が起きました', en: 'There was a problem in the mail protocol exchange' },
  '6': { ja: 'メールの内容に問題があります', en: 'There is a problem with the message content' },
  '7': { ja: 'セキュリティまたはポリシーの理由で拒否されました', en: 'The message was refused for security or policy reasons' },
};

const CLASS: Readonly<Record<string, StatusText>> = {
  '4': { ja: '一時的な問題で配信できていません', en: 'A temporary problem prevented delivery' },
  '5': { ja: '恒久的な問題で配信できませんでした', en: 'A permanent problem prevented delivery' },
  '2': { ja: '配信されました', en: 'Delivered' },
};

const UNKNOWN: StatusText = { ja: '原因不明の問題で配信できませんでした', en: 'Delivery failed for an unknown reason' };

export function describeStatus(status: string): StatusText {
  const m = /^([245])\.(\d{1,3})\.(\d{1,3})$/.exec(status);
  if (!m) return UNKNOWN;
  const [, cls = '', subject = '', detail = ''] = m;
  return DETAIL[`${subject}.${detail}`] ?? SUBJECT[subject] ?? CLASS[cls] ?? UNKNOWN;
}
