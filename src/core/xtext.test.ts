// Table tests of RFC 3461 §4 xtext, both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeXtext, encodeXtext } from './xtext.js';

// [xtext, decoded]: both directions hold.
const ROUND_TRIP: [string, string][] = [
  ['', ''],
  ['abc', 'abc'],
  ['rfc822;user@example.com', 'rfc822;user@example.com'],
  ['a+2Bb', 'a+b'],
  ['a+3Db', 'a=b'],
  ['Fred+20Bloggs', 'Fred Bloggs'],
  ['taro..yamada@docomo.ne.jp', 'taro..yamada@docomo.ne.jp'],
  ['"a+20b"@example.com', '"a b"@example.com'],
  ['~!#$%', '~!#$%'],
];

// [xtext, problem]
const BAD: [string, string][] = [
  ['a+0D+0Ab', 'control or non-ASCII character'],
  ['a+00', 'control or non-ASCII character'],
  ['a+7F', 'control or non-ASCII character'],
  ['a+C3+A9', 'control or non-ASCII character'],
  ['a+2b', 'bad "+HH" escape'],
  ['a+2', 'bad "+HH" escape'],
  ['a+', 'bad "+HH" escape'],
  ['a+G0', 'bad "+HH" escape'],
  ['a=b', 'unescaped "="'],
  ['a b', 'control character or space'],
  ['a\rb', 'control character or space'],
  ['a\x7fb', 'control character or space'],
  ['caf\u00e9', 'non-ASCII character'],
];

test('xtext decodes and encodes the table both ways', () => {
  for (const [xtext, decoded] of ROUND_TRIP) {
    assert.deepEqual(decodeXtext(xtext), { ok: true, value: decoded }, xtext);
    assert.equal(encodeXtext(decoded), xtext, decoded);
  }
});

test('xtext refuses bad escapes, controls and non-ASCII', () => {
  for (const [xtext, problem] of BAD) {
    assert.deepEqual(decodeXtext(xtext), { ok: false, problem }, JSON.stringify(xtext));
  }
});

test('encodeXtext escapes controls and UTF-8 octets, so nothing but xchars goes on the wire', () => {
  assert.equal(encodeXtext('a\r\nb'), 'a+0D+0Ab');
  assert.equal(encodeXtext('\u00e9'), '+C3+A9');
  // Only xchars and +HH escapes: "+" and "=" never stand for themselves.
  assert.equal(encodeXtext('x+y=z \u3042'), 'x+2By+3Dz+20+E3+81+82');
});
