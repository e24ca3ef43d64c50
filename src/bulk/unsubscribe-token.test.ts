import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateUnsubscribeKey, unsubscribeKeyPath, UnsubscribeTokens } from './unsubscribe-token.js';

test('a token names its recipient and domain; an edited, truncated or foreign token is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-unsub-'));
  const key = loadOrCreateUnsubscribeKey(dir);
  assert.equal(statSync(unsubscribeKeyPath(dir)).mode & 0o777, 0o600);
  assert.deepEqual(loadOrCreateUnsubscribeKey(dir), key, 'the same key on the next start');
  const tokens = new UnsubscribeTokens(key);
  const token = tokens.create({ sendingDomain: 'shop.example', recipient: 'Taro.Yamada@example.jp' });
  assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  assert.deepEqual(tokens.verify(token), { sendingDomain: 'shop.example', recipient: 'Taro.Yamada@example.jp' });

  const other = new UnsubscribeTokens(Buffer.alloc(32, 7));
  assert.equal(other.verify(token), undefined, 'another key');
  const [payload, mac] = token.split('.') as [string, string];
  const forged = Buffer.from('u1\0shop.example\0someone-else@example.jp').toString('base64url');
  assert.equal(tokens.verify(`${forged}.${mac}`), undefined, 'another recipient');
  assert.equal(tokens.verify(`${payload}.${mac.slice(0, -2)}`), undefined, 'truncated');
  assert.equal(tokens.verify(payload), undefined, 'no MAC');
  assert.equal(tokens.verify(''), undefined);
});
