// The PostgreSQL queue's size for the gauges (pg-queue-stats.ts): exact at
// every read on a small queue; on a large one the count is taken again only
// once it is older than 1,000 times what it cost (a clock of the test's
// own, and a "large" of 3 messages, so that no timing is asserted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PgQueueStatsReader } from '../../src/queue/postgres/pg-queue-stats.js';
import { createTestDatabase } from '../helpers/pg-database.js';

async function add(db: { query(sql: string, args?: unknown[]): Promise<unknown> }, id: string, createdAt: number): Promise<void> {
  await db.query('INSERT INTO messages (id, mail_from, size, created_at) VALUES ($1, $2, 1, $3)', [id, 'a@origin.test', createdAt]);
}

test('the PostgreSQL queue count: exact on a small queue, re-taken on a large one only when old', async (t) => {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  t.after(async () => {
    await pool.end();
    await db.drop();
  });
  let clock = 1_000_000;
  // Each count "costs" 2 ms of this clock: read() looks at it before and after counting.
  const now = (): number => (clock += 1);
  const reader = new PgQueueStatsReader(pool, { now, exactBelow: 3 });
  assert.deepEqual(await reader.read(), { messages: 0, oldestCreatedAtMs: undefined });
  await add(db, 'Q0002', 5_000);
  await add(db, 'Q0001', 4_000);
  assert.deepEqual(await reader.read(), { messages: 2, oldestCreatedAtMs: 4_000 }, 'small: exact; oldest by id');
  await add(db, 'Q0003', 6_000);
  assert.equal((await reader.read()).messages, 3, 'counted: 3 is "large" from now on');
  await add(db, 'Q0004', 7_000);
  clock += 500;
  assert.equal((await reader.read()).messages, 3, 'large: the count of a moment ago stands');
  await db.query("DELETE FROM messages WHERE id = 'Q0001'");
  assert.equal((await reader.read()).oldestCreatedAtMs, 5_000, 'the oldest is read every time');
  await add(db, 'Q0005', 8_000);
  assert.equal((await reader.read()).messages, 3, 'still the old count (4 in the table now)');
  clock += 1_000;
  assert.equal((await reader.read()).messages, 4, 'older than 1,000 × its cost: counted again');
});
