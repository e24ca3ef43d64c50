import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalCandidates, MAX_ADDRESSES } from './candidates.js';

test('addresses of each host in order, hosts in the given order', () => {
  const c = canonicalCandidates([
    { host: 'mx1.example', preference: 10, addresses: ['192.0.2.1', '2001:db8::1'] },
    { host: 'mx2.example', preference: 20, addresses: ['192.0.2.2'] },
  ]);
  assert.deepEqual(c, [
    { host: 'mx1.example', ip: '192.0.2.1' },
    { host: 'mx1.example', ip: '2001:db8::1' },
    { host: 'mx2.example', ip: '192.0.2.2' },
  ]);
});

test('an address shared by two MX names is tried once', () => {
  const c = canonicalCandidates([
    { host: 'a.example', preference: 10, addresses: ['192.0.2.1'] },
    { host: 'b.example', preference: 20, addresses: ['192.0.2.1', '192.0.2.3'] },
  ]);
  assert.deepEqual(c.map((x) => x.ip), ['192.0.2.1', '192.0.2.3']);
});

test(`at most ${MAX_ADDRESSES} addresses`, () => {
  const hosts = Array.from({ length: 4 }, (_, i) => ({ host: `mx${i}.example`, preference: i, addresses: [`192.0.2.${i * 2 + 1}`, `192.0.2.${i * 2 + 2}`] }));
  const c = canonicalCandidates(hosts);
  assert.equal(c.length, MAX_ADDRESSES);
  assert.deepEqual(c.map((x) => x.ip), ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5']);
});
