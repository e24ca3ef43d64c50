import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, formatSize, parseDuration, parseSize } from './units.js';

test('durations: units, combinations, plain milliseconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('5d'), 432_000_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1h 30m'), 5_400_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('250'), 250);
  for (const bad of ['', 'm', '5x', '5 minutes', '-5s', 's5', '5m x', '1e3']) assert.equal(parseDuration(bad), undefined, bad);
});

test('sizes: decimal and binary units, plain bytes', () => {
  assert.equal(parseSize('35MB'), 35_000_000);
  assert.equal(parseSize('35MiB'), 35 * 1024 * 1024);
  assert.equal(parseSize('10MiB'), 10 * 1024 * 1024);
  assert.equal(parseSize('512k'), 512_000);
  assert.equal(parseSize('512KiB'), 512 * 1024);
  assert.equal(parseSize('1gb'), 1e9);
  assert.equal(parseSize('2 GiB'), 2 * 1024 ** 3);
  assert.equal(parseSize('1024'), 1024);
  assert.equal(parseSize('100B'), 100);
  for (const bad of ['', 'MB', '10XB', '-1MB', '1MBB']) assert.equal(parseSize(bad), undefined, bad);
});

test('formatting gives the shortest exact form, which parses back', () => {
  assert.equal(formatDuration(300_000), '5m');
  assert.equal(formatDuration(604_800_000), '7d');
  assert.equal(formatDuration(1500), '1500ms');
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatSize(35 * 1024 * 1024), '35MiB');
  assert.equal(formatSize(35_000_000), '35MB');
  assert.equal(formatSize(1001), '1001');
  for (const ms of [1, 999, 1000, 61_000, 3_600_000, 90_061_001]) assert.equal(parseDuration(formatDuration(ms)), ms);
  for (const bytes of [1, 1000, 1024, 1_048_576, 36_700_160, 123_456_789]) assert.equal(parseSize(formatSize(bytes)), bytes);
});
