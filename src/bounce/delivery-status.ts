// The machine-readable part of a DSN: the body of message/delivery-status
// (RFC 3464 §2). It must be 7-bit text (RFC 3464 §2.1: message/delivery-status
// is a 7bit "header-like" format), so everything taken from outside (reply
// text, addresses, details) is reduced to printable US-ASCII here.
import { parseMailbox, wireLocalPart, wireMailbox } from '../core/mailbox.js';
import type { RemoteReply } from '../core/outcome.js';
import { formatRfc5322Date } from '../message/date.js';
import { foldField, sanitizeFieldText } from '../message/fold.js';
import type { DsnInput, DsnRecipient } from './dsn.js';

const STATUS = /^[245]\.\d{1,3}\.\d{1,3}$/;

/** Printable US-ASCII only: controls become spaces or '?', other characters '?'. */
export function asciiText(text: string): string {
  return sanitizeFieldText(text).replace(/[^\x20-\x7e]/gu, '?');
}

/**
 * An address with its RFC 3464 address type. ASCII addresses are "rfc822";
 * an internationalised address uses the "utf-8" type with non-ASCII and
 * special characters written as \x{HEX} (RFC 6533 §3, utf-8-addr-xtext),
 * which keeps this part 7-bit.
 */
export function typedAddress(address: string): string {
  // Stored addresses keep the client's spelling; the report needs valid
  // syntax, so taro..yamada@docomo.ne.jp becomes "taro..yamada"@docomo.ne.jp.
  const clean = sanitizeFieldText(wireMailbox(address));
  if (/^[\x21-\x7e]*$/.test(clean)) return `rfc822; ${clean}`;
  let out = '';
  for (const ch of clean) {
    const cp = ch.codePointAt(0) ?? 0x3f;
    // QCHAR excludes '+', '=' and '\\' besides non-ASCII (RFC 6533 §3).
    const plain = cp >= 0x21 && cp <= 0x7e && ch !== '+' && ch !== '=' && ch !== '\\';
    out += plain ? ch : `\\x{${cp.toString(16).toUpperCase()}}`;
  }
  return `utf-8; ${out}`;
}

/** ORCPT as the client gave it, "type;address" (RFC 3461 §4.2, xtext already decoded). */
function originalRecipient(orcpt: string): string {
  const semi = orcpt.indexOf(';');
  if (semi <= 0) return typedAddress(orcpt);
  const type = orcpt.slice(0, semi).trim();
  const address = orcpt.slice(semi + 1).trim();
  // RFC 3464 §2.3.1: the ORCPT as given, but an rfc822 address in valid syntax (as Final-Recipient is).
  const valid = type.toLowerCase() === 'rfc822' ? quotedIfNeeded(address) : address;
  return `${asciiText(type)}; ${asciiText(valid)}`;
}

/** The address as given, except that an unquoted local part that needs quotes (taro..yamada) gets them. */
function quotedIfNeeded(address: string): string {
  const parsed = parseMailbox(address);
  if (!parsed.ok || parsed.form === 'dot-string' || address.startsWith('"')) return address;
  return `${wireLocalPart(parsed.local)}${address.slice(address.lastIndexOf('@'))}`;
}

/** The reply as one line: "550 5.1.1 User unknown" (multi-line replies joined by spaces). */
export function replyLine(reply: RemoteReply): string {
  // Servers repeat the enhanced code on every line of a multi-line reply
  // (RFC 2034 §4); say it once, in front.
  const prefix = reply.enhanced === undefined ? undefined : `${reply.enhanced} `;
  const text = reply.text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .map((l) => (prefix !== undefined && l.startsWith(prefix) ? l.slice(prefix.length) : l))
    .filter((l) => l.length > 0)
    .join(' ');
  return [String(reply.code), reply.enhanced, text].filter((p) => p).join(' ');
}

/**
 * The host name for Remote-MTA ("dns" type, RFC 3464 §2.3.5). Delivery code
 * may record "mx.example.com [192.0.2.1]" or "mx.example.com[192.0.2.1]":
 * keep the name, or the address when there is no name.
 */
export function remoteMtaName(remoteMta: string): string {
  const first = asciiText(remoteMta).split(' ')[0] ?? '';
  const bracket = first.indexOf('[');
  return bracket > 0 ? first.slice(0, bracket) : first;
}

/** A valid RFC 3463 code, or the generic one for the action (a bad code must not cost the sender the report). */
export function statusFor(recipient: DsnRecipient): string {
  if (STATUS.test(recipient.status)) return recipient.status;
  return recipient.action === 'delayed' ? '4.0.0' : recipient.action === 'failed' ? '5.0.0' : '2.0.0';
}

function diagnosticCode(r: DsnRecipient): string {
  // RFC 3464 §2.3.6: "smtp" when the text is an SMTP reply; our own detail
  // uses a private diagnostic type ("X-" prefix, RFC 3464 §2.3.6 / §7).
  if (r.remoteReply) return `smtp; ${asciiText(replyLine(r.remoteReply))}`;
  return `X-Hikyaku; ${asciiText(r.detail) || 'unknown error'}`;
}

function recipientFields(r: DsnRecipient): string {
  // Field order follows the per-recipient-fields ABNF of RFC 3464 §2.3.
  let out = '';
  if (r.originalRecipient !== undefined) out += foldField('Original-Recipient', originalRecipient(r.originalRecipient));
  out += foldField('Final-Recipient', typedAddress(r.rcptTo));
  out += `Action: ${r.action}\r\n`;
  out += `Status: ${statusFor(r)}\r\n`;
  const mta = r.remoteMta === undefined ? '' : remoteMtaName(r.remoteMta);
  if (mta) out += foldField('Remote-MTA', `dns; ${mta}`);
  out += foldField('Diagnostic-Code', diagnosticCode(r));
  if (r.lastAttemptAtMs !== undefined) out += `Last-Attempt-Date: ${formatRfc5322Date(r.lastAttemptAtMs)}\r\n`;
  if (r.action === 'delayed' && r.willRetryUntilMs !== undefined) {
    out += `Will-Retry-Until: ${formatRfc5322Date(r.willRetryUntilMs)}\r\n`;
  }
  return out;
}

/** The whole message/delivery-status body, CRLF line endings, ending with CRLF. */
export function deliveryStatusBody(input: DsnInput): string {
  // Per-message fields in the order of RFC 3464 §2.2, extension field last.
  let out = '';
  if (input.envId !== undefined && input.envId !== '') out += foldField('Original-Envelope-Id', asciiText(input.envId));
  out += foldField('Reporting-MTA', `dns; ${asciiText(input.reportingMta)}`);
  out += `Arrival-Date: ${formatRfc5322Date(input.arrivalDateMs)}\r\n`;
  out += foldField('X-Hikyaku-Queue-ID', asciiText(input.queueId));
  // Each per-recipient group is preceded by a blank line (RFC 3464 §2.1).
  for (const r of input.recipients) out += '\r\n' + recipientFields(r);
  return out;
}
