import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTagList } from './tag-value.js';

test('RFC 6376 §3.2: tags, whitespace around them, a trailing semicolon', () => {
  const list = parseTagList(' v = DKIM1 ;k=rsa;  p=MIIB IjAN ; ');
  assert.deepEqual(list.order, ['v', 'k', 'p']);
  assert.equal(list.tags.get('p'), 'MIIB IjAN');
  assert.deepEqual(list.duplicates, []);
  assert.deepEqual(list.malformed, []);
});

test('names are case-insensitive; duplicates and non-tags are kept aside', () => {
  const list = parseTagList('V=DMARC1; P=none; p=reject; garbage; =x');
  assert.deepEqual(list.order, ['v', 'p']);
  assert.equal(list.tags.get('p'), 'none');
  assert.deepEqual(list.duplicates, ['p']);
  assert.deepEqual(list.malformed, ['garbage', '=x']);
});
