// The client side of the maildrop: when the server does not run, `hikyaku
// sendmail` writes its frame (frame.ts) into dataDir/maildrop/ — to a
// temporary name starting with "." (which the pickup skips), fsync'd, then
// renamed, then the directory fsync'd — and only then exits 0.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** Writes the file durably; returns its name. Throws the file system's error (EACCES, ENOSPC…). */
export function writeMaildropFile(dir: string, frame: Buffer): string {
  const name = `${Date.now().toString(36)}${process.pid.toString(36)}${randomBytes(6).toString('hex')}`.toUpperCase();
  const temporary = join(dir, `.tmp.${name}`);
  // 0640: the directory's setgid bit gives the file the server's group, which reads it.
  const fd = openSync(temporary, 'wx', 0o640);
  try {
    for (let off = 0; off < frame.length; ) off += writeSync(fd, frame, off, frame.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(temporary);
    } catch {
      // nothing to clean
    }
    throw err;
  }
  closeSync(fd);
  renameSync(temporary, join(dir, name));
  syncDirectoryIfReadable(dir);
  return name;
}

/**
 * The rename made durable. A member of the server's group may write into the
 * maildrop (mode 3730) but not open it for reading, which fsync on a
 * directory needs: for such a user the file's own fsync is what is
 * guaranteed, and the server's next directory fsync covers the rename.
 */
function syncDirectoryIfReadable(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EACCES') return;
    throw err;
  }
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
