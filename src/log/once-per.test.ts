import test from 'node:test';
import assert from 'node:assert/strict';
import { OncePer } from './once-per.js';

test('OncePer allows a key once per interval, each key on its own', () => {
  const once = new OncePer(1000);
  assert.equal(once.allow('a', 0), true);
  assert.equal(once.allow('a', 999), false);
  assert.equal(once.allow('b', 999), true);
  assert.equal(once.allow('a', 1000), true);
  assert.equal(once.allow('a', 1500), false);
});

test('OncePer stays bounded: past maxKeys it forgets and allows again', () => {
  const once = new OncePer(60_000, 2);
  assert.equal(once.allow('a', 0), true);
  assert.equal(once.allow('b', 0), true);
  assert.equal(once.allow('a', 1), false);
  assert.equal(once.allow('c', 2), true); // over the bound: the map was cleared
  assert.equal(once.allow('a', 3), true);
});
