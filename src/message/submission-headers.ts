// What a Message Submission Agent adds to a submitted message (RFC 6409 §8):
// our Received trace field on top, and Date / Message-ID when the client left
// them out. Works on the header block bytes only; the body is copied once,
// into the output buffer.
import { randomIdBytes } from '../core/random-pool.js';
import type { Submitter } from '../core/envelope.js';
import { formatRfc5322Date } from './date.js';
import { headerFieldNames, splitHeader } from './header-block.js';
import { receivedField } from './received.js';

export { formatRfc5322Date } from './date.js';

export interface SubmissionStamp {
  /** Our hostname. */
  readonly hostname: string;
  readonly queueId: string;
  readonly nowMs: number;
  readonly submitter: Submitter;
  /** The 'for <x>' clause appears only when there is exactly one recipient (RFC 5321 §4.4). */
  readonly rcptTo: readonly string[];
}

/** <queueId.random@hostname>: unique even if a queue id were reused across nodes. */
export function newMessageId(queueId: string, hostname: string): string {
  return `<${queueId}.${randomIdBytes(6).toString('hex')}@${hostname}>`;
}

/**
 * The message with a Received field prepended, and Date (RFC 6409 §8.2) and
 * Message-ID (RFC 6409 §8.3) appended to the header block when missing.
 * Input and output use CRLF line endings.
 */
export function stampSubmittedMessage(message: Buffer, stamp: SubmissionStamp): Buffer {
  const { header } = splitHeader(message);
  const names = headerFieldNames(header);
  let added = '';
  if (!names.has('date')) added += `Date: ${formatRfc5322Date(stamp.nowMs)}\r\n`;
  if (!names.has('message-id')) added += `Message-ID: ${newMessageId(stamp.queueId, stamp.hostname)}\r\n`;
  const received = Buffer.from(receivedField(stamp), 'utf8');
  // The rest of the message (empty line and body) is taken as it is, by view.
  const rest = message.subarray(header.length);
  if (added === '') return Buffer.concat([received, message]);
  // A header block without a final CRLF (a message of only header lines and
  // no trailing line break) needs one before our fields.
  const needsCrlf = header.length > 0 && !(header[header.length - 2] === 0x0d && header[header.length - 1] === 0x0a);
  const addedBuf = Buffer.from((needsCrlf ? '\r\n' : '') + added, 'utf8');
  return Buffer.concat([received, header, addedBuf, rest], received.length + header.length + addedBuf.length + rest.length);
}
