// The human-readable first part of a DSN (RFC 6522 §3: "a human-readable
// explanation"), Japanese first, then English. Plain text; the caller encodes it.
import { wireMailbox } from '../core/mailbox.js';
import { formatRfc5322Date } from '../message/date.js';
import { sanitizeFieldText } from '../message/fold.js';
import { carrierAdvice } from './carrier-advice.js';
import { replyLine } from './delivery-status.js';
import type { DsnInput, DsnRecipient } from './dsn.js';
import { describeStatus } from './status-text.js';

export const SUBJECTS = {
  failure: 'Undelivered Mail Returned to Sender / 配信できなかったメール',
  delay: 'Delayed Mail (still being retried) / 配信遅延のお知らせ',
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
  const lines = [shownAddress(r), `    理由: ${status.ja} (${r.status})`];
  if (r.remoteReply) lines.push(`    宛先サーバーの応答: ${sanitizeFieldText(replyLine(r.remoteReply))}`);
  else if (r.detail) lines.push(`    詳細: ${sanitizeFieldText(r.detail)}`);
  if (r.remoteMta) lines.push(`    サーバー: ${sanitizeFieldText(r.remoteMta)}`);
  lines.push(...adviceLines(carrierAdvice(r.rcptTo, r.remoteReply)?.ja));
  if (r.action === 'delayed' && r.willRetryUntilMs !== undefined) {
    lines.push(`    再試行の期限: ${formatRfc5322Date(r.willRetryUntilMs)}`);
  }
  return lines;
}

function recipientEn(r: DsnRecipient): string[] {
  const status = describeStatus(r.status);
  const lines = [shownAddress(r), `    Reason: ${status.en} (${r.status})`];
  if (r.remoteReply) lines.push(`    The remote server said: ${sanitizeFieldText(replyLine(r.remoteReply))}`);
  else if (r.detail) lines.push(`    Detail: ${sanitizeFieldText(r.detail)}`);
  if (r.remoteMta) lines.push(`    Server: ${sanitizeFieldText(r.remoteMta)}`);
  lines.push(...adviceLines(carrierAdvice(r.rcptTo, r.remoteReply)?.en));
  if (r.action === 'delayed' && r.willRetryUntilMs !== undefined) {
    lines.push(`    Will retry until: ${formatRfc5322Date(r.willRetryUntilMs)}`);
  }
  return lines;
}

function japanese(input: DsnInput): string[] {
  const intro =
    input.kind === 'failure'
      ? [
          'お送りいただいたメールを、次の宛先に配信できませんでした。',
          'これらの宛先への配信はこれ以上試みません。宛先のアドレスなどを確認のうえ、',
          '必要であればもう一度送信してください。',
        ]
      : [
          'お送りいただいたメールは、次の宛先にまだ配信できていません。',
          '配信は自動的に再試行を続けますので、このメールを再送する必要はありません。',
          '期限までに配信できなかった場合は、あらためてお知らせします。',
        ];
  return [
    `これは ${input.reportingMta} のメール配信システムからの自動通知です。`,
    '',
    ...intro,
    '',
    ...input.recipients.flatMap((r) => [...recipientJa(r), '']),
    '元のメールのヘッダーをこの通知に添付しています (本文は含みません)。',
    `受付日時: ${formatRfc5322Date(input.arrivalDateMs)}`,
    `キュー ID: ${input.queueId}`,
  ];
}

function english(input: DsnInput): string[] {
  const intro =
    input.kind === 'failure'
      ? [
          'Your message could not be delivered to the recipients below.',
          'No further attempts will be made. Please check the addresses and',
          'send the message again if needed.',
        ]
      : [
          'Your message has not yet been delivered to the recipients below.',
          'Delivery will be retried automatically: there is no need to send it',
          'again. You will be told if it still cannot be delivered in time.',
        ];
  return [
    `This is an automatic message from the mail delivery system at ${input.reportingMta}.`,
    '',
    ...intro,
    '',
    ...input.recipients.flatMap((r) => [...recipientEn(r), '']),
    "The headers of your message are attached (without the message body).",
    `Received: ${formatRfc5322Date(input.arrivalDateMs)}`,
    `Queue ID: ${input.queueId}`,
  ];
}

/** The explanation text, lines joined with CRLF, ending with CRLF. */
export function humanText(input: DsnInput): string {
  return [...japanese(input), '', RULE, '', ...english(input)].join('\r\n') + '\r\n';
}
