// Moving a queue from the embedded store to PostgreSQL with the commands a
// user runs: `hikyaku store export` from SQLite, `store import` into
// PostgreSQL (twice: the second adds nothing), then a node on PostgreSQL
// delivers every message exactly once, with its state kept (held, attempts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { runCli, spawnHikyaku, tempDir, testRawConfig, writeConfigFile } from '../helpers/hikyaku.js';
import { createTestDatabase } from '../helpers/pg-database.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { openSqliteQueueStore } from '../../src/queue/sqlite-queue-store.js';
import { openPgQueueStore } from '../../src/queue/postgres/pg-queue-store.js';
import { newQueueId } from '../../src/core/queue-id.js';
import { arrivals } from '../helpers/pg-cluster.js';

const COUNT = 40;

test('export from SQLite, import into PostgreSQL (twice), deliver: every message arrives once', async (t) => {
  const db = await createTestDatabase();
  const sink = await startSmtpSink({ host: '127.0.0.14' });
  const dns = await startDnsServer({ 'dest.test': { MX: [{ preference: 10, exchange: 'mx.dest.test' }] }, 'mx.dest.test': { A: ['127.0.0.14'] } });
  const dir = tempDir();
  t.after(async () => {
    await dns.close();
    await sink.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  const silent = pino({ level: 'silent' });
  const sqliteDir = join(dir, 'old');
  const sqlite = await openSqliteQueueStore({ dataDir: sqliteDir, logger: silent });
  const createdAtMs = Date.now() - 3_600_000;
  const ids: string[] = [];
  for (let i = 0; i < COUNT; i++) {
    const id = newQueueId();
    ids.push(id);
    await sqlite.enqueue({
      id,
      envelope: { mailFrom: 'app@origin.test', rcptTo: [`user${i}@dest.test`] },
      message: Buffer.from(`Subject: m-${i}\r\n\r\nbody ${i}\r\n`),
      firstRetryAtMs: Date.now() - 1_000,
      createdAtMs,
    });
  }
  // One held by an admin, one with a deferral recorded.
  await sqlite.hold(ids[0] as string);
  await sqlite.updateRecipients(ids[1] as string, [{ rcptTo: 'user1@dest.test', status: 'queued', attempts: 3, nextAttemptAtMs: Date.now() - 1_000, lastError: '451 4.3.0 later', lastStatus: '4.3.0' }]);
  await sqlite.close();

  const oldConfig = writeConfigFile(join(dir), { hostname: 'mail.hikyaku.test', dataDir: sqliteDir });
  const file = join(dir, 'queue.jsonl');
  const exported = await runCli(['store', 'export', file, '--config', oldConfig]);
  assert.equal(exported.code, 0, exported.stdout + exported.stderr);
  assert.match(exported.stdout, new RegExp(`Exported ${COUNT} message`));

  const nodeDir = join(dir, 'node');
  const raw = testRawConfig({ dns: dns.address, mxPort: sink.port }, join(nodeDir, 'data'), {
    store: db.url,
    listeners: { submission: { enabled: false }, submissions: { enabled: false }, http: { enabled: false } },
  });
  rmSync(join(dir, 'hikyaku.yaml'));
  const newConfig = writeConfigFile(dir, raw);
  const imported = await runCli(['store', 'import', file, '--config', newConfig]);
  assert.equal(imported.code, 0, imported.stdout + imported.stderr);
  assert.match(imported.stdout, new RegExp(`Imported ${COUNT} message\\(s\\); 0 were in the queue already`));
  const again = await runCli(['store', 'import', file, '--config', newConfig]);
  assert.match(again.stdout, new RegExp(`Imported 0 message\\(s\\); ${COUNT} were in the queue already`));

  const pgStore = await openPgQueueStore({ url: db.url, logger: silent, claimLeaseMs: 30_000 });
  const held = await pgStore.load(ids[0] as string);
  assert.equal(held?.held, true);
  assert.equal(held?.createdAtMs, createdAtMs, 'the original queue time is kept (expiry counts from it)');
  const deferred = await pgStore.load(ids[1] as string);
  assert.deepEqual(deferred?.recipients.map((r) => [r.attempts, r.lastError]), [[3, '451 4.3.0 later']]);
  await pgStore.close();

  const node = await spawnHikyaku(['--config', newConfig]);
  t.after(async () => {
    node.process.kill('SIGTERM');
    await node.exited;
  });
  await sink.waitForMessages(COUNT - 1, 60_000);
  const released = await runCli(['queue', 'release', ids[0] as string, '--config', newConfig]);
  assert.equal(released.code, 0, released.stdout);
  await sink.waitForMessages(COUNT, 60_000);
  await new Promise((r) => setTimeout(r, 1_000));
  const counts = arrivals(sink);
  assert.equal(counts.size, COUNT);
  assert.deepEqual([...counts.values()].filter((n) => n !== 1), []);
});
