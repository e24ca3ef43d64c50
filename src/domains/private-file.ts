// Crash-safe writes of files that hold secrets: write a temporary file
// created with mode 0600, fsync it, then rename (replace) or link (create
// only if absent) it into place, and fsync the directory so the new name
// survives a power loss.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Replaces (or creates) `file` atomically. */
export function writePrivateFile(file: string, content: string): void {
  const tmp = writeTemp(file, content);
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(path.dirname(file));
}

/**
 * Creates `file` atomically; returns false (and writes nothing) when it
 * already exists. link(2) fails with EEXIST instead of replacing, which
 * makes two concurrent `domain add` of one name safe.
 */
export function createPrivateFileExclusive(file: string, content: string): boolean {
  const tmp = writeTemp(file, content);
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  fsyncDir(path.dirname(file));
  return true;
}

function writeTemp(file: string, content: string): string {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = fs.openSync(tmp, 'wx', PRIVATE_FILE_MODE);
  try {
    // The umask cannot widen 0600, but an explicit chmod documents intent
    // and covers filesystems that ignore the open mode.
    fs.fchmodSync(fd, PRIVATE_FILE_MODE);
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  return tmp;
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
