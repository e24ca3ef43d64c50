// The tag=value list shared by DKIM key records (RFC 6376 §3.2), DMARC
// (RFC 7489 §6.4), MTA-STS (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3).
// Parsed leniently, with what was wrong kept for the report.

export interface TagList {
  /** Tag names lower-cased, in order of appearance (first occurrence). */
  readonly order: readonly string[];
  readonly tags: ReadonlyMap<string, string>;
  readonly duplicates: readonly string[];
  /** Parts that are not tag=value. */
  readonly malformed: readonly string[];
}

// RFC 6376 §3.2: tag-name = ALPHA *ALNUMPUNC (ALNUMPUNC = ALPHA / DIGIT / "_").
const TAG = /^([a-z][a-z0-9_]*)\s*=\s*(.*)$/is;

export function parseTagList(text: string): TagList {
  const order: string[] = [];
  const tags = new Map<string, string>();
  const duplicates: string[] = [];
  const malformed: string[] = [];
  for (const raw of text.split(';')) {
    const part = raw.trim();
    if (part === '') continue; // a trailing ";" is allowed
    const m = TAG.exec(part);
    if (!m) {
      malformed.push(part);
      continue;
    }
    const name = (m[1] as string).toLowerCase();
    if (tags.has(name)) {
      duplicates.push(name);
      continue;
    }
    order.push(name);
    tags.set(name, (m[2] as string).trim());
  }
  return { order, tags, duplicates, malformed };
}
