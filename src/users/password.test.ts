import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, parseHash, verifyPassword } from './password.js';

test('hashes are self-describing scrypt strings with a random salt', async () => {
  const [a, b] = await Promise.all([hashPassword('correct horse'), hashPassword('correct horse')]);
  assert.match(a, /^\$scrypt\$N=32768,r=8,p=1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
  assert.notEqual(a, b, 'a fresh salt each time');
  const parsed = parseHash(a);
  assert.ok(parsed);
  assert.equal(parsed.salt.length, 16);
  assert.equal(parsed.hash.length, 32);
  assert.ok(!a.includes('correct horse'));
});

test('verification: right, wrong, Unicode-normalized, and unusable hashes', async () => {
  const hash = await hashPassword('caf\u00e9 au lait');
  assert.equal(await verifyPassword('caf\u00e9 au lait', hash), true);
  // The same text with a combining accent (NFD) is the same password.
  assert.equal(await verifyPassword('cafe\u0301 au lait', hash), true);
  assert.equal(await verifyPassword('cafe au lait', hash), false);
  assert.equal(await verifyPassword('', hash), false);
  assert.equal(await verifyPassword('caf\u00e9 au lait', 'plaintext'), false);
  // Parameters beyond the bounds are refused rather than computed.
  assert.equal(await verifyPassword('x', hash.replace('N=32768', 'N=1073741824')), false);
  assert.equal(parseHash(hash.replace('N=32768', 'N=1000')), undefined, 'N must be a power of two');
});
