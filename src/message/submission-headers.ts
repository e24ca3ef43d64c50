// What a Message Submission Agent adds to a submitted message (RFC 6409 §8):
// our Received trace field on top, and Date / Message-ID when the client left
// them out. Works on the header block bytes only; the body is copied once,
// into the output buffer, which is allocated once at its final size.
import { randomIdBytes } from '../core/random-pool.js';
import type { Submitter } from '../core/envelope.js';
import { formatRfc5322Date } from './date.js';
import { findField, scanHeader, type HeaderScan } from './header-block.js';
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
  return stampScannedMessage(message, scanHeader(message), stamp);
}

/** The same as `stampSubmittedMessage`, from a scan of `message` already made. */
export function stampScannedMessage(message: Buffer, scan: HeaderScan, stamp: SubmissionStamp): Buffer {
  const date = formatRfc5322Date(stamp.nowMs);
  let added = '';
  if (findField(message, scan, 'date') === -1) added += `Date: ${date}\r\n`;
  if (findField(message, scan, 'message-id') === -1) added += `Message-ID: ${newMessageId(stamp.queueId, stamp.hostname)}\r\n`;
  const received = receivedField(stamp, date);
  const { headerEnd } = scan;
  // A header block without a final CRLF (a message of only header lines and
  // no trailing line break) needs one before our fields.
  if (added !== '' && headerEnd > 0 && !(message[headerEnd - 2] === 0x0d && message[headerEnd - 1] === 0x0a)) added = '\r\n' + added;
  const receivedBytes = Buffer.byteLength(received, 'utf8');
  const addedBytes = Buffer.byteLength(added, 'utf8');
  const out = Buffer.allocUnsafe(receivedBytes + message.length + addedBytes);
  out.write(received, 0, 'utf8');
  message.copy(out, receivedBytes, 0, headerEnd);
  out.write(added, receivedBytes + headerEnd, 'utf8');
  // The rest of the message (empty line and body) follows our fields.
  message.copy(out, receivedBytes + headerEnd + addedBytes, headerEnd);
  return out;
}
