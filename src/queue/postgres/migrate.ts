// A small numbered-SQL migration runner for the PostgreSQL queue. Why not a
// migration tool: the schema is a handful of tables owned by this program
// alone, the steps ship inside the package (no files to find at run time),
// and what is needed fits in one screen — a schema_version table, each step
// in its own transaction (PostgreSQL DDL is transactional, so a failed step
// leaves the previous version intact), and an advisory lock so that two
// nodes running `hikyaku migrate` at once apply each step once.
import type pg from 'pg';
import { LATEST_VERSION, MIGRATIONS } from './migrations.js';

// Arbitrary constant key of the advisory lock ("hikyaku" in ASCII, truncated).
const LOCK_KEY = 0x68696b79;

export interface MigrateResult {
  readonly from: number;
  readonly to: number;
}

/** The schema's version: 0 for a database without the queue tables. */
export async function schemaVersion(db: pg.ClientBase | pg.Pool): Promise<number> {
  const exists = await db.query<{ t: string | null }>("SELECT to_regclass('schema_version')::text AS t");
  if (exists.rows[0]?.t == null) return 0;
  const row = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
  return row.rows[0]?.v ?? 0;
}

/** Apply every step above the database's version, in order. */
export async function migrate(client: pg.ClientBase): Promise<MigrateResult> {
  await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
  try {
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const from = await schemaVersion(client);
    for (const step of MIGRATIONS) {
      if (step.version <= from) continue;
      await client.query('BEGIN');
      try {
        await client.query(step.sql);
        await client.query('INSERT INTO schema_version (version, name) VALUES ($1, $2)', [step.version, step.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${step.version} (${step.name}) failed: ${(err as Error).message}`, { cause: err });
      }
    }
    return { from, to: Math.max(from, LATEST_VERSION) };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
  }
}

/** Why the server must not run on this schema (en, ja), or undefined when it is current. */
export function schemaProblem(version: number): { en: string; ja: string } | undefined {
  if (version === LATEST_VERSION) return undefined;
  if (version < LATEST_VERSION) {
    return {
      en: `the PostgreSQL queue schema is at version ${version}, this Hikyaku needs version ${LATEST_VERSION}: run \`hikyaku migrate\` first`,
      ja: `PostgreSQL のキューのスキーマはバージョン ${version} ですが、この Hikyaku にはバージョン ${LATEST_VERSION} が必要です: 先に \`hikyaku migrate\` を実行してください`,
    };
  }
  return {
    en: `the PostgreSQL queue schema is at version ${version}, newer than this Hikyaku knows (${LATEST_VERSION}): upgrade Hikyaku on this node`,
    ja: `PostgreSQL のキューのスキーマはバージョン ${version} で、この Hikyaku が知るもの (${LATEST_VERSION}) より新しいです: このノードの Hikyaku を更新してください`,
  };
}
