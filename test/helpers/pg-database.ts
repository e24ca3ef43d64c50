// A PostgreSQL database of its own for a test: `hikyaku_test_<random>` on the
// server at 127.0.0.1:5432 (user postgres, trust authentication, as .ci/run
// sets up), migrated to the current schema, dropped at cleanup.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/queue/postgres/migrate.js';

export const PG_ADMIN_URL = process.env['HIKYAKU_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** Run SQL against it (for tests that look at or damage rows). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, args?: unknown[]): Promise<pg.QueryResult<R>>;
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `hikyaku_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  if (options.migrate !== false) await migrate(client);
  let dropped = false;
  return {
    name,
    url: url.toString(),
    query: (sql, args) => client.query(sql, args),
    async drop() {
      if (dropped) return;
      dropped = true;
      await client.end().catch(() => undefined);
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
