import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryWriterClient } from './history-writer-client.js';

test('a writer thread that cannot open history.db is reported, and a flush does not hang on it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-history-writer-'));
  try {
    const notADirectory = join(dir, 'file');
    writeFileSync(notADirectory, 'x');
    const errors: unknown[] = [];
    const client = new HistoryWriterClient({ dataDir: notADirectory, waitForAcceptance: false, delayMs: 10, onError: (err) => errors.push(err) });
    client.add({ kind: 'change', id: 'Q1', change: 'held', atMs: Date.now() });
    const started = Date.now();
    client.flush();
    assert.ok(Date.now() - started < 5_000, 'the flush returned once the writer gave up, not at the wait limit');
    await assert.rejects(client.prune(Date.now(), 10));
    assert.ok(errors.some((e) => /ENOTDIR|EEXIST|not a directory/i.test(String(e))), String(errors));
    client.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('records sent to the writer are committed by the time flush returns; prune answers asynchronously', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-history-writer-'));
  try {
    const errors: unknown[] = [];
    const client = new HistoryWriterClient({ dataDir: dir, waitForAcceptance: true, delayMs: 60_000, onError: (err) => errors.push(err) });
    // Attempts heard before their acceptance wait in the writer (a cluster's history).
    client.add({ kind: 'attempts', id: 'Q1', attempts: [{ rcptTo: 'a@example.jp', atMs: 1, outcome: 'delivered' }], nextAttemptAtMs: undefined });
    assert.equal(client.parked, 1);
    client.add({ kind: 'accepted', id: 'Q1', mailFrom: 'x@shop.example', rcptTo: ['a@example.jp'], header: 'Subject: hi\r\n', size: 20, source: 'smtp', user: undefined, held: false, atMs: 1 });
    assert.equal(client.parked, 0);
    assert.equal(await client.prune(Date.now(), 10), 1);
    client.close();
    assert.deepEqual(errors, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
