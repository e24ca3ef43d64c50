// Delivery Status Notifications (RFC 3464) for failed and delayed recipients,
// packaged as multipart/report (RFC 6522):
//   1. text/plain, the explanation in Japanese then English (dsn-text.ts)
//   2. message/delivery-status, the machine-readable report (delivery-status.ts)
//   3. text/rfc822-headers, the original header block only: the RET=HDRS
//      behaviour (RFC 3461 §4.3), and the default, so a bounce does not re-send
//      the whole message unless asked; with RET=FULL a failure report returns
//      the whole message as message/rfc822, up to FULL_RETURN_LIMIT octets
//      (like Postfix's bounce_size_limit), else its headers.
// Kinds: failure (Action: failed), delay (delayed) and success (relayed or
// delivered, RFC 3461 NOTIFY=SUCCESS); success and delay reports always carry
// the headers only (RFC 3461 §4.3: RET is about failure reports).
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
  readonly action: 'failed' | 'delayed' | 'relayed' | 'delivered';
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

/** Largest original message a RET=FULL failure report returns whole (Postfix's bounce_size_limit). */
export const FULL_RETURN_LIMIT = 50_000;

export type DsnKind = 'failure' | 'delay' | 'success';

export interface DsnInput {
  readonly kind: DsnKind;
  /** RFC 3461 §4.3; FULL returns the whole message in a failure report (within FULL_RETURN_LIMIT). */
  readonly ret?: 'FULL' | 'HDRS' | undefined;
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
/** Whether this report returns the whole message (RET=FULL, a failure, within the limit). */
export function returnsFullMessage(input: Pick<DsnInput, 'kind' | 'ret' | 'originalMessage'>): boolean {
  return input.kind === 'failure' && input.ret === 'FULL' && input.originalMessage.length <= FULL_RETURN_LIMIT;
}

/** The whole original message as a message/rfc822 part (8bit when it is not ASCII: RFC 6152 lets it travel so). */
function fullPart(originalMessage: Buffer): { encoding: string; content: string } {
  const text = toCrlf(originalMessage).toString('utf8');
  const content = text.endsWith('\r\n') ? text : text + '\r\n';
  return { encoding: /^[\x00-\x7f]*$/.test(content) ? '7bit' : '8bit', content };
}

const DESCRIPTIONS: Readonly<Record<DsnKind, string>> = {
  failure: 'Undelivered Message',
  delay: 'Delayed Message',
  success: 'Relayed Message',
};

export function buildDsn(input: DsnInput): { envelope: Envelope; message: Buffer } {
  if (input.originalMailFrom === '') throw new Error('refusing to build a DSN for a message with a null reverse-path');
  if (input.recipients.length === 0) throw new Error('a DSN needs at least one recipient');
  const human = base64.wrap(base64.encode(Buffer.from(humanText(input), 'utf8')), 76);
  const report = deliveryStatusBody(input);
  const full = returnsFullMessage(input);
  const headers = full ? fullPart(input.originalMessage) : headersPart(input.originalMessage);
  let boundary = newBoundary();
  // A random 96-bit boundary cannot realistically collide, but the check is cheap.
  while (human.includes(boundary) || report.includes(boundary) || headers.content.includes(boundary)) boundary = newBoundary();
  const description = full ? DESCRIPTIONS[input.kind] : `${DESCRIPTIONS[input.kind]} Headers`;
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
    full ? 'Content-Type: message/rfc822\r\n' : 'Content-Type: text/rfc822-headers\r\n',
    `Content-Description: ${description}\r\n`,
    `Content-Transfer-Encoding: ${headers.encoding}\r\n`,
    '\r\n',
    headers.content,
    `\r\n--${boundary}--\r\n`,
  ].join('');
  return {
    // RFC 6531: a report to an internationalised address needs SMTPUTF8 on its way.
    envelope: { mailFrom: '', rcptTo: [input.originalMailFrom], ...(/[^\x00-\x7f]/.test(input.originalMailFrom) ? { params: { smtputf8: true } } : {}) },
    message: Buffer.from(message, 'utf8'),
  };
}
