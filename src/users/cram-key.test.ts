import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cramKeyPath, loadCramKey, loadOrCreateCramKey } from './cram-key.js';

test('the CRAM-MD5 key file: created once on first need, 0600, then reused', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-cram-key-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(loadCramKey(dir), undefined, 'loading never creates it');
  const key = loadOrCreateCramKey(dir);
  assert.equal(key.length, 32);
  assert.equal(statSync(cramKeyPath(dir)).mode & 0o777, 0o600);
  assert.equal(statSync(dirname(cramKeyPath(dir))).mode & 0o777, 0o700);
  assert.deepEqual(loadOrCreateCramKey(dir), key);
  assert.deepEqual(loadCramKey(dir), key);
  assert.deepEqual(readdirSync(dirname(cramKeyPath(dir))), ['cram-md5.key'], 'no temporary file left');
});

test('a damaged key file is an error, not a new key', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-cram-key-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'keys'));
  writeFileSync(cramKeyPath(dir), 'not a key\n');
  assert.throws(() => loadOrCreateCramKey(dir), /cram-md5\.key: not a CRAM-MD5 key/);
});
