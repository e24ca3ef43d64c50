import test from 'node:test';
import assert from 'node:assert/strict';
import { RecencyMap } from './recency-map.js';

interface Entry {
  untilMs: number;
}
const idleAfter = (entry: Entry, nowMs: number): boolean => nowMs >= entry.untilMs;

test('RecencyMap never holds more than its cap; the entry just touched always stays', () => {
  for (const cap of [1, 2, 3]) {
    const map = new RecencyMap<Entry>(cap, idleAfter);
    for (const key of ['a', 'b', 'c', 'a', 'd']) {
      map.touch(key, { untilMs: 1000 }, 0);
      assert.ok(map.get(key), `cap ${cap}: ${key} kept`);
      assert.ok(map.size <= cap);
    }
  }
});

test('RecencyMap evicts the oldest entry first', () => {
  const map = new RecencyMap<Entry>(2, () => true); // everything idle: no rotation, pure insertion order
  map.touch('a', { untilMs: 0 }, 0);
  map.touch('b', { untilMs: 0 }, 0);
  assert.equal(map.size, 1); // a was idle and tidied away
  const keep = new RecencyMap<Entry>(2, idleAfter);
  keep.touch('a', { untilMs: 9 }, 0);
  keep.touch('b', { untilMs: 9 }, 0); // looks at a: busy, moves it young: b, a
  keep.touch('c', { untilMs: 9 }, 0); // b is oldest now and goes
  assert.deepEqual([keep.get('a') !== undefined, keep.get('b') !== undefined, keep.get('c') !== undefined], [true, false, true]);
});

test('RecencyMap stays at its cap under a flood of a million new keys', () => {
  const map = new RecencyMap<Entry>(1000, idleAfter);
  for (let i = 0; i < 1_000_000; i++) map.touch(`k${i}`, { untilMs: Number.POSITIVE_INFINITY }, i);
  assert.equal(map.size, 1000);
  assert.ok(map.get('k999999'));
  assert.equal(map.get('k0'), undefined);
});

test('RecencyMap removes idle entries as it is used, without a timer', () => {
  const map = new RecencyMap<Entry>(100, idleAfter);
  for (let i = 0; i < 10; i++) map.touch(`old${i}`, { untilMs: 100 }, 0);
  map.touch('busy', { untilMs: 10_000 }, 0);
  for (let i = 0; i < 10; i++) map.touch('new', { untilMs: 10_000 }, 200 + i);
  assert.equal(map.size, 2);
  assert.ok(map.get('busy'));
  assert.ok(map.holds('new', map.get('new') as Entry));
});
