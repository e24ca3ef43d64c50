// The commands on a PostgreSQL queue, as a user runs them: `hikyaku start`
// refuses a database without the current schema and says to migrate;
// `hikyaku migrate` creates it (and says so when there is nothing to do);
// `hikyaku queue` on any node sees and changes the shared queue, and lists
// quarantined entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { runCli, tempDir, writeConfigFile } from '../helpers/hikyaku.js';
import { createTestDatabase } from '../helpers/pg-database.js';
import { openPgQueueStore } from '../../src/queue/postgres/pg-queue-store.js';
import { LATEST_VERSION } from '../../src/queue/postgres/migrations.js';
import { newQueueId } from '../../src/core/queue-id.js';

test('start refuses an unmigrated database, migrate creates the schema, the queue commands act on the shared queue', async (t) => {
  const db = await createTestDatabase({ migrate: false });
  const dir = tempDir();
  t.after(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  const config = writeConfigFile(dir, {
    hostname: 'mail.hikyaku.test',
    dataDir: join(dir, 'data'),
    store: db.url,
    listeners: { submission: { host: '127.0.0.1', port: 0 }, submissions: { enabled: false }, http: { enabled: false } },
  });

  const refused = await runCli(['start', '--config', config]);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, new RegExp(`schema is at version 0, this Hikyaku needs version ${LATEST_VERSION}: run \`hikyaku migrate\` first`));
  assert.match(refused.stderr, /`hikyaku migrate` を実行してください/);

  const migrated = await runCli(['migrate', '--config', config]);
  assert.equal(migrated.code, 0, migrated.stdout + migrated.stderr);
  assert.match(migrated.stdout, new RegExp(`Migrated the PostgreSQL queue schema from version 0 to ${LATEST_VERSION}\\b`));
  const again = await runCli(['migrate', '--config', config]);
  assert.match(again.stdout, new RegExp(`up to date \\(version ${LATEST_VERSION}\\)`));

  // A message queued by another node.
  const store = await openPgQueueStore({ url: db.url, logger: pino({ level: 'silent' }), claimLeaseMs: 30_000 });
  const id = newQueueId();
  const bad = newQueueId();
  for (const qid of [id, bad]) {
    await store.enqueue({ id: qid, envelope: { mailFrom: 'a@origin.test', rcptTo: ['b@dest.test'] }, message: Buffer.from('Subject: x\r\n\r\nx\r\n'), firstRetryAtMs: Date.now() + 600_000 });
  }
  await store.close();
  await db.query("UPDATE recipients SET attempts = -1 WHERE message_id = $1", [bad]);

  const listed = await runCli(['queue', 'list', '--json', '--config', config]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual((JSON.parse(listed.stdout) as { id: string }[]).map((m) => m.id), [id]);
  const held = await runCli(['queue', 'hold', id, '--config', config]);
  assert.match(held.stdout, new RegExp(`Held: ${id}`));
  const row = await db.query<{ held: boolean }>('SELECT held FROM messages WHERE id = $1', [id]);
  assert.equal(row.rows[0]?.held, true);
  const quarantined = await runCli(['queue', 'list', '--quarantined', '--config', config]);
  assert.match(quarantined.stdout, new RegExp(`${bad}\\trecipient b@dest.test: bad attempts`));
  const removed = await runCli(['queue', 'delete', bad, '--config', config]);
  assert.equal(removed.code, 0, removed.stdout);
  assert.match((await runCli(['queue', 'list', '--quarantined', '--config', config])).stdout, /No quarantined queue entries/);
});
