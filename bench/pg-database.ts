// A PostgreSQL database for one hikyaku-pg run of the self-benchmark:
// created on the given server, migrated to the current schema, dropped after.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../src/queue/postgres/migrate.js';

export interface BenchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

export async function benchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `hikyaku_bench_${randomBytes(5).toString('hex')}`;
  const admin = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  try {
    await migrate(c);
  } finally {
    await c.end();
  }
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
