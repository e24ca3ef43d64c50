import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appPasswordLookupHash, canonicalAppPassword, generateAppPassword, validLabel } from './app-password.js';

test('generateAppPassword: 7 groups of 4 base32 characters, 140 bits, different every time', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const password = generateAppPassword();
    assert.match(password, /^[a-z2-7]{4}(?:-[a-z2-7]{4}){6}$/);
    seen.add(password);
  }
  assert.equal(seen.size, 50);
  // Every byte value maps to a character (low 5 bits): all-zero and all-ones bytes.
  assert.equal(generateAppPassword((n) => Buffer.alloc(n, 0)), 'aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa');
  assert.equal(generateAppPassword((n) => Buffer.alloc(n, 255)), '7777-7777-7777-7777-7777-7777-7777');
});

test('canonicalAppPassword: grouping, spaces and case are ignored; anything else is not an app password', () => {
  const canonical = 'abcdefghijklmnopqrstuvwxyz23';
  assert.equal(canonicalAppPassword('abcd-efgh-ijkl-mnop-qrst-uvwx-yz23'), canonical);
  assert.equal(canonicalAppPassword('ABCD EFGH IJKL MNOP QRST UVWX YZ23'), canonical);
  assert.equal(canonicalAppPassword(canonical), canonical);
  assert.equal(canonicalAppPassword('abcd-efgh-ijkl-mnop-qrst-uvwx-yz2'), undefined);
  assert.equal(canonicalAppPassword('abcd-efgh-ijkl-mnop-qrst-uvwx-yz01'), undefined, '0 and 1 are not base32');
  assert.equal(canonicalAppPassword('a normal password'), undefined);
});

test('appPasswordLookupHash: keyed, and bound to the user', () => {
  const key = Buffer.alloc(32, 1);
  const a = appPasswordLookupHash(key, 'a@example.com', 'x'.repeat(28));
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(a, appPasswordLookupHash(key, 'b@example.com', 'x'.repeat(28)));
  assert.notEqual(a, appPasswordLookupHash(Buffer.alloc(32, 2), 'a@example.com', 'x'.repeat(28)));
  assert.equal(a, appPasswordLookupHash(key, 'a@example.com', 'x'.repeat(28)));
});

test('validLabel', () => {
  for (const ok of ['wordpress-shop', 'phone', 'a', 'iPhone_15.work']) assert.equal(validLabel(ok), true, ok);
  for (const bad of ['', '-x', 'has space', 'a'.repeat(65), 'ラベル', 'a:b']) assert.equal(validLabel(bad), false, bad);
});
