// This node's name in a cluster: made once and kept in <dataDir>/node-id,
// so that after a restart the node knows which shared rows are its own
// (its counts are in its own counters.db already and must not be counted
// a second time as another node's).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createPrivateFileExclusive, ensurePrivateDir } from '../domains/private-file.js';

export function loadOrCreateNodeId(dataDir: string): string {
  const path = join(dataDir, 'node-id');
  if (!existsSync(path)) {
    ensurePrivateDir(dataDir);
    // The host name helps a reader of the shared tables; the random part keeps two data directories on one host apart.
    createPrivateFileExclusive(path, `${hostname().replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 40)}-${randomBytes(4).toString('hex')}\n`);
  }
  const id = readFileSync(path, 'utf8').trim();
  if (!/^[A-Za-z0-9.-]{1,64}$/.test(id)) throw new Error(`${path}: not a node id; delete the file and a new one is made`);
  return id;
}
