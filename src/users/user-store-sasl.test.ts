// UserStore and the challenge-response mechanisms: SCRAM-SHA-256 keys made
// with the password (or at the next login for older users) and the
// CRAM-MD5 secret kept only when a key is given.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { UserStore, type UserStoreOptions } from './user-store.js';
import { deriveScramKeys } from './scram-keys.js';
import { loadOrCreateCramKey } from './cram-key.js';

type T = { after: (fn: () => void) => void };

function tempDir(t: T): string {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-sasl-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(t: T, dir: string, options?: UserStoreOptions): UserStore {
  const store = UserStore.open(dir, options);
  t.after(() => store.close());
  return store;
}

function dbBytes(dir: string): Buffer {
  return Buffer.concat(readdirSync(dir).filter((f) => f.startsWith('users.db')).map((f) => readFileSync(join(dir, f))));
}

describe('UserStore SCRAM and CRAM-MD5', { concurrency: true }, () => {
  it('scramCredentials: the keys of the main password, by address or unique local part', async (t) => {
    const store = open(t, tempDir(t));
    await store.add('user@example.com', 'pencil-pencil');
    const credentials = store.scramCredentials('user');
    assert.equal(credentials?.user, 'user@example.com');
    assert.ok((credentials?.iterations ?? 0) >= 4096);
    // The stored keys are those of the password with the stored salt.
    const expected = await deriveScramKeys('pencil-pencil', credentials?.salt, credentials?.iterations);
    assert.deepEqual(credentials?.storedKey, expected?.storedKey);
    assert.deepEqual(credentials?.serverKey, expected?.serverKey);
    assert.deepEqual(store.scramCredentials('USER@EXAMPLE.COM'), undefined, 'local part is case-sensitive');
    assert.deepEqual(store.scramCredentials('user@EXAMPLE.com'), credentials);
    assert.equal(store.scramCredentials('nobody'), undefined);

    await store.setPassword('user@example.com', 'another-password');
    assert.notDeepEqual(store.scramCredentials('user')?.storedKey, credentials?.storedKey, 'new keys with a new password');
    assert.equal(store.scramFakeSaltKey().length, 32);
    assert.notDeepEqual(open(t, tempDir(t)).scramFakeSaltKey(), store.scramFakeSaltKey(), 'each database has its own');
  });

  it('CRAM-MD5: nothing recoverable without a key; with one, the password sealed and recovered', async (t) => {
    const dir = tempDir(t);
    const plain = open(t, dir);
    await plain.add('tim@example.com', 'tanstaaftanstaaf');
    assert.equal(plain.cramSecret('tim'), undefined);

    const key = loadOrCreateCramKey(dir);
    const withKey = open(t, dir, { cramKey: key });
    assert.equal(withKey.cramSecret('tim'), undefined, 'made before the key: nothing yet');
    // The next password login keeps it.
    assert.equal((await withKey.authenticatePrincipal('tim', 'tanstaaftanstaaf', '127.0.0.1')).ok, true);
    assert.deepEqual(withKey.cramSecret('tim'), { user: 'tim@example.com', secret: 'tanstaaftanstaaf' });
    assert.equal(withKey.show('tim@example.com')?.hasCramSecret, true);
    // HMAC-MD5 with the recovered secret, as RFC 2195 §2 computes it.
    const digest = createHmac('md5', withKey.cramSecret('tim')?.secret ?? '').update('<1896.697170952@postoffice.reston.mci.net>').digest('hex');
    assert.equal(digest, 'b913a602c7eda7a495b4e6e7334d3890');

    await withKey.add('new@example.com', 'new-password');
    assert.equal(withKey.cramSecret('new@example.com')?.secret, 'new-password', 'sealed when the password is set');
    assert.equal(dbBytes(dir).indexOf('tanstaaftanstaaf'), -1, 'never in the clear');
    assert.equal(dbBytes(dir).indexOf('new-password'), -1, 'never in the clear');
    assert.equal(open(t, dir, { cramKey: Buffer.alloc(32, 1) }).cramSecret('tim'), undefined, 'another key opens nothing');

    // A password set without the key drops the old secret: it would be stale.
    await plain.setPassword('tim@example.com', 'changed-password');
    assert.equal(withKey.cramSecret('tim'), undefined);
  });

  it('users from before: an old users.db opens, logs in, and gets its SCRAM keys at the next login', async (t) => {
    const dir = tempDir(t);
    // The first version's schema and a row as it wrote them.
    const old = new Database(join(dir, 'users.db'));
    old.exec(`CREATE TABLE users (address TEXT PRIMARY KEY, local_part TEXT NOT NULL, password_hash TEXT NOT NULL, created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL) STRICT;
      CREATE INDEX users_by_local_part ON users (local_part);`);
    const { hashPassword } = await import('./password.js');
    old.prepare('INSERT INTO users VALUES (?, ?, ?, ?, ?)').run('old@example.com', 'old', await hashPassword('old-password'), 1, 1);
    old.close();

    const [a, b] = [open(t, dir), open(t, dir)]; // two processes upgrading at once
    assert.deepEqual(b.list().map((u) => u.address), ['old@example.com']);
    const shown = a.show('old@example.com');
    assert.deepEqual([shown?.maySendAs, shown?.senderCheck, shown?.quota, shown?.flag, shown?.hasScramKeys], [[], true, {}, undefined, false]);
    assert.equal(a.scramCredentials('old'), undefined);
    assert.equal(await a.authenticate('old@example.com', 'wrong-password'), undefined);
    assert.equal(a.scramCredentials('old'), undefined, 'a failed login makes nothing');
    assert.equal(await a.authenticate('old', 'old-password'), 'old@example.com');
    const keys = b.scramCredentials('old');
    assert.equal(keys?.user, 'old@example.com');
    assert.deepEqual((await deriveScramKeys('old-password', keys?.salt, keys?.iterations))?.storedKey, keys?.storedKey);
    a.addAppPassword('old@example.com', { label: 'new-feature' });
    assert.equal(b.listAppPasswords('old@example.com').length, 1);
  });
});
