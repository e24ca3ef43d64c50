// What the history keeps from a message's header: Subject decoded to text
// (RFC 2047 encoded words, libmime), From and Message-ID as written, and the
// header block itself capped at 32 KiB so that a console can show the
// headers after the body has left the queue. Run when the gathered writes
// are committed, not while the client waits for its 250.
import libmime from 'libmime';
import { headerValue, splitHeader } from '../message/header-block.js';

export const MAX_HEADER_BYTES = 32 * 1024;

export interface HeaderSummary {
  readonly subject: string | undefined;
  readonly from: string | undefined;
  readonly messageId: string | undefined;
  readonly headers: string;
}

/**
 * The part of a message's header block the history can use: the whole block
 * up to a little over its cap (summarizeHeader cuts at a line end below it).
 * A view of `message`, not a copy.
 */
export function keptHeader(message: Buffer): Buffer {
  const { header } = splitHeader(message);
  return header.length <= MAX_HEADER_BYTES + 2 ? header : header.subarray(0, MAX_HEADER_BYTES + 2);
}

export function summarizeHeader(message: Buffer): HeaderSummary {
  const { header } = splitHeader(message);
  const subject = headerValue(header, 'subject');
  return {
    subject: subject === undefined ? undefined : decodeWords(subject),
    from: decodeOrUndefined(headerValue(header, 'from')),
    messageId: headerValue(header, 'message-id'),
    headers: cappedText(header),
  };
}

function decodeOrUndefined(value: string | undefined): string | undefined {
  return value === undefined ? undefined : decodeWords(value);
}

function decodeWords(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value; // an encoded word in a charset libmime does not know: shown as written
  }
}

/** The first 32 KiB, cut at a line end so that no field is shown half. */
function cappedText(header: Buffer): string {
  if (header.length <= MAX_HEADER_BYTES) return header.toString('utf8');
  const cut = header.lastIndexOf('\r\n', MAX_HEADER_BYTES - 2);
  return header.toString('utf8', 0, cut === -1 ? MAX_HEADER_BYTES : cut + 2);
}
