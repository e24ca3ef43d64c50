// kill -9 while enqueuing: every id whose enqueue had resolved (and was
// printed) must be in the queue afterwards, with its whole body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { pino } from 'pino';
import { openSqliteQueueStore } from '../../src/queue/sqlite-queue-store.js';
import { fixtureScript } from './fixtures/fixture-path.js';
import { crashTestBody } from './fixtures/crash-body.js';

const KILL_AFTER_IDS = 150;

test('kill -9 during enqueues loses no message whose enqueue resolved', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hikyaku-crash-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));

  const script = fixtureScript('enqueue-loop');
  const child = spawn(process.execPath, [...script.execArgv, script.path, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  let killed = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (!killed && out.split('\n').length > KILL_AFTER_IDS) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, sig) => resolve(sig)));
  assert.equal(signal, 'SIGKILL', 'the child must die by SIGKILL, not end by itself');

  // Only complete lines: a line is printed after its enqueue resolved.
  const printed = out.split('\n').slice(0, -1);
  assert.ok(printed.length >= KILL_AFTER_IDS);

  const store = await openSqliteQueueStore({ dataDir, logger: pino({ level: 'silent' }) });
  t.after(() => store.close());
  const stored = new Set((await store.list()).map((m) => m.id));
  for (const id of printed) {
    assert.ok(stored.has(id), `message ${id} was acknowledged but is missing`);
    const loaded = await store.load(id);
    assert.deepEqual(loaded?.recipients.map((r) => r.rcptTo), [`rcpt-${id}@example.net`]);
    assert.equal(loaded?.mailFrom, 'crash@example.com');
    assert.deepEqual(await store.readMessage(id), crashTestBody(id), `message ${id} body differs`);
  }
});
