import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chosenStore, StoreChoiceError, withoutPassword } from './open-queue-store.js';

test('HIKYAKU_STORE wins over the store setting; unset or empty leaves the setting', () => {
  const config = { store: 'embedded' };
  assert.equal(chosenStore(config, {}), 'embedded');
  assert.equal(chosenStore(config, { HIKYAKU_STORE: '' }), 'embedded');
  assert.equal(chosenStore(config, { HIKYAKU_STORE: 'postgres://h@db/q' }), 'postgres://h@db/q');
  assert.equal(chosenStore({ store: 'postgresql://h@db/q' }, { HIKYAKU_STORE: 'embedded' }), 'embedded');
});

test('a bad HIKYAKU_STORE is refused, naming the variable and what is allowed, in both languages', () => {
  assert.throws(() => chosenStore({ store: 'embedded' }, { HIKYAKU_STORE: 'mysql://x' }), (err: unknown) => {
    assert.ok(err instanceof StoreChoiceError);
    assert.match(err.message, /^HIKYAKU_STORE: not allowed \(allowed: embedded, or postgres:\/\//);
    assert.match(err.ja, /^HIKYAKU_STORE: 使えない値です/);
    return true;
  });
});

test('a store URL is shown without its password', () => {
  assert.equal(withoutPassword('postgres://hikyaku:s3cret@db.example.com:5432/q'), 'postgres://hikyaku:***@db.example.com:5432/q');
  assert.equal(withoutPassword('postgres://hikyaku@db/q'), 'postgres://hikyaku@db/q');
});
