import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CounterSnapshotStore } from './counter-snapshot-store.js';
import { QuotaCounter } from './quota-counter.js';

function tempDir(t: test.TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-counters-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const USER = [{ key: 'user:info@example.com' }];

test('CounterSnapshotStore: counts survive close and reopen; the file is 0600', (t) => {
  const dir = tempDir(t);
  let clock = 1_000_000;
  const now = (): number => clock;
  const quota = new QuotaCounter();
  const store = CounterSnapshotStore.open(dir, [quota], { now });
  assert.deepEqual(store.loaded, [{ name: 'quota', restored: 0, invalid: 0, settingsChanged: false }]);
  quota.record(USER, clock, 42);
  store.close();
  assert.equal(statSync(join(dir, 'counters.db')).mode & 0o777, 0o600);

  clock += 60_000;
  const again = new QuotaCounter();
  const reopened = CounterSnapshotStore.open(dir, [again], { now });
  t.after(() => reopened.close());
  assert.equal(reopened.loaded[0]?.restored, 1);
  assert.deepEqual(again.usage('user:info@example.com', clock), { hour: 42, day: 42 });
});

test('CounterSnapshotStore: flush writes only when something changed, and drops keys that emptied', (t) => {
  const dir = tempDir(t);
  let clock = 0;
  const quota = new QuotaCounter({ hourMs: 1000, dayMs: 2000 });
  const store = CounterSnapshotStore.open(dir, [quota], { now: () => clock });
  t.after(() => store.close());
  assert.equal(store.flush(), 0);
  quota.record([{ key: 'a' }, { key: 'b' }], clock);
  assert.equal(store.flush(), 2);
  assert.equal(store.flush(), 0);
  clock = 5000;
  assert.equal(store.flush(), 2); // both removed
  assert.equal(quota.size, 0);
});

test('CounterSnapshotStore: state saved under other window settings is dropped, not misread', (t) => {
  const dir = tempDir(t);
  const quota = new QuotaCounter();
  CounterSnapshotStore.open(dir, [quota], { now: () => 0 }).close();
  quota.record(USER, 0, 5);
  const store = CounterSnapshotStore.open(dir, [quota], { now: () => 0 });
  store.close();
  const shorter = new QuotaCounter({ hourMs: 600_000 });
  const reopened = CounterSnapshotStore.open(dir, [shorter], { now: () => 0 });
  t.after(() => reopened.close());
  assert.deepEqual(reopened.loaded, [{ name: 'quota', restored: 0, invalid: 0, settingsChanged: true }]);
  assert.deepEqual(shorter.usage('user:info@example.com', 0), { hour: 0, day: 0 });
});

test('CounterSnapshotStore: rows that are not valid state are skipped and removed', (t) => {
  const dir = tempDir(t);
  const quota = new QuotaCounter();
  CounterSnapshotStore.open(dir, [quota], { now: () => 0 }).close();
  quota.record([{ key: 'good' }], 0, 3);
  const [good] = quota.takeChanges(0, false);
  const db = new Database(join(dir, 'counters.db'));
  const insert = db.prepare("INSERT INTO counter_state (source, key, state) VALUES ('quota', ?, ?)");
  insert.run('good', good?.state);
  insert.run('short', Buffer.alloc(16));
  insert.run('text', Buffer.from('{"h":[]}'));
  db.close();
  const again = new QuotaCounter();
  const store = CounterSnapshotStore.open(dir, [again], { now: () => 0 });
  t.after(() => store.close());
  assert.deepEqual(store.loaded, [{ name: 'quota', restored: 1, invalid: 2, settingsChanged: false }]);
  assert.equal(again.usage('good', 0).hour, 3);
});

// A crash (SIGKILL: no close, no last flush) loses at most the counts of one
// flush interval: the child counts 100, lets the periodic flush run, counts
// 7 more and kills itself at once.
test('CounterSnapshotStore: after a kill, only the counts since the last periodic flush are lost', async (t) => {
  const dir = tempDir(t);
  const storeUrl = new URL('./counter-snapshot-store.js', import.meta.url).href;
  const quotaUrl = new URL('./quota-counter.js', import.meta.url).href;
  const child = `
    const { CounterSnapshotStore } = await import(${JSON.stringify(storeUrl)});
    const { QuotaCounter } = await import(${JSON.stringify(quotaUrl)});
    const quota = new QuotaCounter();
    CounterSnapshotStore.open(${JSON.stringify(dir)}, [quota], { flushIntervalMs: 50 });
    const keys = [{ key: 'user:info@example.com' }];
    quota.record(keys, Date.now(), 100);
    setTimeout(() => { quota.record(keys, Date.now(), 7); process.kill(process.pid, 'SIGKILL'); }, 300);
    setInterval(() => {}, 1000);
  `;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', child], { stdio: 'inherit' });
  const signal = await new Promise((resolve) => proc.on('exit', (_code, sig) => resolve(sig)));
  assert.equal(signal, 'SIGKILL');
  const quota = new QuotaCounter();
  const store = CounterSnapshotStore.open(dir, [quota]);
  t.after(() => store.close());
  assert.deepEqual(quota.usage('user:info@example.com', Date.now()), { hour: 100, day: 100 });
});

test('CounterSnapshotStore: a failed write is reported and everything is rewritten next time', (t) => {
  const dir = tempDir(t);
  const quota = new QuotaCounter();
  const store = CounterSnapshotStore.open(dir, [quota], { now: () => 0, busyTimeoutMs: 0 });
  t.after(() => store.close());
  quota.record([{ key: 'a' }, { key: 'b' }], 0);
  store.flush();
  quota.record([{ key: 'a' }], 0);
  const blocker = new Database(join(dir, 'counters.db'), { timeout: 0 });
  blocker.exec('BEGIN IMMEDIATE'); // another writer holds the lock
  assert.throws(() => store.flush(), /locked|busy/i);
  blocker.exec('ROLLBACK');
  blocker.close();
  assert.equal(store.flush(), 2); // a and b, not just a
});
