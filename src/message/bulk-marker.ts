// `X-Hikyaku-Bulk: yes`: how an application that talks SMTP (or sendmail)
// marks a message as bulk mail, so that intake adds the one-click
// unsubscribe fields (src/bulk/). The marker is ours and never leaves.
import { fieldIndexes, fieldValue, scanHeader, type HeaderScan } from './header-block.js';

export const BULK_MARKER = 'x-hikyaku-bulk';

/** Whether the header asks for bulk treatment (`X-Hikyaku-Bulk: yes`, `true` or `1`, any case). */
export function markedBulk(message: Buffer, scan: HeaderScan = scanHeader(message)): boolean {
  return fieldIndexes(message, scan, BULK_MARKER).some((i) => /^(yes|true|1)$/i.test(fieldValue(message, scan, i)));
}

/** The message without our marker (it must not leave); the same Buffer when there is none. */
export function withoutBulkMarker(message: Buffer): Buffer {
  const scan = scanHeader(message);
  return withoutFields(message, scan, fieldIndexes(message, scan, BULK_MARKER));
}

/** The message without the header fields of a scan at `indexes` (ascending), folded lines included. */
export function withoutFields(message: Buffer, scan: HeaderScan, indexes: readonly number[]): Buffer {
  if (indexes.length === 0) return message;
  const parts: Buffer[] = [];
  let from = 0;
  for (const i of indexes) {
    const start = scan.fields[i * 4] as number;
    // The field ends after the CRLF that follows its value.
    const end = (scan.fields[i * 4 + 3] as number) + 2;
    parts.push(message.subarray(from, start));
    from = end;
  }
  parts.push(message.subarray(from));
  return Buffer.concat(parts);
}
