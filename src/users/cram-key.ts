// The key that encrypts the passwords kept for CRAM-MD5 (see secret-box.ts):
// <dataDir>/keys/cram-md5.key, 64 hex characters, readable by its owner
// only. It is kept apart from users.db so that a copy of the database (a
// backup, a support bundle) does not carry recoverable passwords; whoever
// has both files has the passwords — the price of offering CRAM-MD5.
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

const KEY_BYTES = 32;

export function cramKeyPath(dataDir: string): string {
  return join(dataDir, 'keys', 'cram-md5.key');
}

function parseKey(path: string, text: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error(`${path}: not a CRAM-MD5 key (expected ${KEY_BYTES * 2} hex characters)`);
  return Buffer.from(hex, 'hex');
}

/** The key when the file exists (CRAM-MD5 was switched on at some point), else undefined. Never creates it. */
export function loadCramKey(dataDir: string): Buffer | undefined {
  const path = cramKeyPath(dataDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseKey(path, text);
}

/**
 * The key, creating the file (0600, in a 0700 directory) on first need.
 * Written to a temporary file and then hard-linked into place, so another
 * process never reads a half-written key, and of two racing processes one
 * wins and both use its key.
 */
export function loadOrCreateCramKey(dataDir: string): Buffer {
  const existing = loadCramKey(dataDir);
  if (existing) return existing;
  const path = cramKeyPath(dataDir);
  mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, `${randomBytes(KEY_BYTES).toString('hex')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(temporary);
  }
  return parseKey(path, readFileSync(path, 'utf8'));
}
