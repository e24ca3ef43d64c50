import test from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { QuotaCounter, type QuotaKey } from './quota-counter.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const user = (limitPerHour?: number, limitPerDay?: number): QuotaKey => ({ key: 'user:info@example.com', limitPerHour, limitPerDay });

test('QuotaCounter: the hour limit refuses the message that would exceed it', () => {
  const quota = new QuotaCounter();
  const keys = [user(3, 100)];
  for (let i = 0; i < 3; i++) assert.equal(quota.consume(keys, 1_000 + i), undefined);
  const exceeded = quota.check(keys, 2_000);
  assert.deepEqual(exceeded, { key: 'user:info@example.com', window: 'hour', limit: 3, used: 3, resetsAtMs: HOUR });
  assert.equal(quota.consume(keys, 2_000)?.window, 'hour');
  assert.deepEqual(quota.usage('user:info@example.com', 2_000), { hour: 3, day: 3 }); // the refused one was not counted
});

test('QuotaCounter: the window slides minute by minute, and resetsAtMs says when one more fits', () => {
  const quota = new QuotaCounter();
  const keys = [user(3)];
  quota.record(keys, 0); // minute 0: leaves the window at 60:00
  quota.record(keys, 10 * MINUTE + 5_000); // minute 10: leaves at 70:00
  quota.record(keys, 20 * MINUTE);
  assert.equal(quota.check(keys, 30 * MINUTE)?.resetsAtMs, HOUR);
  assert.equal(quota.check(keys, HOUR - 1)?.used, 3);
  assert.equal(quota.check(keys, HOUR), undefined);
  assert.deepEqual(quota.usage('user:info@example.com', HOUR), { hour: 2, day: 3 });
  // Two more at 60:00 leave four in the hour: one more fits only when the 10:05 and 20:00 ones have left.
  quota.record(keys, HOUR, 2);
  assert.equal(quota.check(keys, HOUR)?.resetsAtMs, 80 * MINUTE);
});

test('QuotaCounter: the day limit, and of several breaches the one that resets last', () => {
  const quota = new QuotaCounter();
  const keys: QuotaKey[] = [user(1000, 5), { key: 'domain:example.com', limitPerHour: 2 }];
  quota.record(keys, 0, 5);
  // At minute 30 the domain's hour limit is broken too, but the day limit lasts longer.
  assert.equal(quota.check([{ key: 'domain:example.com', limitPerHour: 2 }], 30 * MINUTE)?.resetsAtMs, HOUR);
  assert.equal(quota.check(keys, 30 * MINUTE)?.window, 'day');
  const exceeded = quota.check(keys, HOUR);
  assert.deepEqual(exceeded, { key: 'user:info@example.com', window: 'day', limit: 5, used: 5, resetsAtMs: 24 * HOUR });
});

test('QuotaCounter: keys count separately; no limit means no refusal; limit 0 never resets', () => {
  const quota = new QuotaCounter();
  quota.record([{ key: 'app:info@example.com/wordpress' }], 0, 50);
  assert.deepEqual(quota.usage('app:info@example.com/wordpress', 0), { hour: 50, day: 50 });
  assert.deepEqual(quota.usage('user:info@example.com', 0), { hour: 0, day: 0 });
  assert.equal(quota.check([{ key: 'app:info@example.com/wordpress' }], 0), undefined);
  assert.equal(quota.check([{ key: 'new', limitPerHour: 0 }], 0)?.resetsAtMs, Number.POSITIVE_INFINITY);
  assert.equal(quota.check([user(10)], 0, 11)?.resetsAtMs, Number.POSITIVE_INFINITY); // a batch larger than the limit
});

test('QuotaCounter: short windows for tests, with real time', async () => {
  const quota = new QuotaCounter({ hourMs: 200, dayMs: 400 });
  const keys = [user(2, 3)];
  assert.equal(quota.consume(keys, Date.now()), undefined);
  assert.equal(quota.consume(keys, Date.now()), undefined);
  const exceeded = quota.consume(keys, Date.now());
  assert.equal(exceeded?.window, 'hour');
  await sleep(Math.max(0, (exceeded?.resetsAtMs ?? 0) - Date.now()) + 5);
  assert.equal(quota.consume(keys, Date.now()), undefined); // the hour slid on; the day (3) is now full
  assert.equal(quota.consume(keys, Date.now())?.window, 'day');
});

test('QuotaCounter: snapshots carry the changed keys only and drop empty ones', () => {
  const quota = new QuotaCounter();
  quota.record([{ key: 'a' }, { key: 'b' }], 0);
  const first = quota.takeChanges(0, false);
  assert.deepEqual(first.map((c) => c.key).sort(), ['a', 'b']);
  assert.equal(first[0]?.state?.byteLength, (61 + 25) * 8);
  assert.deepEqual(quota.takeChanges(1, false), []);
  quota.record([{ key: 'a' }], 2);
  assert.deepEqual(quota.takeChanges(2, false).map((c) => c.key), ['a']);
  assert.equal(quota.takeChanges(3, true).length, 2);
  const later = quota.takeChanges(25 * HOUR, false);
  assert.deepEqual(later, [{ key: 'a', state: null }, { key: 'b', state: null }]);
  assert.equal(quota.size, 0);
});

test('QuotaCounter: restoreEntry brings saved counts back and refuses garbage', () => {
  const quota = new QuotaCounter();
  quota.record([{ key: 'a' }], 5 * MINUTE, 4);
  const [change] = quota.takeChanges(5 * MINUTE, false);
  const bytes = Buffer.from(change?.state ?? []); // as SQLite hands it back
  const copy = new QuotaCounter();
  assert.equal(copy.restoreEntry('a', bytes, 6 * MINUTE), true);
  assert.deepEqual(copy.usage('a', 6 * MINUTE), { hour: 4, day: 4 });
  assert.deepEqual(copy.usage('a', 66 * MINUTE), { hour: 0, day: 4 });
  const nan = Uint8Array.from(bytes);
  new DataView(nan.buffer).setFloat64(8, Number.NaN, true);
  for (const bad of [new Uint8Array(0), bytes.subarray(8), Buffer.from('{"h":[]}'), nan]) {
    assert.equal(copy.restoreEntry('b', bad, 0), false);
  }
  assert.equal(copy.size, 1);
  assert.equal(new QuotaCounter({ hourMs: 1000 }).restoreEntry('a', bytes, 0), true, 'same layout, so the store must check the settings');
});
