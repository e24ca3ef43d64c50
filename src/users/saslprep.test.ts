// The examples of RFC 4013 §3, and the prohibited characters we check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { saslprep } from './saslprep.js';

test('saslprep: RFC 4013 §3 examples', () => {
  assert.equal(saslprep('I\u00ADX'), 'IX', 'SOFT HYPHEN mapped to nothing');
  assert.equal(saslprep('user'), 'user', 'no transformation');
  assert.equal(saslprep('USER'), 'USER', 'case preserved');
  assert.equal(saslprep('\u00AA'), 'a', 'NFKC');
  assert.equal(saslprep('\u2168'), 'IX', 'NFKC');
  assert.equal(saslprep('\u0007'), undefined, 'prohibited character');
  // Example 7 (U+0627 U+0031, bidi check) is not covered: see the module header.
});

test('saslprep: spaces, full-width forms, controls, private use, lone surrogates', () => {
  assert.equal(saslprep('pass\u3000word'), 'pass word', 'ideographic space to SPACE');
  assert.equal(saslprep('ｐａｓｓ'), 'pass', 'full-width letters (NFKC)');
  assert.equal(saslprep('パスワード'), 'パスワード');
  assert.equal(saslprep('ﾊﾟｽﾜｰﾄﾞ'), 'パスワード', 'half-width katakana (NFKC)');
  for (const bad of ['a\u0000b', 'a\nb', 'a\u007Fb', 'a\u0085b', 'a\uE000b', 'a\u200Eb', 'a\uFFFEb', 'a\uD800b', '\u{E0041}', '', '\u00AD']) {
    assert.equal(saslprep(bad), undefined, JSON.stringify(bad));
  }
});
