// The queue gauges, read when Prometheus scrapes: the number of messages and
// the age of the oldest one, from a read-only connection of our own to the
// queue database (WAL: it never waits for the writer).
//
// The oldest message is one step down the primary key (queue ids are
// time-ordered: core/queue-id.ts), whatever the queue's size. A count has
// no index to read from: SQLite walks the whole key b-tree (~20 ms per
// million messages), so on a queue of 10,000 messages or more the count is
// taken again only when the last one is older than a thousand times what it
// cost (at most 0.1% of the main thread) and a second; below that it is
// exact at every scrape.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { configureReader } from '../queue/queue-schema.js';
import type { QueueGaugeSource } from './metrics.js';

const MIN_RECOUNT_MS = 1_000;
const COST_FACTOR = 1_000;

export interface QueueGauges extends QueueGaugeSource {
  close(): void;
}

export function openQueueGauges(dataDir: string, now: () => number = Date.now): QueueGauges {
  const db = new Database(join(dataDir, 'queue', 'queue.db'), { readonly: true, fileMustExist: true });
  configureReader(db);
  const count = db.prepare('SELECT count(*) FROM messages').pluck();
  const oldest = db.prepare('SELECT created_at FROM messages ORDER BY id LIMIT 1').pluck();
  let messages = 0;
  let countedAtMs = -Infinity;
  let validForMs = 0;
  return {
    stats() {
      const startMs = now();
      if (startMs - countedAtMs >= validForMs) {
        messages = count.get() as number;
        countedAtMs = now();
        validForMs = Math.max(MIN_RECOUNT_MS, (countedAtMs - startMs) * COST_FACTOR);
        // A small queue is cheap to count: always exact.
        if (messages < 10_000) validForMs = 0;
      }
      const createdAt = oldest.get() as number | undefined;
      return { messages, oldestCreatedAtMs: createdAt };
    },
    close: () => db.close(),
  };
}
