import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SuppressionStore, SuppressionStoreError, type AddSuppression } from './suppression-store.js';

type Cleanup = { after: (fn: () => void) => void };

function tempDir(t: Cleanup): string {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-suppression-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(t: Cleanup, dir = tempDir(t)): SuppressionStore {
  const store = SuppressionStore.open(dir);
  t.after(() => store.close());
  return store;
}

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

function bounce(recipient: string, over: Partial<AddSuppression> = {}): AddSuppression {
  return { sendingDomain: 'shop.test', recipient, reason: '550 5.1.1 no such user', source: 'bounce', nowMs: T0, ttlMs: 30 * DAY, ...over };
}

describe('SuppressionStore', () => {
  it('creates <dataDir>/suppression.db readable by its owner only', (t) => {
    const dir = tempDir(t);
    open(t, dir);
    assert.equal(statSync(join(dir, 'suppression.db')).mode & 0o777, 0o600);
  });

  it('a bounce suppresses the recipient for its sending domain only, until it expires', (t) => {
    const store = open(t);
    store.add(bounce('gone@dest.test'));
    const entry = store.isSuppressed('shop.test', 'gone@dest.test', T0 + 1);
    assert.deepEqual(entry, {
      sendingDomain: 'shop.test',
      recipient: 'gone@dest.test',
      recipientKey: 'gone@dest.test',
      reason: '550 5.1.1 no such user',
      source: 'bounce',
      createdAtMs: T0,
      expiresAtMs: T0 + 30 * DAY,
    });
    assert.ok(store.isSuppressed('SHOP.test', 'gone@DEST.TEST', T0), 'domains compare case-insensitively');
    store.add(bounce('idn@dest.test', { sendingDomain: 'Bücher.example' }));
    assert.ok(store.isSuppressed('xn--bcher-kva.example', 'idn@dest.test', T0), 'sending domains compare as A-labels');
    assert.equal(store.isSuppressed('other.test', 'gone@dest.test', T0), undefined, 'another sending domain may still write');
    assert.equal(store.isSuppressed('shop.test', 'Gone@dest.test', T0), undefined, 'the local part keeps its case (RFC 5321 §2.4)');
    assert.ok(store.isSuppressed('shop.test', 'gone@dest.test', T0 + 30 * DAY - 1));
    assert.equal(store.isSuppressed('shop.test', 'gone@dest.test', T0 + 30 * DAY), undefined, 'expired rows do not count');
  });

  it("an all-domains ('') entry applies to every sending domain; the domain's own entry wins", (t) => {
    const store = open(t);
    store.add({ sendingDomain: '', recipient: 'x@dest.test', reason: 'manual', source: 'manual', nowMs: T0, ttlMs: undefined });
    assert.equal(store.isSuppressed('shop.test', 'x@dest.test', T0 + 1000 * DAY)?.sendingDomain, '');
    assert.equal(store.isSuppressed('', 'x@dest.test', T0)?.expiresAtMs, undefined);
    store.add(bounce('x@dest.test'));
    assert.equal(store.isSuppressed('shop.test', 'x@dest.test', T0)?.sendingDomain, 'shop.test');
    // Once the domain's own entry has expired, the all-domains one still refuses.
    assert.equal(store.isSuppressed('shop.test', 'x@dest.test', T0 + 31 * DAY)?.sendingDomain, '');
  });

  it('quoted and unquoted forms of one mailbox are one entry (mailboxKey)', (t) => {
    const store = open(t);
    store.add(bounce('"taro..yamada"@Dest.TEST'));
    assert.ok(store.isSuppressed('shop.test', 'taro..yamada@dest.test', T0));
    store.add(bounce('taro..yamada@dest.test', { reason: 'second' }));
    const entries = store.list({ nowMs: T0 });
    assert.equal(entries.length, 1);
    assert.equal(entries[0]?.recipient, '"taro..yamada"@Dest.TEST', 'kept as first seen');
    assert.equal(entries[0]?.reason, 'second');
    assert.equal(store.remove('"taro..yamada"@dest.test', 'shop.test'), 1);
  });

  it('a new bounce refreshes the expiry; a bounce never shortens it; a manual add sets it', (t) => {
    const store = open(t);
    store.add(bounce('a@dest.test'));
    store.add(bounce('a@dest.test', { nowMs: T0 + 20 * DAY, reason: '550 5.1.1 still gone' }));
    let entry = store.isSuppressed('shop.test', 'a@dest.test', T0 + 40 * DAY);
    assert.equal(entry?.expiresAtMs, T0 + 50 * DAY);
    assert.equal(entry?.createdAtMs, T0, 'first seen');
    assert.equal(entry?.reason, '550 5.1.1 still gone');

    store.add({ ...bounce('a@dest.test'), source: 'manual', reason: 'manual', ttlMs: undefined });
    store.add(bounce('a@dest.test', { nowMs: T0 + 41 * DAY }));
    entry = store.isSuppressed('shop.test', 'a@dest.test', T0 + 1000 * DAY);
    assert.equal(entry?.expiresAtMs, undefined, "a 30-day bounce keeps the admin's forever");

    store.add({ ...bounce('a@dest.test'), source: 'manual', reason: 'manual', ttlMs: DAY });
    assert.equal(store.isSuppressed('shop.test', 'a@dest.test', T0)?.expiresAtMs, T0 + DAY);
  });

  it('remove: one sending domain, the all-domains entry, or every entry of the recipient', (t) => {
    const store = open(t);
    for (const sendingDomain of ['', 'shop.test', 'news.test']) store.add(bounce('r@dest.test', { sendingDomain }));
    assert.equal(store.remove('r@dest.test', 'SHOP.test'), 1);
    assert.equal(store.remove('r@dest.test', 'shop.test'), 0);
    assert.equal(store.remove('r@dest.test', ''), 1);
    assert.deepEqual(store.list({ nowMs: T0 }).map((e) => e.sendingDomain), ['news.test']);
    store.add(bounce('r@dest.test'));
    assert.equal(store.remove('r@DEST.test', undefined), 2);
    assert.deepEqual(store.list({ nowMs: T0 }), []);
  });

  it('list filters by sending domain (its own and all-domains entries), hides expired ones, limits; purge deletes expired', (t) => {
    const store = open(t);
    store.add(bounce('b@dest.test'));
    store.add(bounce('a@dest.test', { sendingDomain: '' }));
    store.add(bounce('c@dest.test', { sendingDomain: 'news.test' }));
    store.add(bounce('old@dest.test', { ttlMs: DAY }));
    const later = T0 + 2 * DAY;
    assert.deepEqual(store.list({ nowMs: later }).map((e) => e.recipient), ['a@dest.test', 'b@dest.test', 'c@dest.test']);
    assert.deepEqual(store.list({ nowMs: later, sendingDomain: 'Shop.Test' }).map((e) => e.recipient), ['a@dest.test', 'b@dest.test']);
    assert.deepEqual(store.list({ nowMs: later, limit: 1 }).map((e) => e.recipient), ['a@dest.test']);
    assert.equal(store.list({ nowMs: later, includeExpired: true }).length, 4);
    assert.equal(store.purgeExpired(later), 1);
    assert.equal(store.purgeExpired(later), 0);
    assert.equal(store.list({ nowMs: T0, includeExpired: true }).length, 3);
  });

  it('refuses an address no server could route', (t) => {
    const store = open(t);
    for (const bad of ['no-at-sign', 'x@', '@dest.test', 'a b@dest.test', 'x@localhost']) {
      assert.throws(() => store.add(bounce(bad)), (err: unknown) => err instanceof SuppressionStoreError && err.code === 'invalid-address', bad);
    }
  });

  it('two connections to one file see each other’s writes within a second (the CLI and the server)', (t) => {
    const dir = tempDir(t);
    const server = open(t, dir);
    const cli = open(t, dir);
    assert.equal(server.isSuppressed('shop.test', 'n@dest.test', T0), undefined);
    cli.add(bounce('n@dest.test'));
    // The server looks at the file at most once a second (its key set is in memory).
    assert.equal(server.isSuppressed('shop.test', 'n@dest.test', T0 + 500), undefined, 'not yet looked');
    assert.ok(server.isSuppressed('shop.test', 'n@dest.test', T0 + 1000));
    assert.equal(cli.remove('n@dest.test', undefined), 1);
    assert.equal(server.isSuppressed('shop.test', 'n@dest.test', T0 + 2000), undefined);
    // Its own writes count at once.
    server.add(bounce('own@dest.test'));
    assert.ok(server.isSuppressed('shop.test', 'own@dest.test', T0 + 2001));
    server.remove('own@dest.test', undefined);
    assert.equal(server.isSuppressed('shop.test', 'own@dest.test', T0 + 2002), undefined);
  });
});
