// The suppression list across nodes that share one PostgreSQL database
// (cluster/shared-suppression.ts): each node has its own suppression.db
// (real SQLite files) and SharedSuppression on a real database of its own;
// syncs are called by hand, as the timer would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { SharedSuppression } from '../../src/cluster/shared-suppression.js';
import { publishSuppressionChanges } from '../../src/cluster/publish-from-cli.js';
import { SuppressionStore, type SuppressionChange } from '../../src/policy/suppression-store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg-database.js';

let db: TestDatabase;
let pool: pg.Pool;
const logger = pino({ level: 'silent' });
const DAY = 86_400_000;

before(async () => {
  db = await createTestDatabase({ migrate: false });
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
});

after(async () => {
  await pool?.end();
  await db?.drop();
});

async function node(nodeId: string, seed?: (store: SuppressionStore) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-supp-'));
  const store = SuppressionStore.open(dir);
  seed?.(store);
  const shared = await SharedSuppression.start({ pool, nodeId, store, logger, intervalMs: 3_600_000 });
  return { dir, store, shared };
}

test('a hard bounce on one node is refused on the other; a removal on the other lifts it on both; a new node gets the list', async () => {
  const a = await node('supp-a');
  const b = await node('supp-b');
  const now = Date.now();
  a.store.add({ sendingDomain: 'shop.test', recipient: 'gone@example.jp', reason: '550 5.1.1 no such user', source: 'bounce', nowMs: now, ttlMs: 30 * DAY });
  a.store.add({ sendingDomain: '', recipient: 'taro..yamada@docomo.ne.jp', reason: 'manual', source: 'manual', nowMs: now, ttlMs: undefined });
  assert.equal(b.store.isSuppressed('shop.test', 'gone@example.jp', now), undefined, 'not before the sync');
  await a.shared.sync();
  await b.shared.sync();
  const seen = b.store.isSuppressed('shop.test', 'gone@example.jp', now);
  assert.equal(seen?.reason, '550 5.1.1 no such user');
  assert.equal(seen?.expiresAtMs, now + 30 * DAY, 'with its expiry');
  assert.ok(b.store.isSuppressed('other.test', '"taro..yamada"@docomo.ne.jp', now), 'an all-domains entry, found by mailbox identity');

  assert.equal(b.store.remove('gone@example.jp', 'shop.test'), 1);
  await b.shared.sync();
  await a.shared.sync();
  assert.equal(a.store.isSuppressed('shop.test', 'gone@example.jp', now), undefined, 'removed on node A too');

  // A node that joins with a list of its own: it gets the cluster's, brings its own, and does not bring back the removed one.
  const c = await node('supp-c', (store) => {
    store.add({ sendingDomain: 'shop.test', recipient: 'gone@example.jp', reason: 'old', source: 'bounce', nowMs: now - DAY, ttlMs: 30 * DAY });
    store.add({ sendingDomain: 'shop.test', recipient: 'hanako@example.jp', reason: '550 5.1.1 unknown', source: 'bounce', nowMs: now, ttlMs: 30 * DAY });
  });
  assert.ok(c.store.isSuppressed('shop.test', 'taro..yamada@docomo.ne.jp', now), "the new node has the cluster's entries");
  assert.equal(c.store.isSuppressed('shop.test', 'gone@example.jp', now), undefined, 'and applies the removal made before it joined');
  await a.shared.sync();
  assert.ok(a.store.isSuppressed('shop.test', 'hanako@example.jp', now), "the new node's own entry reaches the others");
  assert.equal(a.store.isSuppressed('shop.test', 'gone@example.jp', now), undefined, 'its stale copy of a removed entry does not come back');

  for (const n of [a, b, c]) {
    await n.shared.close();
    n.store.close();
  }
});

test('`hikyaku suppression` on a node of a cluster publishes its change under the node name', async () => {
  const a = await node('supp-cli-a');
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-supp-cli-'));
  const store = SuppressionStore.open(dir);
  const changes: SuppressionChange[] = [];
  store.watch((change) => changes.push(change));
  const now = Date.now();
  store.add({ sendingDomain: 'shop.test', recipient: 'cli@example.jp', reason: 'manual', source: 'manual', nowMs: now, ttlMs: undefined });
  store.close();
  await publishSuppressionChanges(db.url, dir, changes);
  await a.shared.sync();
  assert.ok(a.store.isSuppressed('shop.test', 'cli@example.jp', now));
  await a.shared.close();
  a.store.close();
});
