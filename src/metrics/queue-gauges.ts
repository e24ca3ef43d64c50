// The queue gauges, read when Prometheus scrapes (and by the console and
// `hikyaku status`): the number of messages and the age of the oldest one,
// from a read-only connection of our own to the queue database (WAL: it
// never waits for the writer).
//
// Both are a few page reads whatever the queue's size: the number is kept
// by triggers (queue-schema.ts, queue_counts), the oldest message is one
// step down the primary key (queue ids are time-ordered: core/queue-id.ts).
// count(*) would walk the whole id index on the main thread: 640 ms for a
// million messages (bench/queue-scale.ts).
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { configureReader } from '../queue/queue-schema.js';
import type { QueueGaugeSource } from './metrics.js';

export interface QueueGauges extends QueueGaugeSource {
  close(): void;
}

/** The queue must have been opened by its store first (the writer adds queue_counts to an older queue). */
export function openQueueGauges(dataDir: string): QueueGauges {
  const db = new Database(join(dataDir, 'queue', 'queue.db'), { readonly: true, fileMustExist: true });
  configureReader(db);
  const count = db.prepare('SELECT messages FROM queue_counts WHERE id = 1').pluck();
  const oldest = db.prepare('SELECT created_at FROM messages ORDER BY id LIMIT 1').pluck();
  return {
    stats() {
      const messages = count.get() as number | undefined;
      const createdAt = oldest.get() as number | undefined;
      return { messages: messages ?? 0, oldestCreatedAtMs: createdAt };
    },
    close: () => db.close(),
  };
}
