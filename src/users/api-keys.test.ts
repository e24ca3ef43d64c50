import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyStore, apiKeyId, generateApiKey } from './api-keys.js';
import { UserStore } from './user-store.js';

test('keys: hk_ and 40 base32 characters; the id is their start; anything else is no key', () => {
  const key = generateApiKey();
  assert.match(key, /^hk_[a-z2-7]{40}$/);
  assert.equal(apiKeyId(key), key.slice(3, 11));
  assert.equal(apiKeyId(key.toUpperCase()), undefined);
  assert.equal(apiKeyId(key.slice(0, -1)), undefined);
  assert.equal(apiKeyId('abcd-efgh-ijkl-mnop-qrst-uvwx-yz23'), undefined);
});

test('create, find by the key only, list without secrets, revoke by label or id; users.db shared with the accounts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-apikeys-'));
  try {
    const users = UserStore.open(dir);
    await users.add('shop@Example.COM', 'a long enough password');
    const keys = ApiKeyStore.open(dir);
    assert.throws(() => keys.create('nobody@example.com', 'x'), /no such user/);
    assert.throws(() => keys.create('shop@example.com', 'bad label'), /invalid label/);
    const a = keys.create('shop@EXAMPLE.com', 'wordpress');
    const b = keys.create('shop@example.com', 'cron');
    assert.throws(() => keys.create('shop@example.com', 'cron'), /already has an API key labelled cron/);
    assert.equal(a.record.user, 'shop@example.com');
    assert.deepEqual(keys.find(a.key), a.record);
    assert.equal(keys.find(a.key.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'))), undefined);
    assert.deepEqual(keys.list().map((k) => k.label), ['cron', 'wordpress']);
    assert.ok(!JSON.stringify(keys.list()).includes(a.key.slice(11)), 'no secret in the listing');
    assert.equal(keys.revoke('shop@example.com', 'wordpress'), true);
    assert.equal(keys.revoke('shop@example.com', b.record.id), true);
    assert.equal(keys.revoke('shop@example.com', 'cron'), false);
    assert.equal(keys.find(a.key), undefined);
    // A removed user's keys die with it, also when the address is added again.
    const c = keys.create('shop@example.com', 'again');
    assert.ok(keys.find(c.key));
    users.remove('shop@example.com');
    assert.equal(keys.find(c.key), undefined);
    await new Promise((r) => setTimeout(r, 5));
    await users.add('shop@example.com', 'a long enough password');
    assert.equal(keys.find(c.key), undefined, 'not revived by a new user of the same address');
        // The accounts still open and work beside the new table.
    assert.equal(await users.authenticate('shop@example.com', 'a long enough password'), 'shop@example.com');
    keys.close();
    users.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('version() changes with any change to users.db: another connection\'s commit or a write of its own', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-apikeys-'));
  try {
    const users = UserStore.open(dir);
    await users.add('shop@example.com', 'a long enough password');
    const keys = ApiKeyStore.open(dir);
    const cli = ApiKeyStore.open(dir); // as `hikyaku apikey …` in another process
    const v0 = keys.version();
    assert.equal(keys.version(), v0, 'unchanged while nothing is written');
    const made = cli.create('shop@example.com', 'shop');
    const v1 = keys.version();
    assert.notEqual(v1, v0, 'a key created through another connection');
    cli.revoke('shop@example.com', 'shop');
    const v2 = keys.version();
    assert.notEqual(v2, v1, 'a key revoked through another connection');
    users.flag('shop@example.com', undefined, 'test');
    const v3 = keys.version();
    assert.notEqual(v3, v2, 'the user flagged (UserStore)');
    keys.revoke('shop@example.com', made.record.id);
    assert.notEqual(keys.version(), v3, 'its own write');
    cli.close();
    keys.close();
    users.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
