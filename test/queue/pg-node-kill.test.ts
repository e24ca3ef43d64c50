// kill -9 of one of three nodes on one PostgreSQL queue in the middle of a
// run of 3,000 messages: every message answered 250 still arrives; the killed
// node's claims are taken over by the others after the lease; duplicates (a
// message delivered by the killed node whose outcome it had not recorded yet)
// are counted and reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrivals, startCluster, submitRoundRobin } from '../helpers/pg-cluster.js';

const TOTAL = 3_000;

test('kill -9 of one node mid-run: every accepted message arrives, its leases are taken over, duplicates counted', async (t) => {
  const cluster = await startCluster(3, { claimLease: '3s' });
  t.after(() => cluster.close());
  const victim = cluster.nodes[1]!;
  let killedAtLeased = -1;
  let killing: Promise<void> | undefined;
  const leasedByVictim = async (): Promise<number> => {
    const leased = await cluster.db.query<{ n: string }>("SELECT count(*) AS n FROM messages WHERE lease_owner LIKE '%:' || $1 || ':%'", [String(victim.process.pid)]);
    return Number(leased.rows[0]?.n);
  };
  const kill = async (): Promise<void> => {
    // At a moment when it holds messages (it does most of the time under this load), so that there is something to take over.
    for (let i = 0; i < 500 && (await leasedByVictim()) === 0; i++) await new Promise((r) => setImmediate(r));
    victim.process.kill('SIGKILL');
    await victim.exited;
    killedAtLeased = await leasedByVictim();
  };
  const accepted = await submitRoundRobin(cluster.nodes, TOTAL, 4, (count) => {
    if (count === TOTAL / 3 && killing === undefined) killing = kill();
  });
  await killing;
  assert.ok(accepted.size >= TOTAL / 2, `accepted ${accepted.size}`);
  assert.ok(killedAtLeased > 0, 'the killed node held messages when it died (else this test shows nothing)');

  const deadline = Date.now() + 150_000;
  const missing = (): string[] => {
    const counts = arrivals(cluster.sink);
    return [...accepted].filter((s) => !counts.has(s));
  };
  while (missing().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(missing(), [], 'every message answered 250 arrived');

  const counts = arrivals(cluster.sink);
  const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
  const takeovers = await cluster.db.query<{ n: string }>("SELECT count(*) AS n FROM events WHERE kind = 'lease-takeover' AND detail LIKE '%:' || $1 || ':%'", [String(victim.process.pid)]);
  const report = `accepted ${accepted.size}, leased by the killed node ${killedAtLeased}, taken over ${takeovers.rows[0]?.n}, duplicates ${duplicates}`;
  t.diagnostic(report);
  process.stderr.write(`pg-node-kill: ${report}\n`);
  assert.equal(Number(takeovers.rows[0]?.n), killedAtLeased, 'every message the killed node held was taken over once');
  // A duplicate needs the remote 250 and the kill between it and the record: at most what was in flight.
  assert.ok(duplicates <= killedAtLeased, report);
});
