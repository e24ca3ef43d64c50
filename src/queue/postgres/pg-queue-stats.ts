// The queue's size and the age of its oldest message on PostgreSQL, for the
// metrics, the console and `hikyaku status` (main.ts: sharedQueueGauges),
// refreshed in the background by the store.
//
// The oldest message is one step down the primary key (queue ids are
// time-ordered: core/queue-id.ts), whatever the queue's size. count(*) has
// no shortcut in PostgreSQL: it reads the whole table (tens of milliseconds
// of a backend's CPU per million messages). So, as in the embedded store's
// gauges (metrics/queue-gauges.ts), a queue of 10,000 messages or more is
// counted again only once the last count is older than a thousand times
// what it cost; below that it is exact at every refresh.
import type pg from 'pg';

const EXACT_BELOW = 10_000;
const COST_FACTOR = 1_000;

export interface PgQueueStats {
  readonly messages: number;
  readonly oldestCreatedAtMs: number | undefined;
}

/** Every message of the shared queue (quarantined ones too, as in the embedded store's count). */
export async function countPgQueue(pool: pg.Pool): Promise<number> {
  const r = await pool.query<{ n: number }>('SELECT count(*)::int8 AS n FROM messages');
  return Number(r.rows[0]?.n ?? 0);
}

export class PgQueueStatsReader {
  private messages = 0;
  private countedAtMs = -Infinity;
  private validForMs = 0;
  private readonly now: () => number;
  private readonly exactBelow: number;

  /** `now` and `exactBelow` are for tests (a clock, and a smaller "large queue"). */
  constructor(
    private readonly pool: pg.Pool,
    options: { now?: () => number; exactBelow?: number } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.exactBelow = options.exactBelow ?? EXACT_BELOW;
  }

  async read(): Promise<PgQueueStats> {
    const startMs = this.now();
    if (startMs - this.countedAtMs >= this.validForMs) {
      this.messages = await countPgQueue(this.pool);
      this.countedAtMs = this.now();
      this.validForMs = this.messages < this.exactBelow ? 0 : (this.countedAtMs - startMs) * COST_FACTOR;
    }
    // bigint: a string unless the pool parses int8 (the store's does).
    const r = await this.pool.query<{ created_at: number | string }>('SELECT created_at FROM messages ORDER BY id LIMIT 1');
    const oldest = r.rows[0]?.created_at;
    return { messages: this.messages, oldestCreatedAtMs: oldest === undefined ? undefined : Number(oldest) };
  }
}
