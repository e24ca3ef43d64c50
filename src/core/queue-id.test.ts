import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newQueueId } from './queue-id.js';

test('queue ids are 17 Crockford base32 characters, sort by time and do not repeat', () => {
  const ids = Array.from({ length: 2000 }, (_, i) => newQueueId(1_764_320_000_000 + i));
  for (const id of ids) assert.match(id, /^[0-9A-HJKMNP-TV-Z]{17}$/);
  assert.deepEqual([...ids].sort(), ids, 'later ids sort after earlier ones');
  assert.equal(new Set(ids).size, ids.length);
  const same = new Set(Array.from({ length: 2000 }, () => newQueueId(1_764_320_000_000)));
  assert.equal(same.size, 2000, 'the random part separates ids of the same millisecond');
  assert.equal(newQueueId(0).slice(0, 9), '000000000');
});
