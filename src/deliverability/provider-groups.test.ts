import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../config/load.js';
import { GroupMatcher, mergeGroups } from './provider-groups.js';
import { shippedGroups } from './shipped-tables.js';

test('configured groups override shipped limits, add patterns first, and add new groups', () => {
  const merged = mergeGroups(shippedGroups(), [
    { name: 'gmail', mx: ['*.gmail-like.test'], perMinute: 120 },
    { name: 'hosting', mx: ['*.mx.hosting.test'], connections: 1 },
  ]);
  const gmail = merged.find((g) => g.name === 'gmail');
  assert.equal(gmail?.perMinute, 120);
  assert.equal(gmail?.connections, 5, 'limits not set keep the shipped value');
  assert.deepEqual(gmail?.mx.slice(0, 2), ['*.gmail-like.test', '*.google.com']);
  const m = new GroupMatcher(merged);
  assert.equal(m.groupOf(['mx1.gmail-like.test'])?.name, 'gmail');
  assert.equal(m.groupOf(['a.mx.hosting.test'])?.name, 'hosting');
  assert.equal(m.groupOf(['aspmx.l.google.com'])?.name, 'gmail');
});

test('a bad group in the configuration: every problem named, with what is allowed', () => {
  assert.throws(
    () => parseConfig({ hostname: 'a.test', dataDir: '/nonexistent', deliverability: { groups: [{ name: 'Gmail', perMinute: 0, mx: ['bad pattern'], foo: 1 }] } }),
    (err: Error) => {
      assert.match(err.message, /deliverability\.groups\[0\]\.foo: unknown key \(allowed: name, description, mx,/);
      assert.match(err.message, /deliverability\.groups\[0\]\.name: "Gmail" is not allowed \(allowed: lower-case letters/);
      assert.match(err.message, /deliverability\.groups\[0\]\.mx\[0\]: "bad pattern" is not allowed/);
      assert.match(err.message, /deliverability\.groups\[0\]\.perMinute: 0 is not allowed \(allowed: an integer of at least 1\)/);
      return true;
    },
  );
});
