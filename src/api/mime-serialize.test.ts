import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { serializable, serialize } from './mime-serialize.js';

type Mail = ConstructorParameters<typeof MailComposer>[0];

// Fixed Date, Message-ID and boundary: two compiles of the same mail give the same tree.
const fixed = { date: new Date(0), messageId: '<fixed@example.com>', baseBoundary: 'b0b0b0b0b0b0b0b0', disableFileAccess: true, disableUrlAccess: true };

const line = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmn\n';
const cases: Record<string, Mail> = {
  'empty text': { from: 'a@example.com', to: 'b@example.com', text: '' },
  'no content at all': { from: 'a@example.com', to: 'b@example.com', subject: 'nothing' },
  '7bit text': { from: 'a@example.com', to: 'b@example.com', subject: 's', text: 'short lines\nonly ascii\n' },
  'text without a final line break': { from: 'a@example.com', to: 'b@example.com', text: 'no newline at the end' },
  'text ending in CR': { from: 'a@example.com', to: 'b@example.com', text: 'ends in a carriage return\r' },
  '77-character lines (quoted-printable)': { from: 'a@example.com', to: 'b@example.com', text: line.repeat(53) },
  'Japanese text (base64 or QP, as nodemailer picks)': { from: 'a@example.com', to: 'b@example.com', subject: 'ご注文', text: 'ご注文ありがとうございます。\n'.repeat(200) },
  'mostly ASCII with one accent': { from: 'a@example.com', to: 'b@example.com', text: `${line.repeat(10)}café\n` },
  'text and html (alternative)': { from: 'a@example.com', to: 'b@example.com', text: 'plain', html: '<p>html ünïcode</p>' },
  'attachments of every length mod 3 (mixed)': {
    from: 'a@example.com',
    to: 'b@example.com',
    text: 'see attached',
    attachments: [0, 1, 2, 3, 56, 57, 58, 100_000, 100_001].map((n, i) => ({ filename: `f${i}.bin`, content: randomBytes(n), contentType: 'application/octet-stream' })),
  },
  'html with an inline image (related) and an attachment': {
    from: 'a@example.com',
    to: 'b@example.com',
    html: '<img src="cid:logo@x">',
    text: 'alt',
    attachments: [
      { filename: 'logo.png', content: randomBytes(300), cid: 'logo@x' },
      { filename: 'a.txt', content: Buffer.from('attached text\n') },
    ],
  },
  'only an attachment': { from: 'a@example.com', to: 'b@example.com', attachments: [{ filename: 'only.pdf', content: randomBytes(5000) }] },
  'extra headers': { from: 'a@example.com', to: 'b@example.com', text: 'x', headers: { 'X-Campaign': 'spring', 'X-Long': 'word '.repeat(40) } },
};

for (const [name, mail] of Object.entries(cases)) {
  test(`serialize gives MimeNode.build()'s bytes: ${name}`, async () => {
    const streamed = await new MailComposer({ ...fixed, ...mail } as Mail).compile().build();
    const tree = new MailComposer({ ...fixed, ...mail } as Mail).compile();
    assert.equal(serializable(tree), true);
    const direct = serialize(tree);
    assert.equal(direct.toString('latin1'), streamed.toString('latin1'));
  });
}

test('a tree with a stream as content, or raw, is left to build()', () => {
  const streamed = new MailComposer({ ...fixed, from: 'a@example.com', to: 'b@example.com', text: Readable.from(['x']) } as Mail).compile();
  assert.equal(serializable(streamed), false);
  const raw = new MailComposer({ ...fixed, raw: 'Subject: x\r\n\r\nbody\r\n' } as Mail).compile();
  assert.equal(serializable(raw), false);
});
