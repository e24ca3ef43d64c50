// UserStore: sender patterns, sender check, quota overrides, app passwords,
// flags and principals, on real SQLite files in temporary directories.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserStore, UserStoreError } from './user-store.js';

type T = { after: (fn: () => void) => void };

function tempDir(t: T): string {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-accounts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(t: T, dir: string = tempDir(t)): UserStore {
  const store = UserStore.open(dir);
  t.after(() => store.close());
  return store;
}

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof UserStoreError && err.code === code);
}

describe('UserStore accounts', { concurrency: true }, () => {
  it('sender patterns, sender check and quota overrides: set, shown, cleared', async (t) => {
    const store = open(t);
    await store.add('info@Example.com', 'password-1', { maySendAs: ['*@Example.com', 'sales@shop.example'], quota: { messagesPerHour: 50 } });
    let shown = store.show('info@example.com');
    assert.deepEqual(shown?.maySendAs, ['*@example.com', 'sales@shop.example']);
    assert.equal(shown?.senderCheck, true, 'on by default');
    assert.deepEqual(shown?.quota, { messagesPerHour: 50 });
    assert.equal(shown?.flag, undefined);
    assert.equal(shown?.hasScramKeys, true, 'SCRAM keys made with the password');
    assert.equal(shown?.hasCramSecret, false, 'no CRAM-MD5 key, nothing recoverable');

    store.update('info@example.com', { senderCheck: false, quota: { messagesPerDay: 200, messagesPerHour: null, recipientsPerMessage: 10 } });
    shown = store.show('info@example.com');
    assert.equal(shown?.senderCheck, false);
    assert.deepEqual(shown?.quota, { messagesPerDay: 200, recipientsPerMessage: 10 });
    store.update('info@example.com', { maySendAs: [] });
    assert.deepEqual(store.show('info@example.com')?.maySendAs, [], 'back to the default');
    assert.deepEqual(store.principalFor('info@example.com'), {
      user: 'info@example.com',
      credential: { kind: 'password' },
      credentialName: 'password',
      maySendAs: [],
      senderCheck: false,
      quota: { messagesPerDay: 200, recipientsPerMessage: 10 },
      userQuota: { messagesPerDay: 200, recipientsPerMessage: 10 },
      flagged: false,
    });
    assert.equal(store.show('nobody@example.com'), undefined);
    assert.equal(store.principalFor('nobody@example.com'), undefined);
  });

  it('invalid settings are refused, naming the value, and change nothing', async (t) => {
    const store = open(t);
    await assert.rejects(store.add('a@example.com', 'password-1', { maySendAs: ['*'] }), /invalid sender pattern: "\*"/);
    assert.deepEqual(store.list(), [], 'not added');
    await store.add('a@example.com', 'password-1');
    throwsCode(() => store.update('a@example.com', { maySendAs: ['ok@example.com', 'no at sign'] }), 'invalid-pattern');
    throwsCode(() => store.update('a@example.com', { quota: { messagesPerHour: 0 } }), 'invalid-quota');
    throwsCode(() => store.update('a@example.com', { quota: { messagesPerDay: 1.5 } }), 'invalid-quota');
    throwsCode(() => store.update('b@example.com', { senderCheck: false }), 'not-found');
    assert.deepEqual(store.show('a@example.com')?.maySendAs, []);
    throwsCode(() => store.addAppPassword('a@example.com', { label: 'has space' }), 'invalid-label');
    throwsCode(() => store.addAppPassword('a@example.com', { label: 'x', networks: ['10.0.0.0/33'] }), 'invalid-network');
    throwsCode(() => store.addAppPassword('a@example.com', { label: 'x', maySendAs: ['*@*'] }), 'invalid-pattern');
    throwsCode(() => store.addAppPassword('nobody@example.com', { label: 'x' }), 'not-found');
    assert.deepEqual(store.listAppPasswords('a@example.com'), []);
  });

  it('app passwords: shown once, log in as the user, own patterns, quotas and networks; revoked separately', async (t) => {
    const dir = tempDir(t);
    const store = open(t, dir);
    await store.add('shop@example.com', 'main-password', { maySendAs: ['*@example.com'], quota: { messagesPerHour: 100, messagesPerDay: 1000 } });
    const wp = store.addAppPassword('shop@example.com', { label: 'wordpress-shop', maySendAs: ['orders@example.com'], networks: ['192.0.2.0/24'], quota: { messagesPerHour: 20 } });
    const phone = store.addAppPassword('shop@example.com', { label: 'phone' });
    assert.match(wp, /^[a-z2-7]{4}(?:-[a-z2-7]{4}){6}$/);
    throwsCode(() => store.addAppPassword('shop@example.com', { label: 'phone' }), 'exists');

    const fromShop = await store.authenticatePrincipal('shop@example.com', wp, '192.0.2.10');
    assert.deepEqual(fromShop, {
      ok: true,
      principal: {
        user: 'shop@example.com',
        credential: { kind: 'app-password', label: 'wordpress-shop' },
        credentialName: 'app-password:wordpress-shop',
        maySendAs: ['orders@example.com'],
        senderCheck: true,
        quota: { messagesPerHour: 20, messagesPerDay: 1000 },
        userQuota: { messagesPerHour: 100, messagesPerDay: 1000 },
        flagged: false,
      },
    });
    assert.deepEqual(store.principalFor('shop@example.com', 'wordpress-shop'), fromShop.ok ? fromShop.principal : undefined);
    const results = await Promise.all([
      store.authenticatePrincipal('shop@example.com', wp, '198.51.100.1'),
      store.authenticatePrincipal('shop', wp.toUpperCase().replace(/-/g, ' '), '::ffff:192.0.2.10'),
      store.authenticatePrincipal('shop@example.com', phone, '198.51.100.1'),
      store.authenticatePrincipal('shop@example.com', 'main-password', '198.51.100.1'),
      store.authenticatePrincipal('other@example.com', phone, '198.51.100.1'),
      store.authenticate('shop@example.com', wp), // no client address: a network-limited app password is refused
      store.authenticate('shop@example.com', phone),
    ]);
    assert.deepEqual(
      results.map((r) => (typeof r === 'object' ? (r.ok ? r.principal.credentialName : r.reason) : r)),
      ['network-not-allowed', 'app-password:wordpress-shop', 'app-password:phone', 'password', 'bad-credentials', undefined, 'shop@example.com'],
    );

    const listed = store.listAppPasswords('shop@example.com');
    assert.deepEqual(listed.map((a) => [a.label, a.networks, a.maySendAs, a.quota]), [
      ['phone', [], [], {}],
      ['wordpress-shop', ['192.0.2.0/24'], ['orders@example.com'], { messagesPerHour: 20 }],
    ]);
    assert.deepEqual(store.show('shop@example.com')?.appPasswords, listed);

    // Stored only as a keyed hash.
    for (const file of readdirSync(dir).filter((f) => f.startsWith('users.db'))) {
      const bytes = readFileSync(join(dir, file));
      for (const secret of [wp, wp.replace(/-/g, '')]) assert.equal(bytes.indexOf(secret), -1, `${file} holds an app password`);
    }

    assert.equal(store.revokeAppPassword('shop@example.com', 'wordpress-shop'), true);
    assert.equal(store.revokeAppPassword('shop@example.com', 'wordpress-shop'), false);
    assert.deepEqual(await store.authenticatePrincipal('shop@example.com', wp, '192.0.2.10'), { ok: false, reason: 'bad-credentials' });
    assert.equal((await store.authenticatePrincipal('shop@example.com', phone, '192.0.2.10')).ok, true, 'the other one still works');
    // Removing the user removes its app passwords; a new user of the same name does not inherit them.
    assert.equal(store.remove('shop@example.com'), true);
    await store.add('shop@example.com', 'main-password');
    assert.deepEqual(store.listAppPasswords('shop@example.com'), []);
    assert.equal((await store.authenticatePrincipal('shop@example.com', phone, '192.0.2.10')).ok, false);
  });

  it('flags: the user stops every credential, an app password only itself; visible, and cleared by unflag', async (t) => {
    const store = open(t);
    await store.add('f@example.com', 'main-password');
    const app = store.addAppPassword('f@example.com', { label: 'app' });
    assert.equal(store.flag('f@example.com', 'app', 'too many bounces'), true);
    assert.equal(store.flag('f@example.com', 'missing', 'x'), false);
    assert.equal(store.flag('nobody@example.com', undefined, 'x'), false);
    const flagged = await store.authenticatePrincipal('f@example.com', app, '127.0.0.1');
    assert.equal(flagged.ok && flagged.principal.flagged, true, 'a flagged principal still authenticates: the policy decides');
    assert.equal(store.principalFor('f@example.com')?.flagged, false);
    assert.equal(await store.authenticate('f@example.com', app), undefined, 'the legacy method cannot apply the brake, so it refuses');
    const shownFlag = store.show('f@example.com')?.appPasswords[0]?.flag;
    assert.equal(shownFlag?.reason, 'too many bounces');
    assert.ok((shownFlag?.atMs ?? 0) > 0);

    assert.equal(store.flag('f@example.com', undefined, 'spam burst'), true);
    assert.equal(store.flag('f@example.com', undefined, 'again'), true);
    assert.equal(store.show('f@example.com')?.flag?.reason, 'spam burst', 'the first reason is kept');
    assert.equal(store.principalFor('f@example.com')?.flagged, true);

    assert.equal(store.unflag('f@example.com'), true);
    assert.equal(store.unflag('f@example.com', 'app'), true);
    assert.equal(store.unflag('f@example.com', 'missing'), false);
    assert.equal(store.show('f@example.com')?.flag, undefined);
    assert.equal(store.principalFor('f@example.com', 'app')?.flagged, false);
    assert.equal(await store.authenticate('f@example.com', app), 'f@example.com');
  });

  it('a password shaped like an app password still works as the main password', async (t) => {
    const store = open(t);
    const shaped = 'abcd-efgh-ijkl-mnop-qrst-uvwx-yz23';
    await store.add('g@example.com', shaped);
    store.addAppPassword('g@example.com', { label: 'x' });
    const outcome = await store.authenticatePrincipal('g@example.com', shaped, '127.0.0.1');
    assert.equal(outcome.ok && outcome.principal.credentialName, 'password');
  });
});
