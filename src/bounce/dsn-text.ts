// The human-readable first part of a DSN (RFC 6522 §3: "a human-readable
// explanation"), Japanese first, then English. Plain text; the caller encodes it.
import { wireMailbox } from '../core/mailbox.js';
import { formatRfc5322Date } from '../message/date.js';
import { sanitizeFieldText } from '../message/fold.js';
import { authAdvice } from './auth-advice.js';
import { carrierAdvice } from './carrier-advice.js';
import { replyLine } from './delivery-status.js';
import { returnsFullMessage, type DsnInput, type DsnRecipient } from './dsn.js';
import { describeStatus } from './status-text.js';

export const SUBJECTS = {
  failure: 'Undelivered Mail Returned to Sender / 配信できなかったメール',
  delay: 'Delayed Mail (still being retried) / 配信遅延のお知らせ',
  success: 'Successful Mail Delivery Report / 配信完了のお知らせ',
} as const;

// What happened, for a success report's recipient (RFC 3464 §2.3.3 Action).
const SUCCESS_RESULT = {
  relayed: {
    ja: '宛先のメールサーバーに引き渡しました (このサーバーは配信完了の通知に対応していないため、これ以降の配信状況はわかりません)',
    en: 'Handed to the receiving mail server (it does not send delivery notifications, so what happens after this is not known)',
  },
  delivered: { ja: '配信しました', en: 'Delivered' },
} as const;

const RULE = '-'.repeat(64);

/** The recipient as a valid address: taro..yamada@docomo.ne.jp is shown as "taro..yamada"@docomo.ne.jp. */
function shownAddress(r: DsnRecipient): string {
  return `  <${sanitizeFieldText(wireMailbox(r.rcptTo))}>`;
}

/** Advice text, indented under its recipient. */
function adviceLines(text: string | undefined): string[] {
  return text === undefined ? [] : text.split('\n').map((l) => `    ${l}`);
}

function recipientJa(r: DsnRecipient): string[] {
  const status = describeStatus(r.status);
  const success = r.action === 'relayed' || r.action === 'delivered' ? SUCCESS_RESULT[r.action] : undefined;
  const lines = [shownAddress(r), success ? `    結果: ${success.ja} (${r.status})` : `    理由: ${status.ja} (${r.status})`];
  if (r.remoteReply) lines.push(`    宛先サーバーの応答: ${sanitizeFieldText(replyLine(r.remoteReply))}`);
  else if (r.detail) lines.push(`    詳細: ${sanitizeFieldText(r.detail)}`);
  if (r.remoteMta) lines.push(`    サーバー: ${sanitizeFieldText(r.remoteMta)}`);
  lines.push(...adviceLines(carrierAdvice(r.rcptTo, r.remoteReply)?.ja));
  lines.push(...adviceLines(authAdvice(r.remoteReply)?.ja));
  if (r.action === 'delayed' && r.willRetryUntilMs !== undefined) {
    lines.push(`    再試行の期限: ${formatRfc5322Date(r.willRetryUntilMs)}`);
  }
  return lines;
}

function recipientEn(r: DsnRecipient): string[] {
  const status = describeStatus(r.status);
  const success = r.action === 'relayed' || r.action === 'delivered' ? SUCCESS_RESULT[r.action] : undefined;
  const lines = [shownAddress(r), success ? `    Result: ${success.en} (${r.status})` : `    Reason: ${status.en} (${r.status})`];
  if (r.remoteReply) lines.push(`    The remote server said: ${sanitizeFieldText(replyLine(r.remoteReply))}`);
  else if (r.detail) lines.push(`    Detail: ${sanitizeFieldText(r.detail)}`);
  if (r.remoteMta) lines.push(`    Server: ${sanitizeFieldText(r.remoteMta)}`);
  lines.push(...adviceLines(carrierAdvice(r.rcptTo, r.remoteReply)?.en));
  lines.push(...adviceLines(authAdvice(r.remoteReply)?.en));
  if (r.action === 'delayed' && r.willRetryUntilMs !== undefined) {
    lines.push(`    Will retry until: ${formatRfc5322Date(r.willRetryUntilMs)}`);
  }
  return lines;
}

function japanese(input: DsnInput): string[] {
  const intro = {
    failure: [
      'お送りいただいたメールを、次の宛先に配信できませんでした。',
      'これらの宛先への配信はこれ以上試みません。宛先のアドレスなどを確認のうえ、',
      '必要であればもう一度送信してください。',
    ],
    delay: [
      'お送りいただいたメールは、次の宛先にまだ配信できていません。',
      '配信は自動的に再試行を続けますので、このメールを再送する必要はありません。',
      '期限までに配信できなかった場合は、あらためてお知らせします。',
    ],
    success: ['ご希望の配信完了のお知らせです。お送りいただいたメールは、次の宛先について配信を終えました。'],
  }[input.kind];
  return [
    `これは ${input.reportingMta} のメール配信システムからの自動通知です。`,
    '',
    ...intro,
    '',
    ...input.recipients.flatMap((r) => [...recipientJa(r), '']),
    returnsFullMessage(input) ? '元のメール全体をこの通知に添付しています。' : '元のメールのヘッダーをこの通知に添付しています (本文は含みません)。',
    `受付日時: ${formatRfc5322Date(input.arrivalDateMs)}`,
    `キュー ID: ${input.queueId}`,
  ];
}

function english(input: DsnInput): string[] {
  const intro = {
    failure: [
      'Your message could not be delivered to the recipients below.',
      'No further attempts will be made. Please check the addresses and',
      'send the message again if needed.',
    ],
    delay: [
      'Your message has not yet been delivered to the recipients below.',
      'Delivery will be retried automatically: there is no need to send it',
      'again. You will be told if it still cannot be delivered in time.',
    ],
    success: ['You asked to be told when your message was delivered: delivery to the recipients below is complete.'],
  }[input.kind];
  return [
    `This is an automatic message from the mail delivery system at ${input.reportingMta}.`,
    '',
    ...intro,
    '',
    ...input.recipients.flatMap((r) => [...recipientEn(r), '']),
    returnsFullMessage(input) ? 'Your whole message is attached.' : 'The headers of your message are attached (without the message body).',
    `Received: ${formatRfc5322Date(input.arrivalDateMs)}`,
    `Queue ID: ${input.queueId}`,
  ];
}

/** The explanation text, lines joined with CRLF, ending with CRLF. */
export function humanText(input: DsnInput): string {
  return [...japanese(input), '', RULE, '', ...english(input)].join('\r\n') + '\r\n';
}
