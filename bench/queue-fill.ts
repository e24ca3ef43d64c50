// Fill a queue through the QueueStore interface, for queue-scale.ts: N
// deferred messages (first retry a day or more away, so nothing delivers
// them) and a few due ones. Enqueues go in windows of concurrent calls, so
// that they share the stores' group commits (the path intake takes), which
// is what makes a million rows take minutes rather than hours.
import { newQueueId } from '../src/core/queue-id.js';
import type { QueueStore } from '../src/queue/queue-store.js';
import { RECIPIENT } from './load-client.js';

const WINDOW = 2_000;
const DAY_MS = 86_400_000;

export interface FillOptions {
  readonly deferred: number;
  readonly due: number;
  /** Progress, every 100,000 messages. */
  readonly log: (line: string) => void;
}

const BODY = Buffer.from(
  'From: <shop@bench.example>\r\nTo: <rcpt@example.com>\r\nSubject: deferred for the scale bench\r\n\r\n' + 'a short body line of a deferred message\r\n'.repeat(8),
);

/** Enqueue the deferred messages, then the due ones (due a second ago); resolves when all have committed. */
export async function fillQueue(store: QueueStore, options: FillOptions): Promise<void> {
  const later = Date.now() + DAY_MS;
  const total = options.deferred + options.due;
  const started = performance.now();
  for (let start = 0; start < total; start += WINDOW) {
    const batch: Promise<void>[] = [];
    for (let i = start; i < Math.min(total, start + WINDOW); i++) {
      const deferred = i < options.deferred;
      const id = newQueueId();
      batch.push(
        store
          .enqueue({
            id,
            envelope: { mailFrom: 'sender@bench.example', rcptTo: [deferred ? `deferred${i}@example.com` : RECIPIENT] },
            message: BODY,
            // Spread over a day, as real retries are; the due ones a second in the past.
            firstRetryAtMs: deferred ? later + (i % 86_400) * 1000 : Date.now() - 1000,
            eightBit: false,
          })
          // A shared store leases what a node enqueues (it would deliver it from memory): give it back.
          .then(() => store.releaseClaim?.(id)),
      );
    }
    await Promise.all(batch);
    const done = Math.min(total, start + WINDOW);
    if (done % 100_000 === 0 || done === total) options.log(`${done.toLocaleString('en')} of ${total.toLocaleString('en')} enqueued (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
}
