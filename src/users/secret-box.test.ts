import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSecret, sealSecret } from './secret-box.js';

test('sealSecret / openSecret: round trip, bound to key and associated data, tamper-evident', () => {
  const key = Buffer.alloc(32, 3);
  const sealed = sealSecret(key, 'tanstaaftanstaaf', 'tim@example.com');
  assert.doesNotMatch(sealed, /tanstaaf/);
  assert.notEqual(sealed, sealSecret(key, 'tanstaaftanstaaf', 'tim@example.com'), 'a fresh IV each time');
  assert.equal(openSecret(key, sealed, 'tim@example.com'), 'tanstaaftanstaaf');
  assert.equal(openSecret(Buffer.alloc(32, 4), sealed, 'tim@example.com'), undefined, 'another key');
  assert.equal(openSecret(key, sealed, 'eve@example.com'), undefined, 'copied to another row');
  const parts = sealed.split('$');
  const flipped = Buffer.from(parts[2] ?? '', 'base64');
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  assert.equal(openSecret(key, [parts[0], parts[1], flipped.toString('base64'), parts[3]].join('$'), 'tim@example.com'), undefined, 'tampered');
  assert.equal(openSecret(key, 'garbage', 'tim@example.com'), undefined);
  assert.throws(() => sealSecret(Buffer.alloc(16), 'x', 'y'));
});
