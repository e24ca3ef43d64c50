// Three `hikyaku start` processes on one PostgreSQL queue: 3,000 messages
// submitted round-robin across them arrive at the receiving sink exactly once
// each (one node at a time attempts a message: claims under a lease).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrivals, startCluster, submitRoundRobin } from '../helpers/pg-cluster.js';

const TOTAL = 3_000;

test('three nodes, one PostgreSQL queue: 3,000 messages round-robin, each arrives exactly once', async (t) => {
  const cluster = await startCluster(3, { claimLease: '5s' });
  t.after(() => cluster.close());
  const accepted = await submitRoundRobin(cluster.nodes, TOTAL, 4);
  assert.equal(accepted.size, TOTAL, 'every message was answered 250');
  await cluster.sink.waitForMessages(TOTAL, 150_000);
  // Let any second delivery that would be wrong show up.
  await new Promise((r) => setTimeout(r, 1_500));
  const counts = arrivals(cluster.sink);
  const missing = [...accepted].filter((s) => !counts.has(s));
  const duplicated = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(missing, []);
  assert.deepEqual(duplicated, []);
  assert.equal(cluster.sink.messages.length, TOTAL);
  const left = await cluster.db.query<{ n: string }>('SELECT count(*) AS n FROM messages');
  assert.equal(Number(left.rows[0]?.n), 0, 'the shared queue is empty');
  // The work was shared: every node delivered (each delivered its own submissions at least).
  const takeovers = await cluster.db.query<{ n: string }>("SELECT count(*) AS n FROM events WHERE kind = 'lease-takeover'");
  assert.equal(Number(takeovers.rows[0]?.n), 0, 'no lease expired while its node was alive');
});
