// MailComposer's MIME tree → the message bytes, in one synchronous walk.
//
// Why not MimeNode.build(): it writes the tree through a PassThrough per
// node, a Transform per encoded part, a LastNewline Transform and a
// setImmediate per node and per child, then gathers the chunks. For a 4 KiB
// JSON message that stream pipeline was ~12 % of the API's main-thread CPU
// and a share of its garbage (bench/api-bench.ts, `node --cpu-prof`), more
// than composing the tree. The tree, its header fields (buildHeaders), the
// transfer encoding it chose (getTransferEncoding), the boundaries and the
// encoders (nodemailer's own qp and base64 modules) stay nodemailer's; only
// the concatenation is done here, in the order MimeNode.stream writes it.
// mime-serialize.test.ts checks the result byte for byte against build().
//
// Anything that needs the streams (a stream, file or URL as content, raw
// nodes, transforms, newline conversion) is not handled here: `serializable`
// says no and the caller uses build().
import type MimeNode from 'nodemailer/lib/mime-node/index.js';
import qp from 'nodemailer/lib/qp/index.js';
import base64 from 'nodemailer/lib/base64/index.js';

/** What this file reads of a MimeNode beyond its typed surface. */
interface NodeInternals {
  readonly _raw?: unknown;
  readonly _transforms?: readonly unknown[];
  readonly _processFuncs?: readonly unknown[];
  readonly newline?: unknown;
}

/** True when every node's content is absent, a string or a Buffer, and nothing transforms the output. */
export function serializable(node: MimeNode): boolean {
  const n = node as MimeNode & NodeInternals;
  if (n._raw !== undefined && n._raw !== null && n._raw !== false) return false;
  if ((n._transforms?.length ?? 0) > 0 || (n._processFuncs?.length ?? 0) > 0 || n.newline) return false;
  const content = node.content;
  if (content !== undefined && content !== null && typeof content !== 'string' && !Buffer.isBuffer(content)) return false;
  return node.childNodes.every(serializable);
}

/** The message as MimeNode.build() would give it; only for trees `serializable` accepts. */
export function serialize(root: MimeNode): Buffer {
  const parts: Buffer[] = [];
  writeNode(root, parts);
  // LastNewline: the message ends with a line break.
  const last = parts.length === 0 ? undefined : (parts[parts.length - 1] as Buffer);
  const lastByte = last === undefined || last.length === 0 ? undefined : last[last.length - 1];
  if (lastByte === 0x0d) parts.push(Buffer.from('\n'));
  else if (lastByte !== 0x0a) parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

function writeNode(node: MimeNode, parts: Buffer[]): void {
  const transferEncoding = node.getTransferEncoding();
  // buildHeaders first: it sets the boundary the children are written with.
  parts.push(Buffer.from(node.buildHeaders() + '\r\n\r\n'));
  const content = node.content as string | Buffer | undefined;
  if (content) {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    if (transferEncoding === 'quoted-printable') parts.push(Buffer.from(qp.wrap(qp.encode(bytes), 76)));
    else if (transferEncoding === 'base64') parts.push(Buffer.from(base64Lines(bytes), 'ascii'));
    else parts.push(bytes);
  }
  if (!node.multipart) return;
  node.childNodes.forEach((child, i) => {
    parts.push(Buffer.from(`${i > 0 ? '\r\n' : ''}--${String(node.boundary)}\r\n`));
    writeNode(child, parts);
  });
  parts.push(Buffer.from(`\r\n--${String(node.boundary)}--\r\n`));
}

/**
 * base64 in 76-character lines as nodemailer's streaming Encoder gives it for
 * one chunk: the whole groups of three bytes wrapped, then the last one or
 * two bytes' four characters appended to the last line (not re-wrapped).
 */
function base64Lines(bytes: Buffer): string {
  const whole = bytes.length - (bytes.length % 3);
  const body = whole > 0 ? base64.wrap(base64.encode(bytes.subarray(0, whole)), 76) : '';
  return whole < bytes.length ? body + base64.encode(bytes.subarray(whole)) : body;
}
