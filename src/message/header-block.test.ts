import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headerFieldNames, headerValue, splitHeader } from './header-block.js';

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
