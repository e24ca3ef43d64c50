// Recipient results of many messages written with a fixed number of
// statements per group commit (not per message): one UPDATE of the
// recipients, one INSERT of the attempt rows, one UPDATE of the messages'
// next due time, one DELETE of the messages left with nothing queued (and,
// with webhooks, one INSERT of their events). Round
// trips to PostgreSQL, not its work, were what bounded the rate of the
// statement-per-message version (bench: hikyaku-pg).
import type pg from 'pg';
import type { OutboxEvent } from '../writer-protocol.js';
import { insertWebhookEvents } from './pg-webhook-events.js';

export interface UpdateJob {
  readonly id: string;
  readonly nowMs: number;
  readonly node: string;
  readonly delayNotified: boolean;
  readonly updates: readonly {
    readonly rcptTo: string;
    readonly status: string;
    readonly attempts: number;
    readonly nextAttemptAtMs: number;
    readonly lastError: string | null;
    readonly lastStatus: string | null;
  }[];
  /** Webhook events caused by these outcomes, written in the same transaction; absent without webhooks. */
  readonly events?: readonly OutboxEvent[] | undefined;
}

/** Apply the jobs in order; returns the ids of messages removed (no recipient left queued). */
export async function applyUpdates(client: pg.ClientBase, jobs: readonly UpdateJob[]): Promise<Set<string>> {
  const removed = new Set<string>();
  // An UPDATE … FROM changes a row once even when it matches twice: two
  // updates of one message in a batch go into successive rounds, in order.
  for (const round of rounds(jobs)) {
    for (const id of await applyRound(client, round)) removed.add(id);
  }
  return removed;
}

function rounds(jobs: readonly UpdateJob[]): UpdateJob[][] {
  const out: { ids: Set<string>; jobs: UpdateJob[] }[] = [];
  const lastRoundOf = new Map<string, number>();
  for (const job of jobs) {
    const index = (lastRoundOf.get(job.id) ?? -1) + 1;
    if (index === out.length) out.push({ ids: new Set(), jobs: [] });
    const round = out[index] as { ids: Set<string>; jobs: UpdateJob[] };
    round.ids.add(job.id);
    round.jobs.push(job);
    lastRoundOf.set(job.id, index);
  }
  return out.map((r) => r.jobs);
}

async function applyRound(client: pg.ClientBase, jobs: readonly UpdateJob[]): Promise<string[]> {
  const rows = jobs.flatMap((j) => j.updates.map((u) => ({ j, u })));
  if (rows.length > 0) {
    await client.query(
      `UPDATE recipients r SET status = u.status, next_attempt_at = u.next, last_error = u.err, last_status = u.st,
         last_attempt_at = CASE WHEN u.attempts > r.attempts THEN u.now ELSE r.last_attempt_at END, attempts = u.attempts
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::text[], $7::text[], $8::bigint[]) AS u(id, rcpt_to, status, attempts, next, err, st, now)
       WHERE r.message_id = u.id AND r.rcpt_to = u.rcpt_to`,
      [
        rows.map((r) => r.j.id),
        rows.map((r) => r.u.rcptTo),
        rows.map((r) => r.u.status),
        rows.map((r) => r.u.attempts),
        rows.map((r) => r.u.nextAttemptAtMs),
        rows.map((r) => r.u.lastError),
        rows.map((r) => r.u.lastStatus),
        rows.map((r) => r.j.nowMs),
      ],
    );
  }
  // Results only: an attempt recorded before it is made (still queued, no error) is not one.
  const results = rows.filter((r) => r.u.status !== 'queued' || r.u.lastError !== null);
  if (results.length > 0) {
    await client.query(
      `INSERT INTO attempts (message_id, rcpt_to, attempt, status, at, node, last_status, last_error)
       SELECT u.id, u.r, u.a, u.s, u.at, u.node, u.st, u.e FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[]) AS u(id, r, a, s, at, node, st, e)
       WHERE EXISTS (SELECT 1 FROM messages m WHERE m.id = u.id)`,
      [
        results.map((r) => r.j.id),
        results.map((r) => r.u.rcptTo),
        results.map((r) => r.u.attempts),
        results.map((r) => r.u.status),
        results.map((r) => r.j.nowMs),
        results.map((r) => r.j.node),
        results.map((r) => r.u.lastStatus),
        results.map((r) => r.u.lastError),
      ],
    );
  }
  // Written whether or not the message is still there, as in the embedded store: the outcome happened.
  await insertWebhookEvents(client, jobs.flatMap((j) => (j.events ?? []).map((e) => ({ messageId: j.id, event: e }))));
  const next = await client.query<{ id: string; next: number | null }>(
    `UPDATE messages m SET delay_notified = m.delay_notified OR u.dn,
       next_due_at = (SELECT min(r.next_attempt_at) FROM recipients r WHERE r.message_id = m.id AND r.status = 'queued')
     FROM unnest($1::text[], $2::boolean[]) AS u(id, dn) WHERE m.id = u.id
     RETURNING m.id, m.next_due_at AS next`,
    [jobs.map((j) => j.id), jobs.map((j) => j.delayNotified)],
  );
  const done = next.rows.filter((r) => r.next === null).map((r) => r.id);
  if (done.length > 0) await client.query('DELETE FROM messages WHERE id = ANY($1::text[])', [done]);
  return done;
}
