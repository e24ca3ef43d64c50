// Group commit on PostgreSQL: writes wait here while a transaction is being
// committed and go together into the next one, so that every enqueue that
// arrived meanwhile shares one COMMIT (one WAL flush on the server). A caller
// is answered only after COMMIT returned: intake says 250 only then.
//
// Enqueues of a batch become three multi-row INSERTs (messages, bodies,
// recipients) whatever their number, recipient results four statements
// (pg-recipient-updates.ts); other writes are run one after the other in
// the same transaction. If the batch fails, it is rolled back and
// each write is tried again alone, so one bad write (a duplicate id) fails
// by itself instead of taking the others down.
//
// A COMMIT whose answer was lost (connection cut) may have committed: an
// enqueue tried again then finds its own row (same id, creation time and
// size) and counts as stored instead of failing as a duplicate.
import type pg from 'pg';
import type { OutboxEvent } from '../writer-protocol.js';
import { applyUpdates, type UpdateJob } from './pg-recipient-updates.js';
import { insertWebhookEvents } from './pg-webhook-events.js';

const MAX_BATCH_JOBS = 2_000;
const MAX_BATCH_BYTES = 64 * 1024 * 1024;

export interface EnqueueRow {
  readonly id: string;
  readonly mailFrom: string;
  readonly createdAtMs: number;
  readonly holdReason: string | null;
  readonly envId: string | null;
  readonly ret: 'FULL' | 'HDRS' | null;
  readonly smtputf8: boolean;
  readonly eightBit: boolean;
  readonly requireTls: boolean;
  readonly firstRetryAtMs: number;
  readonly leaseOwner: string;
  readonly leaseUntilMs: number;
  readonly recipients: readonly { readonly rcptTo: string; readonly domain: string; readonly notify: string | null; readonly orcpt: string | null }[];
  readonly body: Buffer;
  /** Webhook events caused by this enqueue (accepted), written in its transaction; absent without webhooks. */
  readonly events?: readonly OutboxEvent[] | undefined;
}

export type WriteJob =
  | { readonly kind: 'enqueue'; readonly row: EnqueueRow }
  /** Resolves true when the message was removed (no recipient left queued). */
  | { readonly kind: 'update'; readonly job: UpdateJob }
  | { readonly kind: 'run'; readonly run: (client: pg.ClientBase) => Promise<unknown> };

interface Pending {
  readonly job: WriteJob;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
}

export class DuplicateIdError extends Error {
  readonly code = 'DUPLICATE_ID';
}

export class PgCommitQueue {
  private pending: Pending[] = [];
  private inFlight = false;
  private scheduled = false;
  private closing = false;
  private idle: (() => void)[] = [];
  /** Transactions committed (group commit makes this far smaller than the writes). */
  commits = 0;

  constructor(private readonly pool: pg.Pool) {}

  submit(job: WriteJob): Promise<unknown> {
    if (this.closing) return Promise.reject(new Error('queue store is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ job, resolve, reject });
      if (this.scheduled) return;
      // Calls made in the same tick join one batch.
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        this.flush();
      });
    });
  }

  /** Let what is queued commit; refuse anything new. */
  async close(): Promise<void> {
    this.closing = true;
    if (!this.inFlight && this.pending.length === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private flush(): void {
    if (this.inFlight) return;
    if (this.pending.length === 0) {
      for (const done of this.idle.splice(0)) done();
      return;
    }
    let count = 0;
    let bytes = 0;
    for (const p of this.pending) {
      const size = p.job.kind === 'enqueue' ? p.job.row.body.length : 0;
      if (count >= MAX_BATCH_JOBS || (count > 0 && bytes + size > MAX_BATCH_BYTES)) break;
      bytes += size;
      count++;
    }
    const batch = this.pending.splice(0, count);
    this.inFlight = true;
    void this.runBatch(batch).finally(() => {
      this.inFlight = false;
      this.flush();
    });
  }

  private async runBatch(batch: readonly Pending[]): Promise<void> {
    try {
      const results = await this.transaction(batch.map((p) => p.job));
      batch.forEach((p, i) => {
        const r = results[i];
        if (r instanceof Error) p.reject(r);
        else p.resolve(r);
      });
    } catch (err) {
      if (batch.length === 1) {
        (batch[0] as Pending).reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      // One at a time, so that the write that failed fails alone.
      for (const p of batch) await this.runBatch([p]);
    }
  }

  /** One transaction for the jobs; a duplicate id is a per-job Error in the results, anything else throws. */
  private async transaction(jobs: readonly WriteJob[]): Promise<unknown[]> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      if (onlyDeliveries(jobs)) await client.query('SET LOCAL synchronous_commit = off');
      const results: unknown[] = new Array<unknown>(jobs.length).fill(null);
      const enqueues = jobs.flatMap((j, i) => (j.kind === 'enqueue' ? [{ i, row: j.row }] : []));
      if (enqueues.length > 0) {
        const failed = await insertMessages(client, enqueues.map((e) => e.row));
        for (const e of enqueues) if (failed.has(e.row.id)) results[e.i] = failed.get(e.row.id);
      }
      const updates = jobs.flatMap((j, i) => (j.kind === 'update' ? [{ i, job: j.job }] : []));
      if (updates.length > 0) {
        const removed = await applyUpdates(client, updates.map((u) => u.job));
        for (const u of updates) results[u.i] = removed.has(u.job.id);
      }
      for (const [i, job] of jobs.entries()) if (job.kind === 'run') results[i] = await job.run(client);
      await client.query('COMMIT');
      this.commits++;
      return results;
    } catch (err) {
      broken = err instanceof Error ? err : new Error(String(err));
      await client.query('ROLLBACK').catch(() => undefined);
      throw broken;
    } finally {
      // A connection that failed is dropped from the pool rather than reused.
      client.release(broken !== undefined && isConnectionError(broken) ? broken : undefined);
    }
  }
}

// A batch that only records deliveries (their rows then go, with the last
// one the message) commits without waiting for the WAL flush, as the SQLite
// writer commits such batches with synchronous=NORMAL (queue-writer.ts): a
// crash of this process loses nothing (the commit is done on the server);
// only a crash of the PostgreSQL server within wal_writer_delay (200 ms by
// default) can undo it, and then the message is delivered a second time.
// Every commit that does wait also flushes everything before it.
function onlyDeliveries(jobs: readonly WriteJob[]): boolean {
  return jobs.every((j) => j.kind === 'update' && !j.job.delayNotified && j.job.updates.every((u) => u.status === 'delivered'));
}

function isConnectionError(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  // SQLSTATE class 08 = connection exception; no code = socket-level failure.
  return typeof code !== 'string' || code.startsWith('08') || code.startsWith('57P');
}

/** Insert the rows; returns the ids that could not be (duplicates) with their error. */
async function insertMessages(client: pg.ClientBase, rows: readonly EnqueueRow[]): Promise<Map<string, Error>> {
  const inserted = await client.query<{ id: string }>(
    `INSERT INTO messages (id, mail_from, size, created_at, held, hold_reason, env_id, dsn_ret, smtputf8, eight_bit, next_due_at, lease_owner, lease_until, requiretls)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::boolean[], $6::text[], $7::text[], $8::text[], $9::boolean[], $10::boolean[], $11::bigint[], $12::text[], $13::bigint[], $14::boolean[])
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.mailFrom),
      rows.map((r) => r.body.length),
      rows.map((r) => r.createdAtMs),
      rows.map((r) => r.holdReason !== null),
      rows.map((r) => r.holdReason),
      rows.map((r) => r.envId),
      rows.map((r) => r.ret),
      rows.map((r) => r.smtputf8),
      rows.map((r) => r.eightBit),
      rows.map((r) => r.firstRetryAtMs),
      rows.map((r) => r.leaseOwner),
      rows.map((r) => r.leaseUntilMs),
      rows.map((r) => r.requireTls),
    ],
  );
  const done = new Set(inserted.rows.map((r) => r.id));
  const failed = await alreadyStored(client, rows.filter((r) => !done.has(r.id)));
  const fresh = rows.filter((r) => done.has(r.id));
  if (fresh.length === 0) return failed;
  // Each body its own parameter: pg sends a Buffer parameter in binary,
  // where inside an array it would go as hex text (twice the bytes, and the
  // largest main-thread cost of an enqueue in a CPU profile of bench hikyaku-pg).
  const values = fresh.map((_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(', ');
  await client.query(`INSERT INTO bodies (message_id, body) VALUES ${values}`, fresh.flatMap((r) => [r.id, r.body]));
  const rcpts = fresh.flatMap((r) => r.recipients.map((x, seq) => ({ id: r.id, seq, x, at: r.firstRetryAtMs, created: r.createdAtMs })));
  // The first attempt is made from memory right after the enqueue; it is
  // recorded here already (attempts = 1), so a crash never repeats it at once.
  await client.query(
    `INSERT INTO recipients (message_id, seq, rcpt_to, domain, status, attempts, next_attempt_at, last_attempt_at, notify, orcpt)
     SELECT m, s, r, d, 'queued', 1, n, c, nt, o FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::text[]) AS u(m, s, r, d, n, c, nt, o)
     ON CONFLICT DO NOTHING`,
    [
      rcpts.map((r) => r.id),
      rcpts.map((r) => r.seq),
      rcpts.map((r) => r.x.rcptTo),
      rcpts.map((r) => r.x.domain),
      rcpts.map((r) => r.at),
      rcpts.map((r) => r.created),
      rcpts.map((r) => r.x.notify),
      rcpts.map((r) => r.x.orcpt),
    ],
  );
  // A message already stored (a COMMIT whose answer was lost) has its events already.
  await insertWebhookEvents(client, fresh.flatMap((r) => (r.events ?? []).map((e) => ({ messageId: r.id, event: e }))));
  return failed;
}

/** Ids that exist already: the same enqueue committed before (counts as stored) or a real duplicate (an error). */
async function alreadyStored(client: pg.ClientBase, rows: readonly EnqueueRow[]): Promise<Map<string, Error>> {
  const failed = new Map<string, Error>();
  if (rows.length === 0) return failed;
  const found = await client.query<{ id: string; created_at: number; size: number }>('SELECT id, created_at, size FROM messages WHERE id = ANY($1::text[])', [
    rows.map((r) => r.id),
  ]);
  const byId = new Map(found.rows.map((r) => [r.id, r]));
  for (const r of rows) {
    const row = byId.get(r.id);
    if (row && row.created_at === r.createdAtMs && row.size === r.body.length) continue;
    failed.set(r.id, new DuplicateIdError(`queue id ${r.id} already exists`));
  }
  return failed;
}
