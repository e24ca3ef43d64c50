// Delivery Status Notifications (RFC 3464) for failed and delayed recipients,
// packaged as multipart/report (RFC 6522):
//   1. text/plain, the explanation in Japanese then English (dsn-text.ts)
//   2. message/delivery-status, the machine-readable report (delivery-status.ts)
//   3. text/rfc822-headers, the original header block only: the RET=HDRS
//      behaviour (RFC 3461 §4.3), so a bounce never re-sends the whole message.
// Built from per-recipient outcome records, never from re-parsed strings.
import { randomBytes } from 'node:crypto';
import libmime from 'libmime';
import * as base64 from 'nodemailer/lib/base64/index.js';
import * as qp from 'nodemailer/lib/qp/index.js';
import type { Envelope } from '../core/envelope.js';
import { wireMailbox } from '../core/mailbox.js';
import type { RemoteReply } from '../core/outcome.js';
import { toCrlf } from '../message/canonical.js';
import { formatRfc5322Date } from '../message/date.js';
import { foldField, MAX_LINE_OCTETS, sanitizeFieldText } from '../message/fold.js';
import { splitHeader } from '../message/header-block.js';
import { newMessageId } from '../message/submission-headers.js';
import { deliveryStatusBody } from './delivery-status.js';
import { humanText, SUBJECTS } from './dsn-text.js';

export interface DsnRecipient {
  /** Final-Recipient: rfc822; <rcptTo>. */
  readonly rcptTo: string;
  /** RFC 3461 ORCPT as "type;address" (xtext-decoded), when the client gave one. */
  readonly originalRecipient?: string | undefined;
  readonly action: 'failed' | 'delayed';
  /** RFC 3463 status, e.g. "5.1.1". */
  readonly status: string;
  /** Remote-MTA: dns; <name>. */
  readonly remoteMta: string | undefined;
  /** Diagnostic-Code: smtp; 550 5.1.1 User unknown. */
  readonly remoteReply: RemoteReply | undefined;
  /** Diagnostic-Code: X-Hikyaku; <detail>, when there is no remote reply. */
  readonly detail: string;
  readonly lastAttemptAtMs: number | undefined;
  /** Will-Retry-Until, for delayed recipients. */
  readonly willRetryUntilMs?: number;
}

export interface DsnInput {
  readonly kind: 'failure' | 'delay';
  /** Our hostname. */
  readonly reportingMta: string;
  /** Shown as X-Hikyaku-Queue-ID (like Postfix's X-Postfix-Queue-ID). */
  readonly queueId: string;
  /** Original-Envelope-Id: the RFC 3461 ENVID, xtext-decoded. */
  readonly envId: string | undefined;
  readonly arrivalDateMs: number;
  /** The reverse-path of the original message: the DSN goes there. */
  readonly originalMailFrom: string;
  /** The original message; only its header block is returned. */
  readonly originalMessage: Buffer;
  readonly recipients: readonly DsnRecipient[];
  readonly nowMs: number;
  /** From address; default MAILER-DAEMON@reportingMta. */
  readonly postmaster?: string;
}

function newBoundary(): string {
  return `=_hikyaku_${randomBytes(12).toString('hex')}`;
}

/** The original header block as a text/rfc822-headers part, 7bit when it can be, else quoted-printable. */
function headersPart(originalMessage: Buffer): { encoding: string; content: string } {
  const { header } = splitHeader(toCrlf(originalMessage));
  const text = header.toString('latin1');
  const sevenBit = /^[\x00-\x7f]*$/.test(text) && text.split('\r\n').every((l) => l.length <= MAX_LINE_OCTETS);
  // 8-bit (RFC 6532 UTF-8) or over-long header lines would make the whole
  // report 8-bit or illegal; quoted-printable keeps it 7-bit and readable.
  const content = sevenBit ? text : qp.wrap(qp.encode(header), 76);
  // The part's content ends with a line break; the CRLF before the next
  // boundary belongs to the boundary (RFC 2046 §5.1.1).
  const terminated = content === '' || content.endsWith('\r\n') ? content : content + '\r\n';
  return { encoding: sevenBit ? '7bit' : 'quoted-printable', content: terminated };
}

function topHeaders(input: DsnInput, boundary: string): string {
  const from = input.postmaster ?? `MAILER-DAEMON@${input.reportingMta}`;
  // RFC 2047 encoded words for the Japanese half of the subject; 'B' keeps them short.
  const subject = libmime.encodeWords(SUBJECTS[input.kind], 'B', 52);
  return [
    foldField('From', `Mail Delivery System <${sanitizeFieldText(from)}>`),
    // RFC 5322 §3.4.1 addr-spec: a legacy carrier sender (taro..yamada@…) is written quoted.
    foldField('To', `<${sanitizeFieldText(wireMailbox(input.originalMailFrom))}>`),
    foldField('Subject', subject),
    `Date: ${formatRfc5322Date(input.nowMs)}\r\n`,
    `Message-ID: ${newMessageId(`${input.queueId}.dsn`, input.reportingMta)}\r\n`,
    // RFC 3834 §5: mark it automatic so that no auto-responder answers it.
    'Auto-Submitted: auto-replied\r\n',
    'MIME-Version: 1.0\r\n',
    `Content-Type: multipart/report; report-type=delivery-status;\r\n boundary="${boundary}"\r\n`,
  ].join('');
}

/**
 * Build a DSN for the given recipients of one message. The envelope has the
 * null reverse-path (RFC 5321 §4.5.5, RFC 3464 §2) and the original sender as
 * its one recipient. Throws when the original sender is the null reverse-path:
 * a bounce is never bounced (RFC 3464 §2, RFC 5321 §6.1).
 */
export function buildDsn(input: DsnInput): { envelope: Envelope; message: Buffer } {
  if (input.originalMailFrom === '') throw new Error('refusing to build a DSN for a message with a null reverse-path');
  if (input.recipients.length === 0) throw new Error('a DSN needs at least one recipient');
  const human = base64.wrap(base64.encode(Buffer.from(humanText(input), 'utf8')), 76);
  const report = deliveryStatusBody(input);
  const headers = headersPart(input.originalMessage);
  let boundary = newBoundary();
  // A random 96-bit boundary cannot realistically collide, but the check is cheap.
  while (human.includes(boundary) || report.includes(boundary) || headers.content.includes(boundary)) boundary = newBoundary();
  const description = input.kind === 'failure' ? 'Undelivered Message Headers' : 'Delayed Message Headers';
  const message = [
    topHeaders(input, boundary),
    '\r\n',
    'This is a MIME-encapsulated message.\r\n',
    `\r\n--${boundary}\r\n`,
    'Content-Type: text/plain; charset=utf-8\r\n',
    'Content-Description: Notification\r\n',
    'Content-Transfer-Encoding: base64\r\n',
    '\r\n',
    human,
    `\r\n\r\n--${boundary}\r\n`,
    'Content-Type: message/delivery-status\r\n',
    'Content-Description: Delivery report\r\n',
    '\r\n',
    report,
    `\r\n--${boundary}\r\n`,
    'Content-Type: text/rfc822-headers\r\n',
    `Content-Description: ${description}\r\n`,
    `Content-Transfer-Encoding: ${headers.encoding}\r\n`,
    '\r\n',
    headers.content,
    `\r\n--${boundary}--\r\n`,
  ].join('');
  return {
    envelope: { mailFrom: '', rcptTo: [input.originalMailFrom] },
    message: Buffer.from(message, 'utf8'),
  };
}
