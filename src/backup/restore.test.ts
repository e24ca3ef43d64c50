import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { moveDirectory } from './restore.js';

// /dev/shm is a tmpfs on Linux: a move from there to the temporary directory's disk crosses file systems (EXDEV).
const otherFs = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(tmpdir()).dev;

test('moveDirectory across file systems copies files and modes, then removes the source', { skip: !otherFs && 'no second file system (/dev/shm) here' }, () => {
  const from = mkdtempSync('/dev/shm/hikyaku-move-');
  const target = mkdtempSync(join(tmpdir(), 'hikyaku-move-'));
  try {
    mkdirSync(join(from, 'domains'), { mode: 0o700 });
    writeFileSync(join(from, 'domains', 'example.test.json'), '{"key":"secret"}', { mode: 0o600 });
    writeFileSync(join(from, 'users.db'), 'db', { mode: 0o600 });
    chmodSync(join(from, 'domains'), 0o700);
    const to = join(target, 'data');
    moveDirectory(from, to);
    assert.equal(existsSync(from), false);
    assert.equal(readFileSync(join(to, 'domains', 'example.test.json'), 'utf8'), '{"key":"secret"}');
    assert.equal(statSync(join(to, 'domains', 'example.test.json')).mode & 0o777, 0o600);
    assert.equal(statSync(join(to, 'users.db')).mode & 0o777, 0o600);
    assert.equal(statSync(join(to, 'domains')).mode & 0o777, 0o700);
  } finally {
    rmSync(from, { recursive: true, force: true });
    rmSync(target, { recursive: true, force: true });
  }
});
