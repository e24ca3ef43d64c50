import test from 'node:test';
import assert from 'node:assert/strict';
import { SendingBrake, type BrakeTrip } from './brake.js';

const HOUR = 3_600_000;
const KEY = 'user:info@example.com';

test('SendingBrake: a new credential has no history, so the floor applies', () => {
  const trips: BrakeTrip[] = [];
  const brake = new SendingBrake({ onTrip: (trip) => trips.push(trip) });
  for (let i = 0; i < 100; i++) assert.equal(brake.record(KEY, i), false);
  assert.equal(brake.isBraked(KEY), false);
  assert.equal(brake.record(KEY, 100), true); // the 101st in the hour
  assert.equal(brake.isBraked(KEY), true);
  assert.deepEqual(trips, [{ key: KEY, current: 101, normal: 0, threshold: 100, atMs: 100 }]);
  assert.equal(brake.record(KEY, 101), true);
  assert.equal(trips.length, 1, 'onTrip is called once');
});

test('SendingBrake: a sender with a normal of 50 an hour trips past 500, not at 101', () => {
  const trips: BrakeTrip[] = [];
  const brake = new SendingBrake({ onTrip: (trip) => trips.push(trip) });
  for (let hour = 0; hour < 24; hour++) brake.record(KEY, hour * HOUR, 50);
  const now = 24 * HOUR;
  assert.deepEqual(brake.status(KEY, now), { current: 0, normal: 50, threshold: 500, braked: false });
  assert.equal(brake.record(KEY, now, 500), false);
  assert.equal(brake.record(KEY, now + 1), true);
  assert.equal(trips[0]?.threshold, 500);
  assert.equal(trips[0]?.current, 501);
});

test('SendingBrake: the normal is the mean over the last historyWindows windows', () => {
  const brake = new SendingBrake({ historyWindows: 4, floor: 1 });
  brake.record(KEY, 0, 400); // window 0: leaves the history at window 5
  for (let w = 1; w <= 4; w++) brake.record(KEY, w * HOUR, 0);
  assert.equal(brake.status(KEY, 4 * HOUR).normal, 100); // windows 0..3: 400 / 4
  assert.equal(brake.status(KEY, 5 * HOUR).normal, 0);
});

test('SendingBrake: the brake stays on across windows until released', () => {
  const brake = new SendingBrake({ floor: 10 });
  brake.record(KEY, 0, 11);
  assert.equal(brake.isBraked(KEY), true);
  assert.equal(brake.record(KEY, 5 * HOUR), true);
  assert.equal(brake.isBraked(KEY), true);
  assert.equal(brake.release(KEY), true);
  assert.equal(brake.release(KEY), false);
  assert.equal(brake.isBraked(KEY), false);
  assert.deepEqual(brake.braked(), []);
});

test('SendingBrake: after a release, the window so far is forgiven, but only that', () => {
  const brake = new SendingBrake({ floor: 10 });
  brake.record(KEY, 0, 11);
  brake.release(KEY);
  assert.equal(brake.record(KEY, 1, 10), false); // 10 more: within the threshold again
  assert.equal(brake.record(KEY, 2), true); // the 11th after the release
});

test('SendingBrake: keys are independent', () => {
  const brake = new SendingBrake({ floor: 1 });
  brake.record('user:a@example.com', 0, 2);
  assert.equal(brake.isBraked('user:a@example.com'), true);
  assert.equal(brake.isBraked('user:b@example.com'), false);
  assert.equal(brake.record('user:b@example.com', 0), false);
  assert.deepEqual(brake.braked().map((t) => t.key), ['user:a@example.com']);
});

test('SendingBrake: short windows for tests', () => {
  const brake = new SendingBrake({ windowMs: 100, historyWindows: 3, factor: 2, floor: 5 });
  for (let w = 0; w < 3; w++) brake.record(KEY, w * 100, 5);
  assert.deepEqual(brake.status(KEY, 300), { current: 0, normal: 5, threshold: 10, braked: false });
  assert.equal(brake.record(KEY, 350, 11), true);
});

test('SendingBrake: the snapshot keeps history and brakes; quiet keys are dropped', () => {
  const brake = new SendingBrake({ floor: 10 });
  brake.record('user:busy@example.com', 0, 50); // braked
  brake.record(KEY, 0, 5);
  brake.record(KEY, HOUR, 5);
  const changes = brake.takeChanges(HOUR, false);
  assert.equal(changes.length, 2);
  const copy = new SendingBrake({ floor: 10 });
  for (const { key, state } of changes) assert.equal(copy.restoreEntry(key, Buffer.from(state ?? []), HOUR), true);
  assert.equal(copy.isBraked('user:busy@example.com'), true);
  assert.deepEqual(copy.tripOf('user:busy@example.com'), brake.tripOf('user:busy@example.com'));
  assert.deepEqual(copy.status(KEY, HOUR), { current: 5, normal: 5, threshold: 50, braked: false });
  // A week and a bit later: the quiet key has no history left and is dropped; the braked one stays.
  const late = copy.takeChanges(200 * HOUR, false);
  assert.deepEqual(late, [{ key: KEY, state: null }]);
  assert.equal(copy.size, 1);
  const good = changes[0]?.state ?? new Uint8Array(0);
  const corrupt = (index: number, value: number): Uint8Array => {
    const bytes = Uint8Array.from(good);
    new DataView(bytes.buffer).setFloat64(index * 8, value, true);
    return bytes;
  };
  for (const bad of [new Uint8Array(0), good.subarray(8), corrupt(0, 0.5), corrupt(4, 2), corrupt(5, Number.NaN), corrupt(10, -1)]) {
    assert.equal(copy.restoreEntry('x', bad, 0), false);
  }
});

test('SendingBrake: a release survives a restart', () => {
  const brake = new SendingBrake({ floor: 10 });
  brake.record(KEY, 0, 11);
  brake.release(KEY);
  const copy = new SendingBrake({ floor: 10 });
  for (const { key, state } of brake.takeChanges(1, false)) assert.equal(copy.restoreEntry(key, state ?? new Uint8Array(0), 1), true);
  assert.equal(copy.record(KEY, 2, 10), false);
  assert.equal(copy.record(KEY, 3), true);
});
