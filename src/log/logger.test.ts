import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, isoTimestamp, withoutSecrets } from './logger.js';

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

test('secret fields are written as [secret] (password, pass, one object down, auth.credentials); other lines untouched', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-log-'));
  try {
    const file = join(dir, 'log.jsonl');
    const logger = createLogger({ level: 'info', file, format: 'json' });
    const user = { name: 'taro', password: 'hunter2' };
    logger.info({ password: 'p1', pass: 'p2', user, auth: { credentials: 'c3', method: 'PLAIN' }, rcptTo: ['a@example.com'] }, 'with secrets');
    logger.info({ event: 'accepted', queueId: 'Q1', size: 10, nested: { ok: 1 } }, 'no secrets');
    logger.error({ err: new Error('boom'), password: undefined }, 'an error');
    await new Promise<void>((resolve, reject) => logger.flush((err) => (err ? reject(err) : resolve())));
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const [withSecrets, plain, error] = lines;
    assert.equal(withSecrets?.['password'], '[secret]');
    assert.equal(withSecrets?.['pass'], '[secret]');
    assert.deepEqual(withSecrets?.['user'], { name: 'taro', password: '[secret]' });
    assert.deepEqual(withSecrets?.['auth'], { credentials: '[secret]', method: 'PLAIN' });
    assert.deepEqual(withSecrets?.['rcptTo'], ['a@example.com']);
    assert.ok(!readFileSync(file, 'utf8').includes('hunter2') && !readFileSync(file, 'utf8').includes('"p1"'));
    // The caller's objects are not changed.
    assert.equal(user.password, 'hunter2');
    assert.deepEqual(plain?.['nested'], { ok: 1 });
    assert.equal(plain?.['queueId'], 'Q1');
    assert.equal((error?.['err'] as { message?: string } | undefined)?.message, 'boom');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('withoutSecrets returns the same object when there is nothing to hide', () => {
  const line = { event: 'delivery', rcptTo: 'a@example.com', relay: 'mx', nested: { a: 1 } };
  assert.equal(withoutSecrets(line), line);
});
