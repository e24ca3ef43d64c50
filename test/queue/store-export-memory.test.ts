// `hikyaku store export` streams: its memory does not grow with the queue.
// The queue here holds about 100 MiB of envelopes (recipients with a 32 KiB
// last error each, as a long multi-line reply could leave), and the export
// runs in a child process whose V8 heap is capped at 48 MiB: a version that
// read every envelope first (as `store.list()` does) runs out of heap and
// dies; reading a page at a time (queue-export.ts) stays far under the cap.
// Then `store import` of that file, also under the cap, into a second
// queue: every message once, with its state. And `hikyaku queue list`, text
// and --json, and --quarantined (which checks every row) under the same cap:
// they too read a page at a time (they used to read the whole queue first,
// as store.list() does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { cliCommand, tempDir, writeConfigFile } from '../helpers/hikyaku.js';
import { openSqliteQueueStore } from '../../src/queue/sqlite-queue-store.js';
import { newQueueId } from '../../src/core/queue-id.js';

const MESSAGES = 3_200;
const ERROR_BYTES = 32 * 1024;
const HEAP_CAP_MIB = 48;

function configIn(dir: string, dataDir: string): string {
  mkdirSync(dir, { recursive: true });
  return writeConfigFile(dir, { hostname: 'mail.hikyaku.test', dataDir });
}

function runCapped(args: readonly string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const [node, ...rest] = cliCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(node as string, [`--max-old-space-size=${HEAP_CAP_MIB}`, ...rest, ...args], { env: { ...process.env, LANG: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs the CLI under the heap cap, counting its output's lines that start with `prefix` instead of keeping them (~100 MiB). */
function runCappedCounting(args: readonly string[], prefix: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: number; matching: number; stderr: string }> {
  const [node, ...rest] = cliCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(node as string, [`--max-old-space-size=${HEAP_CAP_MIB}`, ...rest, ...args], { env: { ...process.env, LANG: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    let lines = 0;
    let matching = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop() ?? '';
      lines += parts.length;
      for (const line of parts) if (line.startsWith(prefix)) matching++;
    });
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, lines, matching, stderr }));
  });
}

test(`store export and import of ~${Math.round((MESSAGES * ERROR_BYTES) / 2 ** 20)} MiB of envelopes with the heap capped at ${HEAP_CAP_MIB} MiB`, async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const silent = pino({ level: 'silent' });
  const source = join(dir, 'source');
  const store = await openSqliteQueueStore({ dataDir: source, logger: silent });
  const ids: string[] = [];
  try {
    const later = Date.now() + 86_400_000;
    for (let start = 0; start < MESSAGES; start += 400) {
      const batch: Promise<void>[] = [];
      for (let i = start; i < Math.min(MESSAGES, start + 400); i++) {
        const id = newQueueId();
        ids.push(id);
        const rcptTo = `user${i}@dest.test`;
        // Each message's error text differs, so that no two rows can share one string.
        const lastError = `451 4.3.0 try later (${i}) ` + 'x'.repeat(ERROR_BYTES);
        batch.push(
          store
            .enqueue({ id, envelope: { mailFrom: 'app@origin.test', rcptTo: [rcptTo] }, message: Buffer.from(`Subject: m-${i}\r\n\r\nbody ${i}\r\n`), firstRetryAtMs: later })
            .then(() => store.updateRecipients(id, [{ rcptTo, status: 'queued', attempts: 2, nextAttemptAtMs: later, lastError, lastStatus: '4.3.0' }])),
        );
      }
      await Promise.all(batch);
    }
  } finally {
    await store.close();
  }

  const sourceConfig = configIn(join(dir, 'a'), source);
  const listed = await runCappedCounting(['queue', 'list', '--config', sourceConfig], '');
  assert.equal(listed.code, 0, `queue list failed (signal ${listed.signal}): ${listed.stderr}`);
  assert.equal(listed.lines, MESSAGES + 1, 'a header line and one line per message');
  const listedJson = await runCappedCounting(['queue', 'list', '--json', '--config', sourceConfig], '    "id": ');
  assert.equal(listedJson.code, 0, `queue list --json failed (signal ${listedJson.signal}): ${listedJson.stderr}`);
  assert.equal(listedJson.matching, MESSAGES, 'one JSON object per message');
  // --quarantined checks every row too: a page at a time, the one corrupt row found.
  const corrupt = ids[MESSAGES - 7] as string;
  const setStatus = (status: string): void => {
    const db = new Database(join(source, 'queue', 'queue.db'));
    db.prepare('UPDATE recipients SET status = ? WHERE message_id = ?').run(status, corrupt);
    db.close();
  };
  setStatus('garbage');
  const quarantined = await runCappedCounting(['queue', 'list', '--quarantined', '--config', sourceConfig], corrupt);
  assert.equal(quarantined.code, 0, `queue list --quarantined failed (signal ${quarantined.signal}): ${quarantined.stderr}`);
  assert.deepEqual([quarantined.lines, quarantined.matching], [2, 1], 'a header line and the corrupt entry');
  setStatus('queued'); // the export below takes every message

  const file = join(dir, 'queue.jsonl');
  const exported = await runCapped(['store', 'export', file, '--config', sourceConfig]);
  assert.equal(exported.code, 0, `export failed (signal ${exported.signal}): ${exported.stdout}${exported.stderr}`);
  assert.match(exported.stdout, new RegExp(`Exported ${MESSAGES} message`));
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const exportedIds = lines.map((l) => (JSON.parse(l) as { id: string }).id);
  assert.equal(new Set(exportedIds).size, MESSAGES, 'no message twice');
  assert.deepEqual([...exportedIds].sort(), [...ids].sort(), 'every message');

  const target = join(dir, 'target');
  const imported = await runCapped(['store', 'import', file, '--config', configIn(join(dir, 'b'), target)]);
  assert.equal(imported.code, 0, `import failed (signal ${imported.signal}): ${imported.stdout}${imported.stderr}`);
  assert.match(imported.stdout, new RegExp(`Imported ${MESSAGES} message\\(s\\); 0 were in the queue already`));
  const check = await openSqliteQueueStore({ dataDir: target, logger: silent });
  try {
    let n = 0;
    for (let after: string | undefined, page; (page = await check.listPage(after, 500)).lastId !== undefined; after = page.lastId) {
      for (const m of page.messages) {
        n++;
        assert.equal(m.recipients[0]?.attempts, 2);
        assert.match(m.recipients[0]?.lastError ?? '', /^451 4\.3\.0 try later \(\d+\) x{32768}$/);
      }
    }
    assert.equal(n, MESSAGES);
  } finally {
    await check.close();
  }
});
