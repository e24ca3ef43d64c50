import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { relaxedBody, relaxedBodyHash, relaxedHeader } from './canonicalize.js';
import { headerFieldsOf, splitMessage } from './header-fields.js';

test('RFC 6376 §3.4.5 example, relaxed headers and body', () => {
  const message = Buffer.from('A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n', 'latin1');
  const { fields, body } = splitMessage(message);
  assert.deepEqual(
    fields.map((f) => relaxedHeader(f.raw)),
    ['a:X\r\n', 'b:Y Z\r\n'],
  );
  assert.equal(relaxedBody(body).toString('latin1'), ' C\r\nD E\r\n');
});

test('relaxed body edge cases', () => {
  const canon = (s: string): string => relaxedBody(Buffer.from(s, 'latin1')).toString('latin1');
  assert.equal(canon(''), '', 'empty body stays empty');
  assert.equal(canon('\r\n\r\n\r\n'), '', 'only empty lines: empty');
  assert.equal(canon(' \t \r\n\t\r\n'), '', 'lines of only whitespace count as empty');
  assert.equal(canon('no final newline'), 'no final newline\r\n', 'CRLF added to the last line');
  assert.equal(canon('a\r\n\r\nb\r\n\r\n'), 'a\r\n\r\nb\r\n', 'inner empty lines kept');
  assert.equal(canon('x\t\ty  z \r\n'), 'x y z\r\n');
  assert.equal(canon('\u00e9t\u00e9  \r\n'), '\u00e9t\u00e9\r\n', '8-bit bytes pass through');
  // sha256 of the empty string, as RFC 6376 erratum 3192 expects for an empty relaxed body.
  assert.equal(relaxedBodyHash(Buffer.alloc(0)), createHash('sha256').update('').digest('base64'));
  assert.equal(relaxedBodyHash(Buffer.from('hi \r\n\r\n')), createHash('sha256').update('hi\r\n').digest('base64'));
});

// A straightforward line-by-line reading of RFC 6376 §3.4.4, as an oracle.
function referenceRelaxedBody(body: string): string {
  const lines = body.split('\r\n');
  if (lines[lines.length - 1] === '') lines.pop(); // the body ended with CRLF
  const canon = lines.map((l) => l.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (canon.length > 0 && canon[canon.length - 1] === '') canon.pop();
  return canon.map((l) => l + '\r\n').join('');
}

test('relaxed body agrees with a line-by-line reference on random bodies', () => {
  const pieces = [' ', '  ', '\t', 'a', 'bc', '\r\n', '\r\n', '\r', '\n', '\u00ff'];
  let seed = 12345;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < 2000; i++) {
    let body = '';
    const len = next(30);
    for (let j = 0; j < len; j++) body += pieces[next(pieces.length)];
    assert.equal(relaxedBody(Buffer.from(body, 'latin1')).toString('latin1'), referenceRelaxedBody(body), JSON.stringify(body));
  }
});

test('relaxed header: folding, case and whitespace around the colon', () => {
  assert.equal(relaxedHeader('SUBJECT  :  Hello \r\n  world\t'), 'subject:Hello world\r\n');
  assert.equal(relaxedHeader('X-Empty:'), 'x-empty:\r\n');
  // Value bytes (here UTF-8 read as latin1) are never case-folded.
  const utf8 = Buffer.from('Subject: Ünïcode', 'utf8').toString('latin1');
  assert.equal(Buffer.from(relaxedHeader(utf8), 'latin1').toString('utf8'), 'subject:Ünïcode\r\n');
});

test('header parsing: continuation lines, no body, body-only message', () => {
  const fields = headerFieldsOf(Buffer.from('From: a@b.example\r\nTo: x@y.example,\r\n z@y.example\r\n\r\nbody\r\n'));
  assert.deepEqual(
    fields.map((f) => [f.name, f.raw]),
    [
      ['from', 'From: a@b.example'],
      ['to', 'To: x@y.example,\r\n z@y.example'],
    ],
  );
  const headersOnly = splitMessage(Buffer.from('Subject: x\r\n'));
  assert.equal(headersOnly.fields.length, 1);
  assert.equal(headersOnly.body.length, 0);
  const bodyOnly = splitMessage(Buffer.from('\r\nFrom: not a header\r\n'));
  assert.equal(bodyOnly.fields.length, 0);
  assert.equal(bodyOnly.body.toString(), 'From: not a header\r\n');
});
