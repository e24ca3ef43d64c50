// CPU of the PostgreSQL processes that serve one benchmark database: its
// client backends (pg_stat_activity), read from /proc like the others
// (proc-stats.ts). PostgreSQL runs as another user, but /proc/<pid>/stat is
// readable by all. Backends come and go (pool connections time out): one
// that appears between two readings counts with all its CPU, one that ends
// between them loses what it spent since the first.
import pg from 'pg';
import { cpuSeconds } from './proc-stats.js';

/** A function listing the pids of the client backends on this database (not autovacuum's; its own connection ends before the reading). */
export function backendLister(url: string): () => Promise<number[]> {
  const name = new URL(url).pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  return async () => {
    const c = new pg.Client({ connectionString: admin.toString() });
    await c.connect();
    try {
      const r = await c.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'", [name]);
      return r.rows.map((row) => row.pid);
    } finally {
      await c.end();
    }
  };
}

/** The server-wide helpers (WAL writer, checkpointer, background writer): shared by every database on the server. */
export async function auxiliaryPids(url: string): Promise<number[]> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    const r = await c.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE backend_type IN ('walwriter', 'checkpointer', 'background writer')");
    return r.rows.map((row) => row.pid);
  } finally {
    await c.end();
  }
}

export function cpuOf(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      out.set(pid, cpuSeconds(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU seconds between two readings of cpuOf. */
export function cpuBetween(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let s = 0;
  for (const [pid, t] of after) s += t - (before.get(pid) ?? 0);
  return s;
}
