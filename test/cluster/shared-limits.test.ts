// Quotas, AUTH brute-force counts and the brake's counts hold across nodes that share one
// PostgreSQL database (issue 11, point 4): two nodes in one process, each
// with its own in-memory counters and its own SharedLimits, on a real
// database of their own; syncs are called by hand, as the timer would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import pino from 'pino';
import { SharedLimits } from '../../src/cluster/shared-limits.js';
import { AuthThrottle } from '../../src/policy/auth-throttle.js';
import { SendingBrake } from '../../src/policy/brake.js';
import { QuotaCounter } from '../../src/policy/quota-counter.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg-database.js';

let db: TestDatabase;
let pool: pg.Pool;
const logger = pino({ level: 'silent' });
const windows = { hourMs: 3_600_000, dayMs: 86_400_000 };

before(async () => {
  db = await createTestDatabase({ migrate: false });
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
});

after(async () => {
  await pool?.end();
  await db?.drop();
});

async function node(nodeId: string, quotas = new QuotaCounter(windows)) {
  const authThrottle = new AuthThrottle({ maxFailuresPerClient: 5, maxFailuresPerLogin: 50, failureWindowMs: 900_000, blockMs: 900_000 });
  const shared = await SharedLimits.start({ pool, nodeId, quotas, quotaWindows: windows, authThrottle, authWindowMs: 900_000, logger, intervalMs: 3_600_000 });
  return { quotas, authThrottle, shared };
}

test('a quota of 5 per hour holds across two nodes; usage shows the cluster total; a restart does not count twice', async () => {
  const a = await node('node-a');
  const b = await node('node-b');
  const key = [{ key: 'user:info@shop.test', limitPerHour: 5 }];
  const now = Date.now();
  for (let i = 0; i < 3; i++) assert.equal(a.quotas.consume(key, now), undefined);
  await a.shared.sync();
  await b.shared.sync();
  assert.deepEqual(b.quotas.usage('user:info@shop.test', now), { hour: 3, day: 3 });
  assert.equal(b.quotas.consume(key, now), undefined);
  assert.equal(b.quotas.consume(key, now), undefined);
  const over = b.quotas.consume(key, now);
  assert.ok(over, 'the sixth message of the hour is refused on the other node');
  assert.equal(over.used, 5);
  assert.equal(over.window, 'hour');
  assert.ok(over.resetsAtMs > now && over.resetsAtMs <= now + 3_600_000, 'it resets within the hour');
  await b.shared.sync();
  await a.shared.sync();
  assert.ok(a.quotas.check(key, now), 'and on the first node once it synced');
  assert.deepEqual(a.quotas.usage('user:info@shop.test', now), { hour: 5, day: 5 });
  await a.shared.close();

  // node-a restarts: its own 3 come back from its counters.db (here: counted again locally), the 2 of node-b from the database.
  const restored = new QuotaCounter(windows);
  restored.record([{ key: 'user:info@shop.test' }], now, 3);
  const a2 = await node('node-a', restored);
  assert.deepEqual(a2.quotas.usage('user:info@shop.test', now), { hour: 5, day: 5 }, 'not 8');
  await a2.shared.close();
  await b.shared.close();
});

test('AUTH failures from one address are counted across nodes: 3 on one and 2 on the other block it on both', async () => {
  const a = await node('auth-a');
  const b = await node('auth-b');
  const now = Date.now();
  for (let i = 0; i < 3; i++) a.authThrottle.recordFailure('198.51.100.7', `guess${i}`, now);
  for (let i = 0; i < 2; i++) b.authThrottle.recordFailure('198.51.100.7', `other${i}`, now);
  assert.equal(a.authThrottle.isBlocked('198.51.100.7', undefined, now), undefined, 'not blocked before the nodes hear of each other');
  await a.shared.sync();
  await b.shared.sync();
  await a.shared.sync();
  assert.equal(b.authThrottle.isBlocked('198.51.100.7', undefined, now)?.scope, 'client');
  assert.equal(a.authThrottle.isBlocked('198.51.100.7', undefined, now)?.scope, 'client');
  assert.equal(a.authThrottle.isBlocked('198.51.100.8', undefined, now), undefined, 'another address is not');
  await a.shared.close();
  await b.shared.close();
});

test('a success on one node clears the name\'s failures on the other', async () => {
  const a = await node('login-a');
  const b = await node('login-b');
  const now = Date.now();
  for (let i = 0; i < 3; i++) a.authThrottle.recordFailure(`203.0.113.${i}`, 'taro@shop.test', now);
  await a.shared.sync();
  await b.shared.sync();
  assert.equal(b.authThrottle.failures('203.0.113.9', 'taro@shop.test', now).login, 3);
  b.authThrottle.recordSuccess('203.0.113.9', 'taro@shop.test', now);
  await b.shared.sync();
  await a.shared.sync();
  assert.equal(a.authThrottle.failures('203.0.113.9', 'taro@shop.test', now).login, 0);
  await a.shared.close();
  await b.shared.close();
});

test('a sync that fails keeps the counts and publishes them at the next one; a database that cannot be reached fails the start', async () => {
  const a = await node('down-a');
  const b = await node('down-b');
  const key = [{ key: 'user:down@shop.test', limitPerHour: 100 }];
  const now = Date.now();
  a.quotas.consume(key, now);
  a.quotas.consume(key, now);
  await pool.query('ALTER TABLE hikyaku_limit_events RENAME TO hikyaku_limit_events_away');
  try {
    await a.shared.sync(); // fails, logged, never thrown
  } finally {
    await pool.query('ALTER TABLE hikyaku_limit_events_away RENAME TO hikyaku_limit_events');
  }
  assert.deepEqual(a.quotas.usage('user:down@shop.test', now), { hour: 2, day: 2 }, 'the node keeps its own counts');
  await b.shared.sync();
  assert.deepEqual(b.quotas.usage('user:down@shop.test', now), { hour: 0, day: 0 });
  await a.shared.sync();
  await b.shared.sync();
  assert.deepEqual(b.quotas.usage('user:down@shop.test', now), { hour: 2, day: 2 }, 'published late, not lost');
  await a.shared.close();
  await b.shared.close();

  const broken = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 500 });
  await assert.rejects(SharedLimits.start({ pool: broken, nodeId: 'x', quotas: new QuotaCounter(windows), quotaWindows: windows, authThrottle: new AuthThrottle(), authWindowMs: 900_000, logger }));
  await broken.end();
});

test('nodes count each other: a limit of 8 connections per destination is 4 each with two nodes, 8 again when one leaves', async () => {
  const a = await node('count-a');
  assert.equal(a.shared.shareOf(8), 8);
  const b = await node('count-b');
  await a.shared.sync();
  assert.equal(a.shared.liveNodes, 2);
  assert.equal(a.shared.shareOf(8), 4);
  assert.equal(a.shared.shareOf(1), 1, 'never below one');
  await b.shared.close();
  await a.shared.sync();
  assert.equal(a.shared.shareOf(8), 8);
  await a.shared.close();
});

test('the compromised-account brake counts across nodes: 60 + 50 messages on two nodes trip a floor of 100 on the node that sends the next one', async () => {
  const brakeOf = () => new SendingBrake({ floor: 100, factor: 10 });
  const authThrottle = () => new AuthThrottle({ maxFailuresPerClient: 5, maxFailuresPerLogin: 50, failureWindowMs: 900_000, blockMs: 900_000 });
  const start = (nodeId: string, brake: SendingBrake) =>
    SharedLimits.start({ pool, nodeId, quotas: new QuotaCounter(windows), quotaWindows: windows, authThrottle: authThrottle(), brake, authWindowMs: 900_000, logger, intervalMs: 3_600_000 });
  const brakeA = brakeOf();
  const brakeB = brakeOf();
  const a = await start('brake-a', brakeA);
  const b = await start('brake-b', brakeB);
  const key = 'app:info@shop.test/wordpress';
  const now = Date.now();
  for (let i = 0; i < 60; i++) assert.equal(brakeA.record(key, now), false);
  for (let i = 0; i < 50; i++) assert.equal(brakeB.record(key, now), false, 'each node alone stays under the floor');
  await a.sync();
  await b.sync();
  await a.sync();
  assert.equal(brakeB.status(key, now).current, 110, 'node B sees the cluster total');
  assert.equal(brakeB.isBraked(key), false, "the other node's counts alone do not trip it");
  assert.equal(brakeB.record(key, now), true, 'the next message on node B trips it');
  assert.equal(brakeA.status(key, now).current, 110);
  assert.equal(brakeA.record(key, now), true, 'and on node A');
  await a.close();
  await b.close();
});
