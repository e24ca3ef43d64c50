// A consistent copy of a data directory while the server runs, for
// `hikyaku backup`: every SQLite database (queue, users, api, history,
// console, counters…) through SQLite's online backup in ONE step (one read
// transaction: the copy is the database as of one instant, and a busy
// writer cannot make it start over, as the default 100-page steps would),
// every other file (DKIM keys in domains/, TLS keys, the CRAM key, maildrop
// files) copied as is — they are replaced by rename, never rewritten in
// place — and the configuration file. WAL and shared-memory files, sockets
// and SQLite journals are left out: the copies are whole databases. The
// copies are made in a staging directory inside the data directory itself
// (.backup-*), so plain key material never leaves the directory that holds it.
import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, openSync, readSync, closeSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import type { ArchiveEntry } from './archive.js';

export interface BackupManifest {
  readonly backupFormat: 1;
  readonly dataFormat: number;
  readonly createdAtMs: number;
  /** The machine it was made on, and the server's hostname setting. */
  readonly machine: string;
  readonly hostname: string;
  readonly dataDir: string;
  /** The configuration file backed up (config/hikyaku.yaml in the archive), if any. */
  readonly configFile: string | null;
  readonly databases: readonly string[];
  /** Files the configuration names outside the data directory: not in the backup. */
  readonly outside: readonly string[];
}

export interface SnapshotInput {
  readonly dataDir: string;
  readonly dataFormat: number;
  readonly hostname: string;
  readonly configFile: string | undefined;
  readonly outside: readonly string[];
  /** Files not to take (the backup file itself, when written into the data directory). */
  readonly exclude: readonly string[];
  readonly stagingDir: string;
}

const SKIP = /(-wal|-shm|-journal)$/;
/** The staging directory of a backup in progress, inside the data directory (never itself backed up). */
export const STAGING_PREFIX = '.backup-';
const SQLITE_MAGIC = 'SQLite format 3\0';

export async function snapshotDataDir(input: SnapshotInput): Promise<{ entries: ArchiveEntry[]; manifest: BackupManifest }> {
  const entries: ArchiveEntry[] = [];
  const databases: string[] = [];
  const exclude = new Set(input.exclude.map((f) => resolve(f)));
  const copyTo = (rel: string): string => {
    const target = join(input.stagingDir, 'data', rel);
    mkdirSync(join(target, '..'), { recursive: true, mode: 0o700 });
    return target;
  };
  const walk = async (dir: string): Promise<void> => {
    for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, d.name);
      const rel = relative(input.dataDir, path).split(sep).join('/');
      if (exclude.has(resolve(path)) || d.name.includes('.tmp-') || d.name.startsWith(STAGING_PREFIX) || SKIP.test(d.name)) continue;
      if (d.isDirectory()) {
        entries.push({ path: `data/${rel}`, mode: statSync(path).mode & 0o7777, dir: true });
        await walk(path);
        continue;
      }
      if (!d.isFile()) continue; // sockets (sendmail.sock, control.sock), links
      const mode = statSync(path).mode & 0o777;
      const copy = copyTo(rel);
      if (d.name.endsWith('.db') && isSqlite(path)) {
        await backupDatabase(path, copy);
        databases.push(rel);
      } else {
        copyFileSync(path, copy);
      }
      entries.push({ path: `data/${rel}`, mode, source: copy, size: statSync(copy).size });
    }
  };
  await walk(input.dataDir);
  if (input.configFile !== undefined) {
    const copy = join(input.stagingDir, 'hikyaku.yaml');
    copyFileSync(input.configFile, copy);
    entries.push({ path: 'config/hikyaku.yaml', mode: 0o600, source: copy, size: statSync(copy).size });
  }
  const manifest: BackupManifest = {
    backupFormat: 1,
    dataFormat: input.dataFormat,
    createdAtMs: Date.now(),
    machine: hostname(),
    hostname: input.hostname,
    dataDir: input.dataDir,
    configFile: input.configFile ?? null,
    databases,
    outside: input.outside,
  };
  const manifestFile = join(input.stagingDir, 'manifest.json');
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
  entries.unshift({ path: 'manifest.json', mode: 0o600, source: manifestFile, size: statSync(manifestFile).size });
  return { entries, manifest };
}

function isSqlite(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(16);
    return readSync(fd, head, 0, 16, 0) === 16 && head.toString('latin1') === SQLITE_MAGIC;
  } finally {
    closeSync(fd);
  }
}

async function backupDatabase(path: string, copy: string): Promise<void> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    // Every remaining page in the next step: one read transaction, one instant.
    await db.backup(copy, { progress: () => 0x7fffffff });
  } finally {
    db.close();
  }
}
