import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionPool, type PoolableConnection, type PoolLimits } from './connection-pool.js';

// A stand-in for an SMTP connection: the pool is what is under test here.
class FakeConnection implements PoolableConnection {
  usable = true;
  messageCount = 0;
  quits = 0;
  private readonly listeners: (() => void)[] = [];
  private quitWaiters: (() => void)[] = [];
  constructor(readonly name: string) {}
  async quit(): Promise<void> {
    this.quits++;
    this.serverClosed();
    for (const w of this.quitWaiters.splice(0)) w();
  }
  onClose(listener: () => void): void {
    this.listeners.push(listener);
  }
  serverClosed(): void {
    this.usable = false;
    for (const l of this.listeners.splice(0)) l();
  }
  quitted(): Promise<void> {
    return this.quits > 0 ? Promise.resolve() : new Promise((resolve) => this.quitWaiters.push(resolve));
  }
}

const limits = (over: Partial<PoolLimits> = {}): PoolLimits => ({
  maxConnectionsPerDestination: 2,
  maxMessagesPerConnection: 10,
  idleConnectionTimeoutMs: 60_000,
  ...over,
});

test('slots: at most N per destination, waiters served first come first served', async () => {
  const pool = new ConnectionPool<FakeConnection>(limits());
  const r1 = await pool.acquire('example.org');
  const r2 = await pool.acquire('example.org');
  const order: number[] = [];
  const w3 = pool.acquire('example.org').then((r) => (order.push(3), r));
  const w4 = pool.acquire('example.org').then((r) => (order.push(4), r));
  // Another destination is not held up.
  const other = await pool.acquire('example.net');
  assert.deepEqual(pool.slotUsage('example.org'), { active: 2, waiting: 2 });
  r2();
  r2(); // releasing twice must not free a second slot
  const r3 = await w3;
  assert.deepEqual(pool.slotUsage('example.org'), { active: 2, waiting: 1 });
  r1();
  const r4 = await w4;
  assert.deepEqual(order, [3, 4]);
  r3();
  r4();
  other();
  assert.deepEqual(pool.slotUsage('example.org'), { active: 0, waiting: 0 });
  await pool.close();
});

test('idle connections are reused per key, most recent first', async () => {
  const pool = new ConnectionPool<FakeConnection>(limits());
  const a = new FakeConnection('a');
  const b = new FakeConnection('b');
  a.messageCount = 1;
  b.messageCount = 1;
  await pool.release('k1', a);
  await pool.release('k1', b);
  assert.equal(pool.idleCount('k1'), 2);
  assert.equal(pool.takeIdle('k2'), undefined);
  assert.equal(pool.takeIdle('k1'), b);
  assert.equal(pool.takeIdle('k1'), a);
  assert.equal(pool.takeIdle('k1'), undefined);
  assert.equal(a.quits + b.quits, 0);
  await pool.close();
});

test('a connection at the message limit, or unusable (421), is closed instead of kept', async () => {
  const pool = new ConnectionPool<FakeConnection>(limits({ maxMessagesPerConnection: 3 }));
  const full = new FakeConnection('full');
  full.messageCount = 3;
  await pool.release('k', full);
  assert.equal(full.quits, 1);
  const told421 = new FakeConnection('421');
  told421.messageCount = 1;
  told421.usable = false;
  await pool.release('k', told421);
  assert.equal(told421.quits, 1);
  assert.equal(pool.idleCount(), 0);
  await pool.close();
});

test('an idle connection the server closes is forgotten', async () => {
  const pool = new ConnectionPool<FakeConnection>(limits());
  const c = new FakeConnection('c');
  await pool.release('k', c);
  c.serverClosed();
  assert.equal(pool.idleCount('k'), 0);
  assert.equal(pool.takeIdle('k'), undefined);
  await pool.close();
});

test('an unusable connection found idle is skipped', async () => {
  const pool = new ConnectionPool<FakeConnection>(limits());
  const good = new FakeConnection('good');
  const stale = new FakeConnection('stale');
  await pool.release('k', good);
  await pool.release('k', stale);
  stale.usable = false; // went bad without a close event yet
  assert.equal(pool.takeIdle('k'), good);
  await pool.close();
});

test('idle timeout closes the connection with QUIT', async () => {
  const pool = new ConnectionPool<FakeConnection>(limits({ idleConnectionTimeoutMs: 5 }));
  const c = new FakeConnection('c');
  await pool.release('k', c);
  // The pool's idle timer is unref'd (an idle connection must not keep the
  // process alive), so the test keeps the event loop alive while it waits.
  const keepAlive = setInterval(() => {}, 1_000);
  await c.quitted();
  clearInterval(keepAlive);
  assert.equal(pool.idleCount(), 0);
  await pool.close();
});

test('close() QUITs every idle connection and later releases too', async () => {
  const pool = new ConnectionPool<FakeConnection>(limits());
  const a = new FakeConnection('a');
  const b = new FakeConnection('b');
  await pool.release('k1', a);
  await pool.release('k2', b);
  await pool.close();
  assert.equal(a.quits, 1);
  assert.equal(b.quits, 1);
  const late = new FakeConnection('late');
  await pool.release('k1', late);
  assert.equal(late.quits, 1);
  assert.equal(pool.idleCount(), 0);
});
