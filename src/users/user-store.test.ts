import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserStore, UserStoreError } from './user-store.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-users-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(t: { after: (fn: () => void) => void }, dir: string): UserStore {
  const store = UserStore.open(dir);
  t.after(() => store.close());
  return store;
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof UserStoreError && err.code === code);
}

// scrypt is slow by design (~0.1 s a hash): the tests run side by side and
// independent checks run in parallel, to keep this file quick on two cores.
describe('UserStore', { concurrency: true }, () => {
it('add, list, change password, remove', async (t) => {
  const dir = tempDir(t);
  const store = open(t, dir);
  const before = Date.now();
  await Promise.all([store.add('alice@Example.COM', 'first password'), store.add('bob@example.com', 'bobs password')]);

  const users = store.list();
  assert.deepEqual(users.map((u) => u.address), ['alice@example.com', 'bob@example.com']);
  assert.ok((users[0]?.createdAtMs ?? 0) >= before);
  assert.equal(users[0]?.createdAtMs, users[0]?.updatedAtMs);

  assert.equal(await store.authenticate('alice@example.com', 'first password'), 'alice@example.com');
  await store.setPassword('alice@EXAMPLE.com', 'second password');
  assert.deepEqual(
    await Promise.all([store.authenticate('alice@example.com', 'first password'), store.authenticate('alice@example.com', 'second password')]),
    [undefined, 'alice@example.com'],
  );
  assert.ok((store.list()[0]?.updatedAtMs ?? 0) >= (store.list()[0]?.createdAtMs ?? Infinity));

  assert.equal(store.remove('alice@example.com'), true);
  assert.equal(store.remove('alice@example.com'), false);
  assert.deepEqual(store.list().map((u) => u.address), ['bob@example.com']);
  assert.equal(await store.authenticate('alice@example.com', 'second password'), undefined);
});

it('refused changes: duplicate, invalid address, short password, missing user', async (t) => {
  const store = open(t, tempDir(t));
  await store.add('carol@example.com', 'long enough');
  await rejectsWith(store.add('carol@EXAMPLE.com', 'another one'), 'exists');
  await rejectsWith(store.add('no-at-sign', 'long enough'), 'invalid-address');
  await rejectsWith(store.add('dave@localhost', 'long enough'), 'invalid-address');
  await rejectsWith(store.add('dave@example.com', 'short'), 'weak-password');
  // Eight characters, counted as characters, not UTF-16 units or bytes.
  await rejectsWith(store.add('dave@example.com', '🔑🔑🔑🔑🔑🔑🔑'), 'weak-password');
  await store.add('dave@example.com', '🔑🔑🔑🔑🔑🔑🔑🔑');
  await rejectsWith(store.setPassword('nobody@example.com', 'long enough'), 'not-found');
  await rejectsWith(store.setPassword('carol@example.com', 'short'), 'weak-password');
  assert.deepEqual(store.list().map((u) => u.address), ['carol@example.com', 'dave@example.com']);
});

it('login: full address with any domain case, or a local part that is unique', async (t) => {
  const store = open(t, tempDir(t));
  await store.add('info@a.example', 'password-a');

  assert.deepEqual(
    await Promise.all([
      store.authenticate('info@A.Example', 'password-a'),
      store.authenticate('info', 'password-a'),
      // The local part is case-sensitive (RFC 5321 §2.4).
      store.authenticate('INFO@a.example', 'password-a'),
    ]),
    ['info@a.example', 'info@a.example', undefined],
  );

  // Once two users share a local part, it no longer identifies anyone.
  await store.add('info@b.example', 'password-b');
  assert.deepEqual(
    await Promise.all([
      store.authenticate('info', 'password-a'),
      store.authenticate('info', 'password-b'),
      store.authenticate('info@b.example', 'password-b'),
    ]),
    [undefined, undefined, 'info@b.example'],
  );
});

it('wrong passwords and unknown users are refused', async (t) => {
  const store = open(t, tempDir(t));
  await store.add('erin@example.com', 'the right one');
  const attempts: Array<[string, string]> = [
    ['erin@example.com', 'the wrong one'],
    ['erin@example.com', 'the right one '],
    ['nobody@example.com', 'the right one'],
    ['nobody', 'the right one'],
  ];
  const results = await Promise.all(attempts.map(([login, password]) => store.authenticate(login, password)));
  assert.deepEqual(results, attempts.map(() => undefined));
  assert.equal(await store.authenticate('erin@example.com', 'the right one'), 'erin@example.com');
});

it('changes made by another process (another store on the same directory) apply at once', async (t) => {
  const dir = tempDir(t);
  const server = open(t, dir);
  const cli = open(t, dir);

  assert.equal(await server.authenticate('frank@example.com', 'password one'), undefined);
  await cli.add('frank@example.com', 'password one');
  assert.equal(await server.authenticate('frank@example.com', 'password one'), 'frank@example.com');
  await cli.setPassword('frank@example.com', 'password two');
  assert.equal(await server.authenticate('frank@example.com', 'password one'), undefined);
  assert.equal(await server.authenticate('frank@example.com', 'password two'), 'frank@example.com');
  assert.equal(cli.remove('frank@example.com'), true);
  assert.equal(await server.authenticate('frank@example.com', 'password two'), undefined);
  assert.deepEqual(server.list(), []);
});

it('the database is private to its owner and holds no plaintext password', async (t) => {
  const dir = tempDir(t);
  const store = open(t, dir);
  const secret = 'Plaintext-Canary-7f3a9c';
  await Promise.all([store.add('grace@example.com', secret), store.add('heidi@example.com', `${secret}-2`)]);

  assert.equal(statSync(join(dir, 'users.db')).mode & 0o777, 0o600);
  // Every file SQLite wrote (database, WAL, shared memory), as raw bytes.
  const files = readdirSync(dir).filter((f) => f.startsWith('users.db'));
  assert.ok(files.includes('users.db-wal'), `WAL mode: ${files.join(', ')}`);
  for (const file of files) {
    const bytes = readFileSync(join(dir, file));
    assert.equal(bytes.indexOf(secret), -1, `${file} contains the password`);
    assert.equal(bytes.indexOf(Buffer.from(secret, 'utf16le')), -1, `${file} contains the password (UTF-16)`);
    assert.equal(statSync(join(dir, file)).mode & 0o077, 0, `${file} is readable by others`);
  }
  // The hash is there instead (so the grep above looked at the right bytes).
  const all = Buffer.concat(files.map((f) => readFileSync(join(dir, f))));
  assert.ok(all.includes('$scrypt$N=32768,r=8,p=1$'));
  assert.ok(all.includes('grace@example.com'));
});
});
