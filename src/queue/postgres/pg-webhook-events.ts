// Webhook events into the outbox (migration 3: webhook_events), inside the
// transaction of the queue change that causes them (pg-commit-queue.ts,
// pg-recipient-updates.ts): one multi-row INSERT per batch, none without
// webhooks. An event already there (a write tried again after its batch
// failed) is left as it is.
import type pg from 'pg';
import type { OutboxEvent } from '../writer-protocol.js';

export async function insertWebhookEvents(client: pg.ClientBase, rows: readonly { readonly messageId: string; readonly event: OutboxEvent }[]): Promise<void> {
  if (rows.length === 0) return;
  // WITH ORDINALITY … ORDER BY: seq follows the order given, which is the
  // order the dispatcher sends one message's events in. An event behind
  // others of its message and endpoint is due no earlier than they are
  // (the outbox's invariant, pg-webhook-outbox.ts).
  await client.query(
    `INSERT INTO webhook_events (event_id, endpoint, message_id, payload, next_attempt_at)
     SELECT e, ep, m, p, greatest(n, (SELECT max(w.next_attempt_at) FROM webhook_events w WHERE w.message_id = m AND w.endpoint = ep))
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) WITH ORDINALITY AS u(e, ep, m, p, n, o)
     ORDER BY o
     ON CONFLICT (event_id, endpoint) DO NOTHING`,
    [
      rows.map((r) => r.event.eventId),
      rows.map((r) => r.event.endpoint),
      rows.map((r) => r.messageId),
      rows.map((r) => r.event.payload),
      rows.map((r) => Math.trunc(r.event.nextAttemptAtMs)),
    ],
  );
}
