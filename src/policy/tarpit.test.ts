import test from 'node:test';
import assert from 'node:assert/strict';
import { tarpitDelayMs } from './tarpit.js';

test('tarpitDelayMs doubles from the base delay up to the cap', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((n) => tarpitDelayMs(n)), [0, 1000, 2000, 4000, 8000, 8000, 8000]);
});

test('tarpitDelayMs takes a short base for tests and a custom cap', () => {
  assert.deepEqual([0, 1, 2, 3].map((n) => tarpitDelayMs(n, { baseDelayMs: 50 })), [0, 50, 100, 200]);
  assert.equal(tarpitDelayMs(10, { baseDelayMs: 50, maxDelayMs: 300 }), 300);
});

test('tarpitDelayMs: nonsense counts give no delay, huge ones the cap', () => {
  assert.equal(tarpitDelayMs(-1), 0);
  assert.equal(tarpitDelayMs(Number.NaN), 0);
  assert.equal(tarpitDelayMs(1e9), 8000);
});
