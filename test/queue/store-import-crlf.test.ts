// `store import` keeps the queue's promise that every stored message has CRLF
// line endings only: delivery dot-stuffs without scanning for bare CR or LF
// again (src/outbound/dot-stuff.ts), so a body with bare LF from a hand-made
// export file must not reach the queue as it is (a "." after a bare LF would
// go out unstuffed: SMTP smuggling at a receiver that ends data at LF.LF).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { tempDir } from '../helpers/hikyaku.js';
import { openSqliteQueueStore } from '../../src/queue/sqlite-queue-store.js';
import { importMessage, type ExportedMessage } from '../../src/queue/queue-export.js';
import { newQueueId } from '../../src/core/queue-id.js';
import { dataChunks } from '../../src/outbound/dot-stuff.js';

test('an imported body with bare LF and bare CR is stored with CRLF line endings, so its dots are stuffed on the wire', async () => {
  const dir = tempDir();
  const store = await openSqliteQueueStore({ dataDir: dir, logger: pino({ level: 'silent' }) });
  try {
    const id = newQueueId();
    const line: ExportedMessage = {
      id,
      mailFrom: 'app@origin.test',
      createdAtMs: Date.now(),
      held: false,
      delayNotified: false,
      eightBit: false,
      recipients: [{ rcptTo: 'user@dest.test', status: 'queued', attempts: 0, nextAttemptAtMs: Date.now() }],
      body: Buffer.from('Subject: hand-made\n\nbefore\n.\nMAIL FROM:<evil@example.net>\rafter\n').toString('base64'),
    };
    assert.equal(await importMessage(store, line), 'imported');
    const stored = await store.readMessage(id);
    assert.equal(stored?.toString(), 'Subject: hand-made\r\n\r\nbefore\r\n.\r\nMAIL FROM:<evil@example.net>\r\nafter\r\n');
    const wire = Buffer.concat([...dataChunks(stored as Buffer)].flat()).toString();
    assert.equal(wire, 'Subject: hand-made\r\n\r\nbefore\r\n..\r\nMAIL FROM:<evil@example.net>\r\nafter\r\n.\r\n');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
