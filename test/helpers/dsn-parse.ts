// Reading a DSN the way a receiving MUA would: mailparser for the MIME
// structure, then the message/delivery-status fields (RFC 3464 §2).
import { simpleParser } from 'mailparser';

export interface ParsedDsn {
  readonly contentType: string;
  readonly reportType: string | undefined;
  readonly text: string;
  readonly perMessage: Record<string, string>;
  readonly recipients: Record<string, string>[];
  readonly returnedHeaders: string | undefined;
}

function fields(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of block.replace(/\r\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (m?.[1]) out[m[1].toLowerCase()] = m[2] ?? '';
  }
  return out;
}

export async function parseDsn(raw: Buffer): Promise<ParsedDsn> {
  const parsed = await simpleParser(raw, { skipHtmlToText: true, keepDeliveryStatus: true } as Parameters<typeof simpleParser>[1]);
  const ct = parsed.headers.get('content-type') as { value: string; params: Record<string, string> } | undefined;
  const statusPart = parsed.attachments.find((a) => a.contentType === 'message/delivery-status');
  if (!statusPart) throw new Error('no message/delivery-status part');
  const blocks = statusPart.content.toString('utf8').trim().split(/\r?\n\r?\n/);
  const headersPart = parsed.attachments.find((a) => a.contentType === 'text/rfc822-headers');
  return {
    contentType: ct?.value ?? '',
    reportType: ct?.params['report-type'],
    text: parsed.text ?? '',
    perMessage: fields(blocks[0] ?? ''),
    recipients: blocks.slice(1).map(fields),
    returnedHeaders: headersPart?.content.toString('utf8'),
  };
}
