import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupError, extractArchive, readArchiveInfo, writeArchive, type ArchiveEntry } from './archive.js';

function fixture(t: { after(fn: () => void): void }): { dir: string; entries: ArchiveEntry[] } {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-archive-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'key'), '-----BEGIN PRIVATE KEY-----\nsecret\n');
  writeFileSync(join(dir, 'empty'), '');
  const big = Buffer.alloc(300_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
  writeFileSync(join(dir, 'big'), big);
  return {
    dir,
    entries: [
      { path: 'data/domains', mode: 0o700, dir: true },
      { path: 'data/domains/example.test.json', mode: 0o600, source: join(dir, 'key'), size: statSync(join(dir, 'key')).size },
      { path: 'data/empty', mode: 0o644, source: join(dir, 'empty'), size: 0 },
      { path: 'data/queue.db', mode: 0o600, source: join(dir, 'big'), size: big.length },
    ],
  };
}

test('plain round trip: files, an empty file, modes, bytes', async (t) => {
  const { dir, entries } = fixture(t);
  const file = join(dir, 'b.hkb');
  await writeArchive(file, entries, undefined);
  assert.equal(readArchiveInfo(file).encrypted, false);
  const out = join(dir, 'out');
  await extractArchive(file, out, undefined);
  assert.equal(readFileSync(join(out, 'data/domains/example.test.json'), 'utf8'), '-----BEGIN PRIVATE KEY-----\nsecret\n');
  assert.deepEqual(readFileSync(join(out, 'data/queue.db')), readFileSync(join(dir, 'big')));
  assert.equal(readFileSync(join(out, 'data/empty')).length, 0);
  assert.equal(statSync(join(out, 'data/domains')).mode & 0o777, 0o700);
  assert.equal(statSync(join(out, 'data/domains/example.test.json')).mode & 0o777, 0o600);
  assert.equal(statSync(file).mode & 0o777, 0o600, 'the backup file itself is private');
});

test('encrypted: no plain text in the file; the right passphrase restores, a wrong one or a changed byte fails', async (t) => {
  const { dir, entries } = fixture(t);
  const file = join(dir, 'b.hkb');
  await writeArchive(file, entries, 'correct horse');
  assert.equal(readArchiveInfo(file).encrypted, true);
  assert.equal(readFileSync(file).includes('PRIVATE KEY'), false);
  await extractArchive(file, join(dir, 'ok'), 'correct horse');
  assert.equal(readFileSync(join(dir, 'ok/data/domains/example.test.json'), 'utf8'), '-----BEGIN PRIVATE KEY-----\nsecret\n');

  await assert.rejects(extractArchive(file, join(dir, 'wrong'), 'wrong horse'), (err: unknown) => err instanceof BackupError && /passphrase is wrong/.test(err.en) && /パスフレーズが違う/.test(err.ja));
  await assert.rejects(extractArchive(file, join(dir, 'none'), undefined), (err: unknown) => err instanceof BackupError && /is encrypted: give its passphrase/.test(err.en));

  const bytes = readFileSync(file);
  const tampered = Buffer.from(bytes);
  const at = bytes.length - 100;
  tampered[at] = (tampered[at] as number) ^ 1;
  writeFileSync(join(dir, 't.hkb'), tampered);
  await assert.rejects(extractArchive(join(dir, 't.hkb'), join(dir, 'tampered'), 'correct horse'), BackupError);
});

test('an unsafe path in an archive is refused; a file that is not a backup is named', async (t) => {
  const { dir, entries } = fixture(t);
  const file = join(dir, 'evil.hkb');
  await writeArchive(file, [{ ...(entries[1] as ArchiveEntry), path: 'data/../../escape' }], undefined);
  await assert.rejects(extractArchive(file, join(dir, 'out'), undefined), (err: unknown) => err instanceof BackupError && /unsafe path/.test(err.en));
  assert.equal(existsSync(join(dir, 'escape')), false);
  writeFileSync(join(dir, 'not.hkb'), 'hello\n');
  assert.throws(() => readArchiveInfo(join(dir, 'not.hkb')), (err: unknown) => err instanceof BackupError && /is not a Hikyaku backup/.test(err.en));
});
