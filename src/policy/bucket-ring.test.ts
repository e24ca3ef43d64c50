import test from 'node:test';
import assert from 'node:assert/strict';
import { BucketRing } from './bucket-ring.js';

test('BucketRing counts what fell inside the window and forgets bucket by bucket', () => {
  const ring = new BucketRing(60_000, 60); // one minute in 1-second buckets
  ring.add(0, 1);
  ring.add(500, 2);
  ring.add(30_000, 4);
  assert.equal(ring.total(30_000), 7);
  assert.equal(ring.total(59_999), 7);
  assert.equal(ring.total(60_000), 4); // bucket 0 (0–999 ms) left the window
  assert.equal(ring.total(89_999), 4);
  assert.equal(ring.total(90_000), 0);
});

test('BucketRing: a jump longer than the window clears everything', () => {
  const ring = new BucketRing(60_000, 60);
  ring.add(1_000, 5);
  assert.equal(ring.total(1_000_000), 0);
  ring.add(1_000_000, 1);
  assert.equal(ring.total(1_000_000), 1);
  assert.equal(ring.newest(1_000_000), 1);
});

test('BucketRing: time going backwards counts in the newest bucket', () => {
  const ring = new BucketRing(60_000, 60);
  ring.add(10_000, 1);
  ring.add(5_000, 1);
  assert.equal(ring.total(10_000), 2);
  assert.equal(ring.total(70_000), 0); // both left with bucket 10
});

test('BucketRing.fallsToMs: when enough old buckets have expired', () => {
  const ring = new BucketRing(60_000, 60);
  ring.add(0, 3); // bucket 0, leaves at 60 s
  ring.add(10_500, 2); // bucket 10, leaves at 70 s
  ring.add(20_000, 5); // bucket 20, leaves at 80 s
  assert.equal(ring.fallsToMs(10, 30_000), 30_000);
  assert.equal(ring.fallsToMs(9, 30_000), 60_000);
  assert.equal(ring.fallsToMs(7, 30_000), 60_000);
  assert.equal(ring.fallsToMs(6, 30_000), 70_000);
  assert.equal(ring.fallsToMs(0, 30_000), 80_000);
  assert.equal(ring.fallsToMs(-1, 30_000), Number.POSITIVE_INFINITY);
});

test('BucketRing: the bucket width scales down with a short window', () => {
  const ring = new BucketRing(2_000, 60);
  assert.equal(ring.bucketCount, 60);
  ring.add(0, 1);
  assert.equal(ring.total(1_999), 1);
  assert.equal(ring.total(2_000), 0);
  assert.equal(new BucketRing(10, 60).bucketCount, 10); // never narrower than 1 ms
});

test('BucketRing: saveInto and loadFrom round-trip; what expired meanwhile is dropped', () => {
  const ring = new BucketRing(60_000, 60);
  ring.add(1_000, 1); // gone by 70 s
  ring.add(50_000, 2); // leaves at 110 s
  ring.add(70_000, 4); // bucket 70: slot 10, so the window wraps around the array
  const saved = new Float64Array(ring.savedLength + 1);
  ring.saveInto(saved, 1, 70_000);
  assert.equal(saved[1], 70);
  const copy = new BucketRing(60_000, 60);
  assert.equal(copy.loadFrom(saved, 1, 70_000), true);
  assert.equal(copy.total(70_000), 6);
  assert.equal(copy.total(109_999), 6);
  assert.equal(copy.total(110_000), 4);
  assert.equal(copy.total(130_000), 0);
  const late = new BucketRing(60_000, 60);
  assert.equal(late.loadFrom(saved, 1, 125_000), true);
  assert.equal(late.total(125_000), 4);
});

test('BucketRing.loadFrom refuses what is not a ring and leaves the ring as it was', () => {
  const ring = new BucketRing(10_000, 10);
  ring.add(0, 5);
  const bad = [
    new Float64Array(5),
    Float64Array.of(0.5, ...new Array<number>(10).fill(0)),
    Float64Array.of(Number.NaN, ...new Array<number>(10).fill(0)),
    Float64Array.of(1, -1, ...new Array<number>(9).fill(0)),
    Float64Array.of(1, Number.POSITIVE_INFINITY, ...new Array<number>(9).fill(0)),
  ];
  for (const saved of bad) assert.equal(ring.loadFrom(saved, 0, 0), false);
  assert.equal(ring.total(0), 5);
});
