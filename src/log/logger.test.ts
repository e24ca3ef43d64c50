import test from 'node:test';
import assert from 'node:assert/strict';
import { isoTimestamp } from './logger.js';

test('isoTimestamp writes the time as pino isoTime does, to the millisecond', () => {
  for (let i = 0; i < 2000; i++) {
    const before = Date.now();
    const text = isoTimestamp();
    const after = Date.now();
    const m = /^,"time":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"$/.exec(text);
    assert.ok(m, text);
    const ms = Date.parse(m[1]!);
    assert.ok(ms >= before && ms <= after, `${m[1]} within [${before}, ${after}]`);
    assert.equal(new Date(ms).toISOString(), m[1]);
  }
});
