// A JSON message of the HTTP API → its envelope and an RFC 5322 message.
// Addresses go through the one parser (core/mailbox.ts), so that the API
// accepts what SMTP accepts (legacy carrier forms such as
// taro..yamada@docomo.ne.jp included) and refuses what it refuses (x@@host),
// naming the field. The MIME structure is nodemailer's MailComposer; the
// address header fields (From, To, Cc, Reply-To) are written here from what
// the client wrote, because MailComposer's own address parser rewrites them
// ("taro..yamada"@docomo.ne.jp loses its quotes), and issue 15 wants them
// left as the sender wrote them.
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import libmime from 'libmime';
import { parseMailbox, mailboxKey } from '../core/mailbox.js';
import { randomIdBytes } from '../core/random-pool.js';
import { serializable, serialize } from './mime-serialize.js';

export interface JsonAttachment {
  readonly filename: string;
  /** base64 */
  readonly content: string;
  readonly contentType?: string;
}

export interface JsonMessage {
  readonly from: string;
  readonly to?: string | readonly string[];
  readonly cc?: string | readonly string[];
  readonly bcc?: string | readonly string[];
  readonly replyTo?: string | readonly string[];
  readonly subject?: string;
  readonly text?: string;
  readonly html?: string;
  readonly attachments?: readonly JsonAttachment[];
  readonly headers?: Readonly<Record<string, string>>;
  readonly tag?: string;
  readonly bulk?: boolean;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** One problem with the request, named by its field path (`to[1]`, `headers.X-Foo`). */
export interface FieldProblem {
  readonly path: string;
  readonly problem: string;
}

export class RequestProblem extends Error {
  readonly fields: readonly FieldProblem[];
  constructor(fields: readonly FieldProblem[]) {
    super(fields.map((f) => `${f.path}: ${f.problem}`).join('; '));
    this.fields = fields;
  }
}

/** One address as written in a JSON field: `addr` or `Display Name <addr>`. */
export interface WrittenAddress {
  readonly name: string | undefined;
  /** The mailbox in its stored form (parseMailbox's address). */
  readonly address: string;
  /** The mailbox exactly as written (for the header field). */
  readonly written: string;
}

/** Parses `addr` or `Name <addr>`; the mailbox itself by the one parser. */
export function parseWrittenAddress(text: string): WrittenAddress | { readonly problem: string } {
  const trimmed = text.trim();
  const angle = /^(.*?)\s*<([^<>]*)>$/s.exec(trimmed);
  const mailbox = angle ? (angle[2] as string) : trimmed;
  let name = angle ? (angle[1] as string).trim() : undefined;
  if (name !== undefined && name.length >= 2 && name.startsWith('"') && name.endsWith('"')) name = name.slice(1, -1).replace(/\\(.)/g, '$1');
  if (name !== undefined && /[\r\n]/.test(name)) return { problem: 'line break in the display name' };
  const parsed = parseMailbox(mailbox);
  if (!parsed.ok) return { problem: `not an address: ${parsed.problem} (allowed: "user@example.com" or "Name <user@example.com>")` };
  return { name: name === '' ? undefined : name, address: parsed.address, written: mailbox };
}

function list(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

/** The addresses of one field; problems are collected with their paths. */
function addressesOf(field: string, value: string | readonly string[] | undefined, problems: FieldProblem[]): WrittenAddress[] {
  const single = typeof value === 'string';
  const out: WrittenAddress[] = [];
  list(value).forEach((text, i) => {
    const parsed = parseWrittenAddress(text);
    if ('problem' in parsed) problems.push({ path: single ? field : `${field}[${i}]`, problem: parsed.problem });
    else out.push(parsed);
  });
  return out;
}

// Fields the API writes itself, or intake does: a client's `headers` may not set them.
const RESERVED_HEADERS = new Set([
  'from', 'to', 'cc', 'bcc', 'reply-to', 'subject', 'sender', 'date', 'message-id', 'mime-version', 'received', 'return-path',
  'dkim-signature', 'content-type', 'content-transfer-encoding', 'content-disposition',
]);
const FIELD_NAME = /^[!-9;-~]{1,76}$/;

/** A display name as RFC 5322 allows it: an atom phrase, a quoted string, or an RFC 2047 word for non-ASCII. */
function displayName(name: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(name)) return libmime.encodeWord(name, 'B', 52);
  if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(name)) return name;
  return `"${name.replace(/["\\]/g, '\\$&')}"`;
}

/** An address header value, folded between addresses (each address on its own line past the first when long). */
function addressField(addresses: readonly WrittenAddress[], fieldName: string): string {
  const items = addresses.map((a) => (a.name === undefined ? a.written : `${displayName(a.name)} <${a.written}>`));
  let line = fieldName.length + 2;
  let out = '';
  items.forEach((item, i) => {
    if (i > 0) {
      if (line + item.length + 2 > 76) {
        out += ',\r\n ';
        line = 1;
      } else {
        out += ', ';
        line += 2;
      }
    }
    out += item;
    line += item.length;
  });
  return out;
}

export interface Composed {
  readonly mailFrom: string;
  /** Every recipient (To, Cc, Bcc), de-duplicated by mailbox identity, with the field each came from. */
  readonly recipients: readonly { readonly address: string; readonly path: string }[];
  readonly message: Buffer;
}

/** Checks a JSON message and builds it; throws RequestProblem naming every bad field. */
export async function composeJson(input: JsonMessage): Promise<Composed> {
  const problems: FieldProblem[] = [];
  const from = addressesOf('from', input.from, problems);
  const to = addressesOf('to', input.to, problems);
  const cc = addressesOf('cc', input.cc, problems);
  const bcc = addressesOf('bcc', input.bcc, problems);
  const replyTo = addressesOf('replyTo', input.replyTo, problems);
  if (problems.length === 0 && to.length + cc.length + bcc.length === 0) problems.push({ path: 'to', problem: 'no recipient (give at least one address in to, cc or bcc)' });
  if (input.text === undefined && input.html === undefined && (input.attachments?.length ?? 0) === 0) {
    problems.push({ path: 'text', problem: 'no content (give text, html or attachments)' });
  }
  const extra: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    const path = `headers.${name}`;
    if (!FIELD_NAME.test(name)) problems.push({ path, problem: 'not a header field name (allowed: printable ASCII without ":" or spaces)' });
    else if (RESERVED_HEADERS.has(name.toLowerCase())) problems.push({ path, problem: 'set by the API itself (use from, to, cc, replyTo, subject)' });
    else if (/[\r\n]/.test(value)) problems.push({ path, problem: 'line break in a header value' });
    else extra[name] = value;
  }
  const attachments = (input.attachments ?? []).map((a, i) => {
    const content = Buffer.from(a.content, 'base64');
    // Node's decoder skips what is not base64; compare lengths to catch text that was not encoded.
    if (a.content.replace(/[\s=]/g, '').length > 0 && content.length === 0) problems.push({ path: `attachments[${i}].content`, problem: 'not base64' });
    if (/[\r\n"]/.test(a.filename)) problems.push({ path: `attachments[${i}].filename`, problem: 'line break or quote in the file name' });
    return { filename: a.filename, content, ...(a.contentType === undefined ? {} : { contentType: a.contentType }) };
  });
  if (problems.length > 0) throw new RequestProblem(problems);

  const sender = from[0] as WrittenAddress;
  const seen = new Set<string>();
  const recipients: { address: string; path: string }[] = [];
  for (const [field, addresses] of [['to', to], ['cc', cc], ['bcc', bcc]] as const) {
    addresses.forEach((a, i) => {
      const key = mailboxKey(a.address);
      if (seen.has(key)) return;
      seen.add(key);
      recipients.push({ address: a.address, path: typeof input[field] === 'string' ? field : `${field}[${i}]` });
    });
  }
  // Written by hand (see the top of this file), placed before MailComposer's own fields.
  const addressLines = [
    `From: ${addressField(from, 'From')}`,
    ...(to.length > 0 ? [`To: ${addressField(to, 'To')}`] : []),
    ...(cc.length > 0 ? [`Cc: ${addressField(cc, 'Cc')}`] : []),
    ...(replyTo.length > 0 ? [`Reply-To: ${addressField(replyTo, 'Reply-To')}`] : []),
  ].join('\r\n');
  const options: ConstructorParameters<typeof MailComposer>[0] & { baseBoundary: string } = {
    subject: input.subject ?? '',
    ...(input.text === undefined ? {} : { text: input.text }),
    ...(input.html === undefined ? {} : { html: input.html }),
    attachments,
    headers: extra,
    // Date and Message-ID come from intake (submission-headers.ts), like every way in:
    // MailComposer's own are dropped (withAddressFields). Given here, it does not
    // make them (a random id, the host name, a date string): a third of its CPU.
    messageId: DROPPED_MESSAGE_ID,
    date: DROPPED_DATE,
    disableFileAccess: true,
    disableUrlAccess: true,
    // Otherwise each MIME node draws its own from the CSPRNG (a system call each).
    // (read by MailComposer, missing from its type declarations)
    baseBoundary: randomIdBytes(8).toString('hex'),
  };
  const tree = new MailComposer(options).compile();
  // The same bytes as tree.build(), without its stream pipeline (mime-serialize.ts).
  const message = serializable(tree) ? serialize(tree) : await tree.build();
  return { mailFrom: sender.address, recipients, message: withAddressFields(message, addressLines) };
}

const DROPPED_MESSAGE_ID = '<dropped@hikyaku.invalid>';
const DROPPED_DATE = new Date(0);

/**
 * Puts our address fields first and drops the Date and Message-ID that
 * MailComposer always generates, so that intake stamps them as for every way in.
 */
function withAddressFields(message: Buffer, addressLines: string): Buffer {
  const end = message.indexOf('\r\n\r\n');
  if (end < 0) return message;
  const head = message.subarray(0, end + 2).toString('latin1');
  const kept = head.replace(/^(?:Date|Message-ID):[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*/gim, '');
  // The address fields are ASCII or RFC 2047 words (displayName); local parts may be UTF-8 (RFC 6532).
  return Buffer.concat([Buffer.from(`${addressLines}\r\n`, 'utf8'), Buffer.from(kept, 'latin1'), message.subarray(end + 2)]);
}
