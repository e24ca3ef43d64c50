import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldValue, findField, headerFieldNames, headerValue, messageHeaderValue, scanHeader, splitHeader } from './header-block.js';
import { randomSource } from '../../test/helpers/seeded-random.js';

test('splitHeader: header keeps its final CRLF, body starts after the empty line', () => {
  const msg = Buffer.from('A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore\r\n');
  const { header, body } = splitHeader(msg);
  assert.equal(header.toString(), 'A: 1\r\nB: 2\r\n');
  assert.equal(body.toString(), 'body\r\n\r\nmore\r\n');
  // Views, not copies.
  assert.equal(header.buffer, msg.buffer);
  assert.equal(body.buffer, msg.buffer);
});

test('splitHeader: no empty line means the whole message is header and the body is empty', () => {
  const msg = Buffer.from('A: 1\r\nB: 2\r\n');
  const { header, body } = splitHeader(msg);
  assert.equal(header.toString(), 'A: 1\r\nB: 2\r\n');
  assert.equal(body.length, 0);
  assert.equal(header.length + body.length, msg.length);
});

test('splitHeader: empty line and empty body', () => {
  const { header, body } = splitHeader(Buffer.from('A: 1\r\n\r\n'));
  assert.equal(header.toString(), 'A: 1\r\n');
  assert.equal(body.length, 0);
});

test('splitHeader: message starting with an empty line has an empty header', () => {
  const { header, body } = splitHeader(Buffer.from('\r\nonly body\r\n'));
  assert.equal(header.length, 0);
  assert.equal(body.toString(), 'only body\r\n');
});

test('headerFieldNames: lower-cased, folded lines ignored, body not read', () => {
  const header = splitHeader(
    Buffer.from('From: a@example.com\r\nSUBJECT: long\r\n subject: not a field\r\nMessage-Id : <x@y>\r\n\r\nDate: in body\r\n'),
  ).header;
  assert.deepEqual([...headerFieldNames(header)].sort(), ['from', 'message-id', 'subject']);
});

test('headerValue: first occurrence, unfolded, case-insensitive, undefined when absent', () => {
  const header = Buffer.from('Received: one\r\nSubject: hello\r\n\tworld\r\n  again\r\nreceived: two\r\nX-Last: z');
  assert.equal(headerValue(header, 'subject'), 'hello\tworld  again');
  assert.equal(headerValue(header, 'RECEIVED'), 'one');
  assert.equal(headerValue(header, 'x-last'), 'z');
  assert.equal(headerValue(header, 'date'), undefined);
});

test('headerValue decodes UTF-8 header values (RFC 6532)', () => {
  const header = Buffer.from('Subject: 配信テスト\r\n', 'utf8');
  assert.equal(headerValue(header, 'Subject'), '配信テスト');
});

// ---- One-pass scan (scanHeader) and the edge cases of the line walk ----

test('scanHeader: header end, body start and every field, folded ones with their continuation lines', () => {
  const msg = Buffer.from('From: a@example.com\r\nSubject: one\r\n\ttwo\r\n  three\r\nX-Empty:\r\nTo : b@example.org\r\n\r\nbody\r\n');
  const scan = scanHeader(msg);
  assert.equal(scan.headerEnd, msg.indexOf('\r\n\r\n') + 2);
  assert.equal(scan.bodyStart, scan.headerEnd + 2);
  assert.equal(scan.fields.length, 4 * 4);
  assert.equal(findField(msg, scan, 'SUBJECT'), 1);
  assert.equal(fieldValue(msg, scan, 1), 'one\ttwo  three');
  assert.equal(fieldValue(msg, scan, findField(msg, scan, 'x-empty')), '');
  assert.equal(fieldValue(msg, scan, findField(msg, scan, 'to')), 'b@example.org');
  assert.equal(findField(msg, scan, 'date'), -1);
  assert.throws(() => fieldValue(msg, scan, 4), RangeError);
});

test('scanHeader: a message that starts with an empty line has no header fields', () => {
  const msg = Buffer.from('\r\nFrom: in the body\r\n');
  const scan = scanHeader(msg);
  assert.deepEqual(scan, { headerEnd: 0, bodyStart: 2, fields: [] });
  assert.equal(messageHeaderValue(msg, 'from'), undefined);
});

test('scanHeader: a message of only headers, with and without the final CRLF', () => {
  for (const text of ['A: 1\r\nB: 2\r\n', 'A: 1\r\nB: 2']) {
    const msg = Buffer.from(text);
    const scan = scanHeader(msg);
    assert.equal(scan.headerEnd, msg.length);
    assert.equal(scan.bodyStart, msg.length);
    assert.equal(fieldValue(msg, scan, findField(msg, scan, 'b')), '2');
  }
  assert.deepEqual(scanHeader(Buffer.alloc(0)), { headerEnd: 0, bodyStart: 0, fields: [] });
});

test('scanHeader: an empty line and no body', () => {
  const msg = Buffer.from('A: 1\r\n\r\n');
  assert.deepEqual(scanHeader(msg), { headerEnd: 6, bodyStart: 8, fields: [0, 1, 2, 4] });
});

test('bare LF and bare CR are bytes inside a line, as in the CRLF-only splitting (LF-only input is canonicalised first)', () => {
  const msg = Buffer.from('A: 1\nB: 2\rC\r\nD: 4\n\nbody\r\n\r\nrest');
  const scan = scanHeader(msg);
  assert.equal(scan.headerEnd, msg.indexOf('\r\n\r\n') + 2);
  assert.equal(fieldValue(msg, scan, 0), '1\nB: 2\rC');
  assert.equal(fieldValue(msg, scan, 1), '4\n\nbody');
  assert.equal(findField(msg, scan, 'b'), -1);
});

test('8-bit header bytes: UTF-8 values decoded, a latin1 name byte compared as toLowerCase does', () => {
  const msg = Buffer.concat([Buffer.from('Subject: 配信\r\n\tテスト\r\n', 'utf8'), Buffer.from([0xc0, 0x3a, 0x20, 0x78, 0x0d, 0x0a, 0x0d, 0x0a])]);
  const scan = scanHeader(msg);
  assert.equal(fieldValue(msg, scan, findField(msg, scan, 'subject')), '配信\tテスト');
  assert.equal(findField(msg, scan, 'à'), 1, 'byte 0xC0 is "À", whose lower case is "à"');
  assert.deepEqual([...headerFieldNames(splitHeader(msg).header)], ['subject', 'à']);
});

test('field names compare case-insensitively exactly like latin1 toString().toLowerCase()', () => {
  const skip = new Set([0x0a, 0x0d, 0x20, 0x09, 0x3a]);
  for (let b = 0; b < 256; b++) {
    if (skip.has(b)) continue;
    const header = Buffer.from([b, 0x3a, 0x76, 0x0d, 0x0a]); // "<b>:v\r\n"
    const lowered = String.fromCharCode(b).toLowerCase();
    for (let c = 0; c < 256; c++) {
      const name = String.fromCharCode(c);
      const expected = name.toLowerCase() === lowered ? 'v' : undefined;
      assert.equal(headerValue(header, name), expected, `byte ${b} against name ${c}`);
    }
  }
});

/** The header split and field list as a plain string reading of the bytes gives them. */
function reference(message: Buffer): { headerEnd: number; bodyStart: number; fields: { name: string; value: string }[] } {
  const text = message.toString('latin1');
  let headerEnd: number;
  let bodyStart: number;
  if (text.startsWith('\r\n')) [headerEnd, bodyStart] = [0, 2];
  else if (text.includes('\r\n\r\n')) [headerEnd, bodyStart] = [text.indexOf('\r\n\r\n') + 2, text.indexOf('\r\n\r\n') + 4];
  else [headerEnd, bodyStart] = [text.length, text.length];
  return { headerEnd, bodyStart, fields: referenceFields(text.slice(0, headerEnd)) };
}

function referenceFields(header: string): { name: string; value: string }[] {
  const fields: { name: string; value: string }[] = [];
  let current: { name: string; raw: string } | undefined;
  const flush = (): void => {
    if (current) {
      const value = Buffer.from(current.raw, 'latin1').toString('utf8').replace(/\r\n(?=[ \t])/g, '').trim();
      fields.push({ name: current.name.toLowerCase(), value });
    }
    current = undefined;
  };
  for (const line of header.split('\r\n')) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (current) current.raw += '\r\n' + line;
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon !== -1) current = { name: line.slice(0, colon).replace(/[ \t]+$/, ''), raw: line.slice(colon + 1) };
  }
  flush();
  return fields;
}

test('generated messages: the one-pass scan and the lookups agree with a plain string reading', () => {
  const pieces = [
    'From', 'FROM', 'Date', 'message-ID', 'X', ':', ':', ' ', '\t', '\r\n', '\r\n', '\r\n', '\r', '\n',
    'a@b.example', '<x@y>', 'v', 'é', '\xff', '\xc0',
  ];
  const random = randomSource(7);
  for (let round = 0; round < 3000; round++) {
    let text = '';
    for (let i = random(40); i > 0; i--) text += pieces[random(pieces.length)];
    const message = Buffer.from(text, text.includes('é') ? 'utf8' : 'latin1');
    const expected = reference(message);
    const scan = scanHeader(message);
    const what = JSON.stringify(text);
    assert.equal(scan.headerEnd, expected.headerEnd, what);
    assert.equal(scan.bodyStart, expected.bodyStart, what);
    const { header, body } = splitHeader(message);
    assert.equal(header.length, expected.headerEnd, what);
    assert.equal(message.length - body.length, expected.bodyStart, what);
    assert.deepEqual(
      Array.from({ length: scan.fields.length / 4 }, (_, i) => fieldValue(message, scan, i)),
      expected.fields.map((f) => f.value),
      what,
    );
    assert.deepEqual(headerFieldNames(header), new Set(expected.fields.map((f) => f.name)), what);
    for (const name of ['from', 'Date', 'MESSAGE-ID', 'x', 'missing']) {
      const first = expected.fields.find((f) => f.name === name.toLowerCase())?.value;
      assert.equal(headerValue(header, name), first, `${what} ${name}`);
      assert.equal(messageHeaderValue(message, name), first, `${what} ${name}`);
      const index = findField(message, scan, name);
      assert.equal(index === -1 ? undefined : fieldValue(message, scan, index), first, `${what} ${name}`);
    }
    // headerFieldNames and headerValue read every line of what they are given.
    assert.deepEqual(headerFieldNames(message), new Set(referenceFields(message.toString('latin1')).map((f) => f.name)), what);
  }
});

