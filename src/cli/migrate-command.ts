// `hikyaku migrate`: create or upgrade the PostgreSQL queue schema (numbered
// steps, queue/postgres/migrations.ts). Safe to run on every node and again:
// steps already applied are skipped, and concurrent runs wait for each other.
import type { CommandContext } from './user-command.js';
import { chosenStore } from '../queue/open-queue-store.js';

const text = {
  embedded: {
    en: 'The queue store is the embedded one (SQLite), which upgrades itself: nothing to migrate. Set `store: postgres://…` or HIKYAKU_STORE to migrate a PostgreSQL queue.',
    ja: 'キューは組み込みストア (SQLite) で、自動で更新されるため移行は不要です。PostgreSQL のキューを移行するには `store: postgres://…` か HIKYAKU_STORE を設定してください。',
  },
  current: { en: 'The PostgreSQL queue schema is up to date (version %s).', ja: 'PostgreSQL のキューのスキーマは最新です (バージョン %s)。' },
  migrated: { en: 'Migrated the PostgreSQL queue schema from version %s to %s.', ja: 'PostgreSQL のキューのスキーマをバージョン %s から %s に更新しました。' },
  failed: {
    en: 'Cannot migrate the PostgreSQL queue: %s (check the store URL, that the server runs and that the user may create tables)',
    ja: 'PostgreSQL のキューを移行できません: %s (ストアの URL、サーバーが動いているか、ユーザーにテーブル作成の権限があるかを確認してください)',
  },
} as const;

export async function runMigrateCommand(ctx: CommandContext): Promise<number> {
  const t = (key: keyof typeof text, ...args: string[]): string => args.reduce<string>((s, a) => s.replace('%s', a), text[key][ctx.lang]);
  let url: string;
  try {
    url = chosenStore(ctx.config);
  } catch (err) {
    ctx.out((err as Error).message);
    return 2;
  }
  if (url === 'embedded') {
    ctx.out(t('embedded'));
    return 0;
  }
  // Loaded here: every `hikyaku` command imports this module, and only this one needs the driver.
  const [{ default: pg }, { migrate }] = await Promise.all([import('pg'), import('../queue/postgres/migrate.js')]);
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const { from, to } = await migrate(client);
    ctx.out(from === to ? t('current', String(to)) : t('migrated', String(from), String(to)));
    return 0;
  } catch (err) {
    ctx.out(t('failed', (err as Error).message));
    return 1;
  } finally {
    await client.end().catch(() => undefined);
  }
}
