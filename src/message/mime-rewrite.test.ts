import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAscii } from 'node:buffer';
import { simpleParser } from 'mailparser';
import { SmtpError } from '../core/smtp-reply.js';
import { cleanMessage, needsHygiene } from './hygiene.js';
import { SevenBitConversionError, toSevenBit, withoutLeadingDkimSignatures } from './seven-bit.js';
import { chooseEncoding, decodeBase64, decodeQuotedPrintable, encodeBase64, encodeQuotedPrintable } from './transfer-encoding.js';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');

/** Every line ≤ 998 octets, no bare CR or LF, no NUL. */
function assertClean(message: Buffer): void {
  assert.equal(message.indexOf(0), -1, 'NUL');
  const text = message.toString('latin1');
  assert.doesNotMatch(text, /\r(?!\n)|(?<!\r)\n/, 'bare CR or LF');
  for (const line of text.split('\r\n')) assert.ok(line.length <= 998, `line of ${line.length} octets`);
}

test('quoted-printable: round trip, soft line breaks ≤ 76, hard breaks kept, bare CR/LF and trailing space encoded', () => {
  const cases: [string, Buffer][] = [
    ['plain', Buffer.from('Hello world')],
    ['long line', Buffer.from('x'.repeat(5000))],
    ['bare CR', Buffer.from('a\rb\r\nc')],
    ['bare LF', Buffer.from('a\nb')],
    ['NUL and 8-bit', Buffer.from([0x61, 0x00, 0xe3, 0x81, 0x82, 0x3d])],
    ['trailing space before break', Buffer.from('end  \r\nnext\t')],
    ['escape at the wrap point', Buffer.from('a'.repeat(74) + '=' + 'b'.repeat(10))],
    ['CRLF at end', Buffer.from('line\r\n')],
  ];
  for (const [name, content] of cases) {
    const encoded = encodeQuotedPrintable(content);
    assert.ok(isAscii(encoded), name);
    for (const line of encoded.toString('latin1').split('\r\n')) assert.ok(line.length <= 76, `${name}: ${line.length}`);
    assert.doesNotMatch(encoded.toString('latin1'), /\r(?!\n)|(?<!\r)\n|[ \t]\r\n|[ \t]$/, name);
    assert.deepEqual(decodeQuotedPrintable(encoded), content, name);
  }
  assert.equal(encodeQuotedPrintable(Buffer.from('a\rb')).toString(), 'a=0Db');
  assert.equal(encodeQuotedPrintable(Buffer.from('x'.repeat(80))).toString(), 'x'.repeat(75) + '=\r\n' + 'xxxxx');
});

test('base64: lines of 76, round trip', () => {
  const content = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
  const encoded = encodeBase64(content);
  for (const line of encoded.toString().split('\r\n').slice(0, -1)) assert.ok(line.length <= 76);
  assert.deepEqual(decodeBase64(encoded), content);
});

test('chooseEncoding: QP for mostly-ASCII text, base64 for binary, NUL or mostly 8-bit', () => {
  assert.equal(chooseEncoding(Buffer.from('<p>' + 'a'.repeat(3000) + '</p>'), true), 'quoted-printable');
  assert.equal(chooseEncoding(Buffer.from('a\0b'), true), 'base64');
  assert.equal(chooseEncoding(Buffer.from('日本語のテキストです。'.repeat(10)), true), 'base64');
  assert.equal(chooseEncoding(Buffer.from('plain'), false), 'base64');
});

test('a clean message is returned as the same Buffer', () => {
  const message = crlf(['From: a@example.com', 'Subject: hi', '', 'Hello', '']);
  assert.equal(needsHygiene(message), false);
  assert.equal(cleanMessage(message), message);
});

const SINGLE_PART_CASES: { name: string; body: Buffer; cte: string }[] = [
  { name: '5,000-octet HTML line', body: Buffer.from('<p>' + 'a'.repeat(5000) + '</p>\r\n'), cte: 'quoted-printable' },
  { name: 'bare CR', body: Buffer.from('before\rafter\r\n'), cte: 'quoted-printable' },
  { name: 'NUL', body: Buffer.from('nul\0here\r\n'), cte: 'base64' },
];

for (const c of SINGLE_PART_CASES) {
  test(`hygiene, single part: ${c.name} → ${c.cte}, content the same once decoded`, async () => {
    const head = crlf(['From: a@example.com', 'To: b@example.net', 'Subject: t', 'Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', '']);
    const message = Buffer.concat([head, c.body]);
    const cleaned = cleanMessage(message);
    assertClean(cleaned);
    assert.match(cleaned.toString('latin1'), new RegExp(`\r\nContent-Transfer-Encoding: ${c.cte}\r\n`));
    assert.doesNotMatch(cleaned.toString('latin1'), /8bit/);
    assert.match(cleaned.toString('latin1'), /^From: a@example\.com\r\nTo: b@example\.net\r\nSubject: t\r\nContent-Type: text\/html; charset=utf-8\r\n/);
    const body = cleaned.subarray(cleaned.indexOf('\r\n\r\n') + 4);
    const decoded = c.cte === 'base64' ? decodeBase64(body) : decodeQuotedPrintable(body);
    assert.deepEqual(decoded, c.body);
  });
}

test('hygiene: bare LF line endings become CRLF (not re-encoded); no LF at all: CR line endings', () => {
  assert.deepEqual(cleanMessage(Buffer.from('From: a@example.com\nSubject: x\n\nline 1\nline 2\n')), crlf(['From: a@example.com', 'Subject: x', '', 'line 1', 'line 2', '']));
  assert.deepEqual(cleanMessage(Buffer.from('From: a@example.com\rSubject: x\r\rbody\r')), crlf(['From: a@example.com', 'Subject: x', '', 'body', '']));
});

test('hygiene: NUL in the header block is refused with 554 5.6.0', () => {
  assert.throws(
    () => cleanMessage(crlf(['From: a@example.com', 'Subject: bad\0', '', 'x', ''])),
    (err: unknown) => err instanceof SmtpError && err.reply.code === 554 && err.reply.enhanced === '5.6.0' && /NUL/.test(err.reply.lines.join(' ')),
  );
});

test('hygiene: a header field over 998 octets is folded; its unfolded value keeps every word', async () => {
  const words = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
  const cleaned = cleanMessage(crlf(['From: a@example.com', `Subject: ${words}`, 'X-Other: kept', '', 'body', '']));
  assertClean(cleaned);
  const parsed = await simpleParser(cleaned);
  assert.equal(parsed.subject, words);
  assert.match(cleaned.toString(), /\r\nX-Other: kept\r\n\r\nbody\r\n$/);
});

test('hygiene, nested multipart: only the dirty leaf is re-encoded; boundaries, preamble and other parts kept byte for byte', async () => {
  const html = '<html>' + 'x'.repeat(3000) + '</html>';
  // No bare LF: that is a line ending, canonicalised (bare CR and NUL are content).
  const attachment = Buffer.from([0, 1, 2, 3, 0xff, 0x0d, 0x41, 0x0d, 0x0d, 0x0a, 0x00]).toString('latin1');
  const parts = [
    'From: a@example.com',
    'To: b@example.net',
    'Subject: nested',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="outer"',
    '',
    'This is a MIME message.',
    '--outer',
    'Content-Type: multipart/alternative; boundary=inner',
    '',
    '--inner',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'plain text stays',
    '--inner',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    html,
    '--inner--',
    '',
    '--outer',
    'Content-Type: application/octet-stream; name=a.bin',
    'Content-Disposition: attachment; filename=a.bin',
    '',
    attachment,
    '--outer--',
    '',
  ];
  const message = Buffer.from(parts.join('\r\n'), 'latin1');
  const cleaned = cleanMessage(message);
  assertClean(cleaned);
  const text = cleaned.toString('latin1');
  for (const kept of ['This is a MIME message.\r\n--outer\r\n', '\r\n--inner\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nplain text stays\r\n--inner\r\n', '\r\n--inner--\r\n\r\n--outer\r\n', '\r\n--outer--\r\n']) {
    assert.ok(text.includes(kept), JSON.stringify(kept));
  }
  assert.match(text, /Content-Type: text\/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n/);
  assert.match(text, /Content-Disposition: attachment; filename=a\.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n/);
  const parsed = await simpleParser(cleaned);
  assert.equal(parsed.text?.trim(), 'plain text stays');
  assert.equal(parsed.html, html);
  assert.deepEqual(parsed.attachments[0]?.content, Buffer.from(attachment, 'latin1'));
});

test('hygiene: a message without MIME-Version gets one when a Content-Transfer-Encoding is added', async () => {
  const text = 'z'.repeat(2000) + '\r\n';
  const cleaned = cleanMessage(Buffer.from(`From: a@example.com\r\nSubject: plain\r\n\r\n${text}`));
  assertClean(cleaned);
  assert.match(cleaned.toString(), /^From: a@example\.com\r\nSubject: plain\r\nContent-Transfer-Encoding: quoted-printable\r\nMIME-Version: 1\.0\r\n\r\n/);
  assert.equal((await simpleParser(cleaned)).text, text.replace('\r\n', '\n'));
});

test('hygiene: a base64 part written as one long line is re-wrapped', () => {
  const content = Buffer.alloc(3000, 7);
  const message = Buffer.concat([
    crlf(['From: a@example.com', 'Content-Type: application/pdf', 'Content-Transfer-Encoding: base64', '', '']),
    Buffer.from(content.toString('base64') + '\r\n'),
  ]);
  const cleaned = cleanMessage(message);
  assertClean(cleaned);
  assert.deepEqual(decodeBase64(cleaned.subarray(cleaned.indexOf('\r\n\r\n') + 4)), content);
});

test('seven-bit: 8-bit UTF-8 body → base64, Subject → RFC 2047, ASCII message unchanged', async () => {
  const body = '日本語の本文です。\r\nよろしくお願いします。\r\n';
  const message = crlf([
    'From: a@example.com',
    'Subject: お知らせ',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    body,
  ]);
  const seven = toSevenBit(message);
  assert.ok(isAscii(seven));
  assertClean(seven);
  assert.match(seven.toString(), /\r\nContent-Transfer-Encoding: base64\r\n/);
  const parsed = await simpleParser(seven);
  assert.equal(parsed.subject, 'お知らせ');
  assert.equal(parsed.text, body.replace(/\r\n/g, '\n'));
  const ascii = crlf(['From: a@example.com', '', 'hi', '']);
  assert.equal(toSevenBit(ascii), ascii);
});

test('seven-bit: multipart with 8bit declared on the container becomes 7bit there', () => {
  const message = crlf([
    'From: a@example.com',
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary=b',
    'Content-Transfer-Encoding: 8bit',
    '',
    '--b',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Un café, deux cafés, trois cafés au lait pour la table du fond.',
    '--b--',
    '',
  ]);
  const seven = toSevenBit(message).toString('latin1');
  assert.match(seven, /^From: a@example\.com\r\nMIME-Version: 1\.0\r\nContent-Type: multipart\/alternative; boundary=b\r\nContent-Transfer-Encoding: 7bit\r\n\r\n--b\r\n/);
  assert.match(seven, /Content-Transfer-Encoding: quoted-printable\r\n\r\nUn caf=C3=A9, deux caf=C3=A9s, trois caf=C3=A9s au lait pour la table du fo=\r\nnd\.\r\n--b--\r\n$/);
});

test('seven-bit: 8-bit display names become encoded-words; an 8-bit address or a raw 8-bit parameter cannot be converted', async () => {
  const seven = toSevenBit(crlf(['From: 山田 太郎 <a@example.com>', 'To: "Smith, J." <j@example.net>, 佐藤 <s@example.net>', 'Cc: team: 鈴木 <k@example.net>;', '', 'x', '']));
  assert.ok(isAscii(seven));
  const parsed = await simpleParser(seven);
  assert.deepEqual(parsed.from?.value, [{ name: '山田 太郎', address: 'a@example.com' }]);
  const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
  assert.deepEqual(to?.value, [
    { name: 'Smith, J.', address: 'j@example.net' },
    { name: '佐藤', address: 's@example.net' },
  ]);
  assert.throws(() => toSevenBit(crlf(['From: a@example.com', 'To: <やまだ@example.jp>', '', 'x', ''])), SevenBitConversionError);
  assert.throws(() => toSevenBit(crlf(['From: a@example.com', 'Content-Type: text/plain; name="請求書.txt"', '', 'x', ''])), SevenBitConversionError);
});

test('withoutLeadingDkimSignatures removes only the signatures at the top', () => {
  const message = crlf(['DKIM-Signature: v=1; a=rsa-sha256;', ' b=abc', 'DKIM-Signature: v=1; b=def', 'Received: x', 'DKIM-Signature: upstream', 'From: a@example.com', '', 'x', '']);
  const { message: rest, removed } = withoutLeadingDkimSignatures(message);
  assert.equal(removed, 2);
  assert.equal(rest.toString(), ['Received: x', 'DKIM-Signature: upstream', 'From: a@example.com', '', 'x', ''].join('\r\n'));
});
