// The message side of `hikyaku sendmail`: the end of the input (a line with
// a single "." unless -i), the recipients of -t (To, Cc, Bcc: split into
// addresses by nodemailer's addressparser — which handles display names,
// comments and group syntax — and each checked by the one address parser,
// core/mailbox.ts), the Bcc fields removed, and a From added when the
// message has none. The header is otherwise left byte for byte as written:
// a To with taro..yamada@docomo.ne.jp stays as the sender wrote it.
import addressparser from 'nodemailer/lib/addressparser/index.js';
import libmime from 'libmime';
import { parseMailbox, wireLocalPart, wireMailbox } from '../core/mailbox.js';

/** The input up to a line with a single "." (traditional sendmail), or all of it with -i. */
export function messageFromInput(input: Buffer, ignoreDots: boolean): Buffer {
  if (ignoreDots) return input;
  let start = 0;
  while (start < input.length) {
    const lf = input.indexOf(0x0a, start);
    const end = lf === -1 ? input.length : lf;
    const lineEnd = end > start && input[end - 1] === 0x0d ? end - 1 : end;
    if (lineEnd - start === 1 && input[start] === 0x2e) return input.subarray(0, start);
    if (lf === -1) break;
    start = lf + 1;
  }
  return input;
}

interface Field {
  /** Lower-cased name. */
  readonly name: string;
  /** Unfolded value, trimmed. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

/** The header fields (LF or CRLF line ends) and where the header ends (the blank line's start, or the input's end). */
function headerFields(message: Buffer): { fields: Field[]; headerEnd: number } {
  const fields: Field[] = [];
  let pos = 0;
  let current: { name: string; start: number; text: string } | undefined;
  const close = (end: number): void => {
    if (current === undefined) return;
    const colon = current.text.indexOf(':');
    fields.push({ name: current.text.slice(0, colon).trim().toLowerCase(), value: current.text.slice(colon + 1).replace(/\r?\n/g, '').trim(), start: current.start, end });
    current = undefined;
  };
  while (pos < message.length) {
    const lf = message.indexOf(0x0a, pos);
    const next = lf === -1 ? message.length : lf + 1;
    const line = message.subarray(pos, next).toString('utf8');
    if (line === '\n' || line === '\r\n') {
      close(pos);
      return { fields, headerEnd: pos };
    }
    if ((line.startsWith(' ') || line.startsWith('\t')) && current !== undefined) {
      current.text += line;
    } else if (/^[!-9;-~]+[ \t]*:/.test(line)) {
      close(pos);
      current = { name: '', start: pos, text: line };
    } else {
      // Not a header line: the body starts here (a message without the blank line).
      close(pos);
      return { fields, headerEnd: pos };
    }
    pos = next;
  }
  close(pos);
  return { fields, headerEnd: pos };
}

/** The addresses of one address-list value (a header field's, or a command-line argument "a@x, B <b@y>"). */
export function addressList(value: string, where: string): HeaderRecipients {
  const addresses: string[] = [];
  for (const { address, name } of addressparser(value, { flatten: true })) {
    if (address === '') continue;
    // addressparser reads loose words before an address as a display name
    // ("taro yamada@docomo.ne.jp" → yamada@…): without <> or a comment that is
    // not a name but a broken address, and sending to the rest would be a guess.
    if (name !== '' && !value.includes('<') && !value.includes('(')) {
      return { ok: false, problem: `bad recipient address "${name} ${address}"${where}: space outside quotes` };
    }
    const checked = checkedAddress(address, value);
    if ('problem' in checked) return { ok: false, problem: `bad recipient address "${address}"${where}: ${checked.problem}` };
    addresses.push(checked.address);
  }
  return { ok: true, addresses };
}

export type HeaderRecipients = { readonly ok: true; readonly addresses: string[] } | { readonly ok: false; readonly problem: string };

/** The addresses of To, Cc and Bcc (every field of each), each checked by parseMailbox. */
export function headerRecipients(message: Buffer): HeaderRecipients {
  const addresses: string[] = [];
  for (const field of headerFields(message).fields) {
    if (field.name !== 'to' && field.name !== 'cc' && field.name !== 'bcc') continue;
    const list = addressList(field.value, ` in ${field.name === 'bcc' ? 'Bcc' : field.name === 'cc' ? 'Cc' : 'To'}`);
    if (!list.ok) return list;
    addresses.push(...list.addresses);
  }
  return { ok: true, addresses };
}

/**
 * addressparser returns a quoted local part without its quotes
 * ("taro yamada"@x → taro yamada@x); it is quoted again when the field has
 * it written quoted, so that the one parser sees the address as written.
 */
function checkedAddress(address: string, fieldValue: string): { address: string } | { problem: string } {
  const parsed = parseMailbox(address);
  if (parsed.ok) return { address: parsed.address };
  const at = address.lastIndexOf('@');
  if (at > 0) {
    const requoted = `${wireLocalPart(address.slice(0, at))}@${address.slice(at + 1)}`;
    const again = parseMailbox(requoted);
    if (again.ok && requoted.startsWith('"') && fieldValue.includes(requoted.slice(0, requoted.lastIndexOf('@') + 1))) return { address: again.address };
  }
  return { problem: parsed.problem };
}

/**
 * The message as it is queued: Bcc fields removed (-t only: otherwise the
 * caller's header is left alone, as sendmail does), a From added when there
 * is none and the sender is not null (with the -F name).
 */
export function preparedMessage(message: Buffer, options: { removeBcc: boolean; sender: string; fullName: string | undefined }): Buffer {
  const { fields, headerEnd } = headerFields(message);
  const parts: Buffer[] = [];
  let pos = 0;
  if (options.removeBcc) {
    for (const f of fields) {
      if (f.name !== 'bcc') continue;
      parts.push(message.subarray(pos, f.start));
      pos = f.end;
    }
  }
  const firstLf = message.indexOf(0x0a);
  const lineEnd = firstLf > 0 && message[firstLf - 1] === 0x0d ? '\r\n' : '\n';
  const hasFrom = fields.some((f) => f.name === 'from');
  if (!hasFrom && options.sender !== '') {
    parts.push(message.subarray(pos, headerEnd));
    pos = headerEnd;
    parts.push(Buffer.from(`From: ${fromValue(options.sender, options.fullName)}${lineEnd}`));
    // A message that was only body text: the blank line between header and body.
    const startsBlank = message[0] === 0x0a || (message[0] === 0x0d && message[1] === 0x0a);
    if (headerEnd === 0 && !startsBlank) {
      parts.push(Buffer.from(lineEnd));
    }
  }
  parts.push(message.subarray(pos));
  return Buffer.concat(parts);
}

function fromValue(sender: string, fullName: string | undefined): string {
  const address = wireMailbox(sender);
  if (fullName === undefined || fullName.trim() === '') return address;
  // eslint-disable-next-line no-control-regex
  const name = /^[\x20-\x7e]*$/.test(fullName) ? `"${fullName.replace(/["\\]/g, '\\$&')}"` : libmime.encodeWord(fullName, 'B');
  return `${name} <${address}>`;
}
