// Webhooks on the PostgreSQL store, end to end: two real `hikyaku start`
// processes share one queue (test/helpers/pg-cluster.ts) and POST their
// events to one real HTTP receiver. Both nodes send; each event must be
// taken exactly once, in order per message, signed; and the events a node
// held when it was killed (kill -9 in the middle of its requests) are sent
// by the other node once the lease ran out, none lost, none before its turn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrivals, startCluster, submitRoundRobin } from '../helpers/pg-cluster.js';
import { eventsByMessage, startWebhookReceiver, type ReceivedEvent } from '../helpers/webhook-receiver.js';

const SECRET = 'whsec-test-0123456789abcdef';
// The first retry after 200 ms instead of 1 s: the test runs in seconds.
process.env['HIKYAKU_TEST_WEBHOOK_RETRY_MS'] = '200';

const webhookConfig = (url: string) => ({ webhooks: [{ url, events: ['accepted', 'delivered', 'deferred', 'bounced', 'expired'], secret: SECRET }] });

/** Each message's events must be exactly: accepted, then delivered (one recipient each). */
function assertInOrder(taken: readonly ReceivedEvent[], messages: number): void {
  const byMessage = eventsByMessage(taken);
  assert.equal(byMessage.size, messages, 'events for every message accepted');
  for (const [id, events] of byMessage) {
    assert.deepEqual(
      events.map((e) => e.type),
      ['accepted', 'delivered'],
      `message ${id}: accepted before delivered, nothing else`,
    );
  }
}

/** How many times each event id was answered 2xx. */
function takenCounts(taken: readonly ReceivedEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of taken) counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
  return counts;
}

test('two nodes on one PostgreSQL queue: every event taken exactly once, in order per message, signed, through refusals', async (t) => {
  // Accepted events refused three times (500; retried after 200, 400, 800 ms), delivered ones once: a
  // delivered event would overtake its accepted one if it did not wait for it. Retries go to either node.
  const refusals = (e: ReceivedEvent): number => (e.type === 'accepted' ? 3 : 1);
  const receiver = await startWebhookReceiver(SECRET, (event, tryNumber) => (tryNumber <= refusals(event) ? 'refuse' : 'take'));
  t.after(() => receiver.close());
  const cluster = await startCluster(2, { claimLease: '3s', config: webhookConfig(receiver.url) });
  t.after(() => cluster.close());

  const accepted = await submitRoundRobin(cluster.nodes, 60, 2);
  assert.equal(accepted.size, 60);
  await receiver.waitFor(2 * accepted.size, 60_000);
  // Anything sent twice would come within the retry delay of the last one.
  await new Promise((r) => setTimeout(r, 1_000));

  assert.equal(receiver.badSignatures, 0, 'every request verifies with the README check');
  const counts = takenCounts(receiver.taken);
  assert.equal(counts.size, 2 * accepted.size, 'an accepted and a delivered event per message, no other');
  for (const [id, n] of counts) assert.equal(n, 1, `event ${id} taken exactly once`);
  for (const e of receiver.taken) assert.equal(receiver.tries.get(e.id), refusals(e) + 1, `${e.type} event ${e.id}: refused ${refusals(e)} times, then taken (no try sent twice)`);
  assertInOrder(receiver.taken, accepted.size);
  const rows = await cluster.db.query<{ n: string }>('SELECT count(*) AS n FROM webhook_events');
  assert.equal(Number(rows.rows[0]?.n), 0, 'the outbox is empty once every event was taken');
});

test('kill -9 of a node in the middle of its requests: the other node sends its events after the lease, in order, none lost', async (t) => {
  // Until the kill, the endpoint hangs (requests held open, nothing taken); then it takes everything.
  const state = { hang: true };
  const receiver = await startWebhookReceiver(SECRET, () => (state.hang ? 'hold' : 'take'));
  t.after(() => receiver.close());
  const cluster = await startCluster(2, { claimLease: '2s', config: webhookConfig(receiver.url) });
  t.after(() => cluster.close());
  const [victim, survivor] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
  const leasedByVictim = async (): Promise<number> => {
    const r = await cluster.db.query<{ n: string }>("SELECT count(*) AS n FROM webhook_events WHERE lease_owner LIKE '%:' || $1 || ':%'", [String(victim.process.pid)]);
    return Number(r.rows[0]?.n);
  };

  // Messages accepted by the victim: their events are written there, and it starts sending them at once.
  const accepted = await submitRoundRobin([victim], 20, 2);
  assert.equal(accepted.size, 20);
  const deadline = Date.now() + 30_000;
  while ((arrivals(cluster.sink).size < accepted.size || (await leasedByVictim()) === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(arrivals(cluster.sink).size, accepted.size, 'every message delivered');
  assert.ok(receiver.held > 0, 'requests are hanging at the endpoint');

  victim.process.kill('SIGKILL');
  await victim.exited;
  const heldAtKill = await leasedByVictim();
  assert.ok(heldAtKill > 0, 'the killed node held events when it died (else this test shows nothing)');
  state.hang = false;

  // Messages whose outcome the victim had not recorded are delivered again by the survivor, which then writes their delivered event.
  await receiver.waitFor(2 * accepted.size, 90_000);
  await new Promise((r) => setTimeout(r, 1_000));
  const counts = takenCounts(receiver.taken);
  assert.equal(counts.size, 2 * accepted.size, 'an accepted and a delivered event per message, no other');
  for (const [id, n] of counts) assert.equal(n, 1, `event ${id} taken exactly once (a hung request was never answered)`);
  assertInOrder(receiver.taken, accepted.size);
  assert.match(survivor.stdout(), /webhook-lease-takeover/, 'the survivor took over the events whose lease ran out');
  t.diagnostic(`events leased by the killed node: ${heldAtKill}`);
});
