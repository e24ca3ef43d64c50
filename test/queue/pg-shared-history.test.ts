// The message history on a cluster (cluster/shared-history.ts): two real
// nodes share one PostgreSQL queue, and on EITHER node `hikyaku history`
// (the same history.db the web console reads) shows every message with its
// final state, whichever node accepted it and whichever delivered it; a hold
// made with the CLI on one node shows in the other node's history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../helpers/hikyaku.js';
import { startCluster, submitRoundRobin } from '../helpers/pg-cluster.js';

const TOTAL = 30;

interface Summary {
  id: string;
  state: string;
  rcptTo: string[];
}

async function historyOf(config: string, address: string): Promise<Summary[]> {
  const run = await runCli(['history', address, '--json', '--limit', '1000', '--config', config]);
  if (run.code !== 0) return [];
  return JSON.parse(run.stdout) as Summary[];
}

/** Polls until `ok` holds for the node's history of `address`; returns the last answer either way. */
async function waitForHistory(config: string, address: string, ok: (items: Summary[]) => boolean): Promise<Summary[]> {
  let items: Summary[] = [];
  for (let i = 0; i < 60; i++) {
    items = await historyOf(config, address);
    if (ok(items)) return items;
    await sleep(500);
  }
  return items;
}

test('each node of a cluster shows the whole cluster history: messages accepted and delivered by either node', { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster(2, {
    claimLease: '5s',
    history: true,
    sink: { onRcptTo: (address) => (address.startsWith('slow@') ? { code: 451, message: '4.3.0 try again later' } : undefined) },
  });
  t.after(() => cluster.close());

  const accepted = await submitRoundRobin(cluster.nodes, TOTAL, 2);
  assert.equal(accepted.size, TOTAL);
  await cluster.sink.waitForMessages(TOTAL, 60_000);

  for (const [n, config] of cluster.configs.entries()) {
    const items = await waitForHistory(config, 'app@origin.test', (list) => list.length === TOTAL && list.every((m) => m.state === 'delivered'));
    assert.equal(items.length, TOTAL, `node ${n} knows every message of the cluster`);
    assert.deepEqual(
      items.filter((m) => m.state !== 'delivered').map((m) => `${m.id} ${m.state}`),
      [],
      `node ${n} shows every message delivered, also those the other node accepted or delivered`,
    );
  }

  // A deferred message, held with the CLI of the OTHER node.
  const first = cluster.nodes[0]?.ports['relay'] as number;
  const { SmtpDialog } = await import('../helpers/smtp-dialog.js');
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: first, localAddress: '127.0.0.2' });
  await d.read();
  await d.command('EHLO app.test');
  await d.command('MAIL FROM:<app@origin.test>');
  await d.command('RCPT TO:<slow@dest.test>');
  await d.command('DATA');
  assert.equal((await d.command('Subject: slow\r\n\r\nslow\r\n.')).code, 250);
  await d.close();
  const [node0, node1] = cluster.configs as [string, string];
  const deferred = await waitForHistory(node1, 'slow@dest.test', (list) => list[0]?.state === 'deferred');
  const id = deferred[0]?.id;
  assert.equal(deferred[0]?.state, 'deferred', 'node 1 sees the deferral of a message node 0 accepted');
  const held = await runCli(['queue', 'hold', id as string, '--config', node1]);
  assert.equal(held.code, 0, held.stdout + held.stderr);
  const onNode0 = await waitForHistory(node0, 'slow@dest.test', (list) => list[0]?.state === 'held');
  assert.equal(onNode0[0]?.state, 'held', "the hold made on node 1 shows in node 0's history");
});
