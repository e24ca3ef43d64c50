// The Received trace field we prepend to every submitted message
// (RFC 5321 §4.4), Postfix-like so that people and tools reading headers find
// the familiar layout:
//
//   Received: from helo (client.example [192.0.2.1])
//   	(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)
//   	(authenticated sender)
//   	by mail.example.com (Hikyaku) with ESMTPSA id 01HX...
//   	for <rcpt@example.org>; Tue, 2 Jan 2024 09:04:05 +0900
//
// The TLS facts are a comment, as RFC 8314 §4.3 suggests recording the cipher
// in the Received field. The authenticated login is deliberately NOT written:
// RFC 5321 §7.6 warns that trace fields disclose information, and the login
// is half a credential (it may differ from the From address); the protocol
// name ESMTPSA (RFC 3848) and the "(authenticated sender)" comment already
// say that the client authenticated, and the log keeps the login.
import { isIPv4, isIPv6 } from 'node:net';
import type { Submitter } from '../core/envelope.js';
import { formatRfc5322Date } from './date.js';
import { sanitizeFieldText } from './fold.js';

export interface ReceivedInput {
  readonly hostname: string;
  readonly queueId: string;
  readonly nowMs: number;
  readonly submitter: Submitter;
  readonly rcptTo: readonly string[];
}

/** RFC 5321 §4.1.3 address literal: [192.0.2.1] or [IPv6:2001:db8::1]. */
export function addressLiteral(ip: string): string {
  // Node reports IPv4 clients of a dual-stack socket as IPv4-mapped IPv6.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const plain = mapped?.[1] ?? ip;
  if (isIPv4(plain)) return `[${plain}]`;
  if (isIPv6(plain)) return `[IPv6:${plain}]`;
  return '[unknown]';
}

/** Text that goes inside a comment: no parentheses or backslashes that would unbalance it. */
function commentText(text: string): string {
  const cleaned = sanitizeFieldText(text);
  return /[()\\]/.test(cleaned) ? cleaned.replace(/[()\\]/g, '?') : cleaned;
}

// What token() would change: white space (which sanitizeFieldText also
// trims), control characters, and the characters replaced by '?'.
const NOT_A_PLAIN_TOKEN = /[\s()\\;<>"\x00-\x1f\x7f]/;

/** A token that must stay one word (HELO name, protocol): anything odd becomes '?'. */
function token(text: string, fallback: string): string {
  const cleaned = NOT_A_PLAIN_TOKEN.test(text) ? sanitizeFieldText(text).replace(/[\s()\\;<>"]/g, '?') : text;
  return cleaned.length > 0 ? cleaned : fallback;
}

function tcpInfo(submitter: Submitter): string {
  const literal = addressLiteral(submitter.clientIp);
  const name = submitter.clientHostname.trim();
  // No name (we make no reverse lookup) or an odd one: then only the literal.
  if (name === '' || name.startsWith('[') || !/^[A-Za-z0-9.-]+$/.test(name)) return literal;
  return `${name} ${literal}`;
}

/**
 * The whole Received field, folded, ending with CRLF. `date` is
 * `formatRfc5322Date(input.nowMs)`, passed in when the caller has it already.
 */
export function receivedField(input: ReceivedInput, date = formatRfc5322Date(input.nowMs)): string {
  const { submitter } = input;
  const lines = [`Received: from ${token(submitter.helo, 'unknown')} (${tcpInfo(submitter)})`];
  if (submitter.tls) {
    lines.push(`(using ${commentText(submitter.tls.version)} with cipher ${commentText(submitter.tls.cipher)})`);
  }
  if (submitter.user !== undefined) lines.push('(authenticated sender)');
  lines.push(`by ${token(input.hostname, 'localhost')} (Hikyaku) with ${token(submitter.protocol, 'ESMTP')} id ${token(input.queueId, 'unknown')}`);
  // RFC 5321 §4.4: the FOR clause names the recipient only when there is exactly one,
  // so that the Bcc recipients of a multi-recipient message are not disclosed.
  const only = input.rcptTo.length === 1 ? input.rcptTo[0] : undefined;
  if (only !== undefined) {
    lines.push(`for <${sanitizeFieldText(only).replace(/[<>\s]/g, '?')}>; ${date}`);
  } else {
    lines[lines.length - 1] += `; ${date}`;
  }
  return lines.join('\r\n\t') + '\r\n';
}
