// Bulk mail's one-click unsubscribe (RFC 8058), added at intake before the
// DKIM signature so that both fields are signed (Gmail and Yahoo require it
// of bulk senders since 2024, and ignore an unsigned List-Unsubscribe-Post).
//
// A message is bulk when the API says so (`bulk: true`) or when it carries
// `X-Hikyaku-Bulk: yes`: the marker is ours, so it is removed before the
// message leaves. A message that already has a List-Unsubscribe field keeps
// it untouched: the application runs its own list.
import { BULK_MARKER, withoutFields } from '../message/bulk-marker.js';
import { fieldIndexes, scanHeader } from '../message/header-block.js';

export interface BulkRewrite {
  readonly message: Buffer;
  /** False when the message already had its own List-Unsubscribe. */
  readonly added: boolean;
}

/**
 * The message without our marker, and with List-Unsubscribe (the HTTPS
 * link) and List-Unsubscribe-Post at the top of the header, unless it has a
 * List-Unsubscribe of its own. `message` is CRLF-canonical.
 */
export function addListUnsubscribe(message: Buffer, link: string): BulkRewrite {
  const scan = scanHeader(message);
  const stripped = withoutFields(message, scan, fieldIndexes(message, scan, BULK_MARKER));
  if (fieldIndexes(message, scan, 'list-unsubscribe').length > 0) return { message: stripped, added: false };
  const fields = Buffer.from(`List-Unsubscribe: <${link}>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n`, 'latin1');
  return { message: Buffer.concat([fields, stripped]), added: true };
}
