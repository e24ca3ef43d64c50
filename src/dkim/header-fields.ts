// Splitting a message (CRLF line endings) into its header fields and body,
// byte-exact: header text is handled as latin1 so every byte maps to one
// UTF-16 unit and back, and 8-bit header values (RFC 6532) survive intact.

export interface HeaderField {
  /** Field name, lower-case ASCII, without trailing whitespace. */
  readonly name: string;
  /** The whole field as in the message, folding kept, without the final CRLF (latin1). */
  readonly raw: string;
}

export interface SplitMessage {
  readonly fields: readonly HeaderField[];
  /** Everything after the empty line that ends the header (empty if none). */
  readonly body: Buffer;
}

const CRLF_CRLF = Buffer.from('\r\n\r\n');

/** Byte offset where the header section ends (its last CRLF included), and where the body starts. */
function headerBoundary(message: Buffer): { headerEnd: number; bodyStart: number } {
  // A message that starts with an empty line has no header fields (RFC 5322 §2.1).
  if (message.length >= 2 && message[0] === 0x0d && message[1] === 0x0a) return { headerEnd: 0, bodyStart: 2 };
  const i = message.indexOf(CRLF_CRLF);
  if (i < 0) return { headerEnd: message.length, bodyStart: message.length };
  return { headerEnd: i + 2, bodyStart: i + 4 };
}

export function parseHeaderFields(headerText: string): HeaderField[] {
  const fields: HeaderField[] = [];
  let current: string | undefined;
  const flush = (): void => {
    if (current === undefined) return;
    const colon = current.indexOf(':');
    // A line without a colon is not a field; it is left in the message but never signed.
    if (colon > 0) fields.push({ name: lowerAscii(current.slice(0, colon).replace(/[ \t]+$/, '')), raw: current });
    current = undefined;
  };
  for (const line of headerText.split('\r\n')) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && current !== undefined) {
      // RFC 5322 §2.2.3: a line starting with WSP continues the previous field.
      current += '\r\n' + line;
    } else {
      flush();
      if (line !== '') current = line;
    }
  }
  flush();
  return fields;
}

export function splitMessage(message: Buffer): SplitMessage {
  const { headerEnd, bodyStart } = headerBoundary(message);
  return {
    fields: parseHeaderFields(message.subarray(0, headerEnd).toString('latin1')),
    body: message.subarray(bodyStart),
  };
}

/** Only the header fields, without touching the body (cheap for large messages). */
export function headerFieldsOf(message: Buffer): HeaderField[] {
  return parseHeaderFields(message.subarray(0, headerBoundary(message).headerEnd).toString('latin1'));
}

/** Field names are ASCII (RFC 5322 §2.2); lower-case only A–Z so no other byte changes. */
export function lowerAscii(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}
