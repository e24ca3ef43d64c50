import { test } from 'node:test';
import assert from 'node:assert/strict';
import { factorAt, fullAtMs, isSuspended, slowDown, suspend } from './backoff.js';

const s = { coolingPeriodMs: 1000, recoveryStepMs: 100, suspendPeriodMs: 5000, minHalvingGapMs: 50 };
const key = { source: 'default', group: 'gmail' };

test('a throttle halves the rate for the cooling period, then it recovers a quarter per step', () => {
  const rec = slowDown(undefined, s, key, 0, '421 4.7.28');
  assert.equal(factorAt(rec, s, 999), 0.5);
  assert.equal(factorAt(rec, s, 1000), 0.75);
  assert.equal(factorAt(rec, s, 1099), 0.75);
  assert.equal(factorAt(rec, s, 1100), 1);
  assert.equal(fullAtMs(rec, s), 1100);
});

test('replies in one burst halve once; a later one halves again', () => {
  const a = slowDown(undefined, s, key, 0, '421 4.7.28');
  const b = slowDown(a, s, key, 10, '421 4.7.28');
  assert.equal(b.factor, 0.5);
  const c = slowDown(b, s, key, 500, '421 4.7.28');
  assert.equal(c.factor, 0.25);
  assert.equal(c.coolUntilMs, 1500);
});

test('a suspension stops the group until its end, then it starts slowed', () => {
  const rec = suspend(undefined, s, key, 0, '550 5.7.606');
  assert.ok(isSuspended(rec, 4999));
  assert.ok(!isSuspended(rec, 5000));
  assert.equal(factorAt(rec, s, 5000), 0.75);
});
