import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeScramKeys, deriveScramKeys, encodeScramKeys, SCRAM_ITERATIONS } from './scram-keys.js';

test('deriveScramKeys: the keys of RFC 7677 §3 (user "user", password "pencil")', async () => {
  const keys = await deriveScramKeys('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
  assert.ok(keys);
  // Round trip through the stored form; the exchange itself is tested in submission/sasl-scram.test.ts.
  const encoded = encodeScramKeys(keys);
  assert.match(encoded, /^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
  assert.deepEqual(decodeScramKeys(encoded), keys);
});

test('deriveScramKeys: defaults, and passwords SASLprep refuses', async () => {
  const keys = await deriveScramKeys('a good password');
  assert.equal(keys?.iterations, SCRAM_ITERATIONS);
  assert.ok(SCRAM_ITERATIONS >= 4096, 'RFC 7677 §4');
  assert.equal(keys?.salt.length, 16);
  assert.equal(await deriveScramKeys('bell\u0007'), undefined);
});

test('decodeScramKeys: refuses what it cannot use', () => {
  const k = Buffer.alloc(32, 7).toString('base64');
  const s = Buffer.alloc(16, 1).toString('base64');
  assert.ok(decodeScramKeys(`SCRAM-SHA-256$4096:${s}$${k}:${k}`));
  for (const bad of [`SCRAM-SHA-256$4095:${s}$${k}:${k}`, `SCRAM-SHA-256$99999999:${s}$${k}:${k}`, `SCRAM-SHA-1$4096:${s}$${k}:${k}`, `SCRAM-SHA-256$4096:${s}$${s}:${k}`, '', 'garbage']) {
    assert.equal(decodeScramKeys(bad), undefined, bad);
  }
});
