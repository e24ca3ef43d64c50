// Which queue store this node uses: the embedded one (SQLite under dataDir,
// the default) or PostgreSQL shared by several nodes, chosen by the `store`
// setting or the HIKYAKU_STORE environment variable (which wins, so that one
// configuration file can serve nodes started differently, and tests).
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { openSqliteQueueStore, type SqliteQueueStore } from './sqlite-queue-store.js';
import type { PgQueueStore } from './postgres/pg-queue-store.js';

export type OpenedQueueStore = { readonly kind: 'embedded'; readonly store: SqliteQueueStore } | { readonly kind: 'postgres'; readonly store: PgQueueStore };

export class StoreChoiceError extends Error {
  readonly ja: string;
  constructor(en: string, ja: string) {
    super(en);
    this.name = 'StoreChoiceError';
    this.ja = ja;
  }
}

/** 'embedded' or a postgres:// URL, from HIKYAKU_STORE or the configuration. */
export function chosenStore(config: Pick<Config, 'store'>, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['HIKYAKU_STORE'];
  if (fromEnv === undefined || fromEnv === '') return config.store;
  if (fromEnv === 'embedded' || /^postgres(ql)?:\/\/./.test(fromEnv)) return fromEnv;
  throw new StoreChoiceError(
    'HIKYAKU_STORE: not allowed (allowed: embedded, or postgres://user@host:port/database); unset it to use the `store` setting',
    'HIKYAKU_STORE: 使えない値です (embedded か postgres://ユーザー@ホスト:ポート/データベース)。設定ファイルの `store` を使うには解除してください',
  );
}

export async function openQueueStore(config: Pick<Config, 'store' | 'dataDir' | 'queue'>, logger: Logger): Promise<OpenedQueueStore> {
  const url = chosenStore(config);
  if (url === 'embedded') return { kind: 'embedded', store: await openSqliteQueueStore({ dataDir: config.dataDir, logger }) };
  // Loaded only when used: the embedded store needs no PostgreSQL driver.
  const { openPgQueueStore, SchemaVersionError } = await import('./postgres/pg-queue-store.js');
  try {
    return { kind: 'postgres', store: await openPgQueueStore({ url, logger, claimLeaseMs: config.queue.claimLeaseMs }) };
  } catch (err) {
    if (err instanceof SchemaVersionError) throw err;
    const where = withoutPassword(url);
    const why = err instanceof Error ? err.message : String(err);
    throw new StoreChoiceError(
      `cannot open the PostgreSQL queue at ${where}: ${why} (check \`store\` or HIKYAKU_STORE, that PostgreSQL runs, and that this user may connect)`,
      `PostgreSQL のキュー ${where} を開けません: ${why} (\`store\` または HIKYAKU_STORE、PostgreSQL が動いているか、このユーザーで接続できるかを確認してください)`,
    );
  }
}

/** The URL as it may be shown: the password replaced. */
export function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}
