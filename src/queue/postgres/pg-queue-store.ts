// QueueStore on PostgreSQL, for several nodes sharing one queue (issue 11).
// The same contract as the embedded store (test/queue/queue-store-contract):
// writes go through group commit (pg-commit-queue.ts), due work is claimed
// under a lease (pg-claims.ts), rows are validated on read as in SQLite
// (queue-rows.ts) and a row that fails is quarantined in the table — marked,
// logged, skipped by the scheduler, listed by `hikyaku queue list --quarantined`.
import { isAscii } from 'node:buffer';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { domainOf } from '../../core/address.js';
import type { NewMessage, QueuePage, QueueStore, RecipientStatus, RecipientUpdate, StoredMessage } from '../queue-store.js';
import { checkEveryRow, groupRows, parseMessageRows, validPage, type JoinedRow, type MessageRow, type RecipientRow } from '../queue-rows.js';
import { PgCommitQueue } from './pg-commit-queue.js';
import { Claims } from './pg-claims.js';
import { schemaProblem, schemaVersion } from './migrate.js';
import type { OutboxEvent } from '../writer-protocol.js';
import { openPgWebhookOutbox, type PgWebhookOutbox } from './pg-webhook-outbox.js';
import { PgQueueStatsReader } from './pg-queue-stats.js';

export interface PgQueueStoreOptions {
  /** postgres://user@host:port/database */
  readonly url: string;
  readonly logger: Logger;
  /** How long a claim lasts without renewal (queue.claimLease). */
  readonly claimLeaseMs: number;
  /** Connections to PostgreSQL (one for group commit, the rest for reads and claims). */
  readonly poolSize?: number;
}

export interface QuarantinedEntry {
  readonly id: string;
  readonly reason: string;
}

export interface PgQueueStore extends QueueStore {
  /**
   * QueueStore.enqueue / updateRecipients with webhook events written in the
   * same transaction (no event without its queue change, nor the reverse).
   */
  enqueue(message: NewMessage, events?: readonly OutboxEvent[]): Promise<void>;
  updateRecipients(id: string, updates: readonly RecipientUpdate[], options?: { delayNotified?: boolean; events?: readonly OutboxEvent[] }): Promise<void>;
  /** The webhook outbox, sent by this node to these endpoints (opened on first call: nothing runs without webhooks). */
  webhookOutbox(endpoints: readonly string[]): PgWebhookOutbox;
  listPage(afterId: string | undefined, limit: number): Promise<QueuePage>;
  readonly commitCount: number;
  readonly nodeId: string;
  /** Messages this node took over from another node's expired lease. */
  readonly takeovers: number;
  releaseClaim(id: string): void;
  listQuarantined(): Promise<QuarantinedEntry[]>;
  /** Messages and age of the oldest, for the metrics and the console (refreshed in the background). */
  stats(): { messages: number; oldestCreatedAtMs: number | undefined };
}

export class SchemaVersionError extends Error {
  readonly ja: string;
  constructor(text: { en: string; ja: string }) {
    super(text.en);
    this.name = 'SchemaVersionError';
    this.ja = text.ja;
  }
}

const STATUSES: ReadonlySet<string> = new Set<RecipientStatus>(['queued', 'delivered', 'bounced', 'expired']);

// PostgreSQL int8 comes back as a string by default (it may exceed 2^53);
// our bigints are millisecond times and sizes, safe as numbers.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser,
};

// Flags as 0/1 and the recipient order: the row format queue-rows.ts checks.
const JOINED = `SELECT m.id, m.mail_from, m.size, m.created_at, m.held::int AS held, m.hold_reason, m.delay_notified::int AS delay_notified, m.env_id,
    m.dsn_ret, m.smtputf8::int AS smtputf8, m.eight_bit::int AS eight_bit, m.requiretls::int AS requiretls,
    r.rcpt_to, r.status, r.attempts, r.next_attempt_at, r.last_error, r.last_status, r.notify, r.orcpt
  FROM messages m LEFT JOIN recipients r ON r.message_id = m.id`;


export async function openPgQueueStore(options: PgQueueStoreOptions): Promise<PgQueueStore> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 6, types });
  // An idle connection dropped by the server must not crash the process.
  pool.on('error', (err) => options.logger.warn({ err }, 'PostgreSQL connection lost; reconnecting on next use'));
  try {
    const problem = schemaProblem(await schemaVersion(pool));
    if (problem) throw new SchemaVersionError(problem);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return new PgStore(pool, options);
}

class PgStore implements PgQueueStore {
  /**
   * Two lanes of group commit on two connections: enqueues, and everything
   * else (recipient results, admin changes). An enqueue then never waits
   * behind the commit of delivery results, nor the reverse; the lanes touch
   * different rows (a result comes only after its enqueue committed).
   */
  private readonly enqueues: PgCommitQueue;
  private readonly writes: PgCommitQueue;
  private readonly claims: Claims;
  private readonly leaseMs: number;
  private outbox: PgWebhookOutbox | undefined;
  private readonly logger: Logger;
  private closed = false;
  private statsCache: { messages: number; oldestCreatedAtMs: number | undefined } = { messages: 0, oldestCreatedAtMs: undefined };
  private statsTimer: NodeJS.Timeout | undefined;
  /** Quarantine marks being written. */
  private readonly marking = new Set<Promise<unknown>>();

  constructor(
    private readonly pool: pg.Pool,
    options: PgQueueStoreOptions,
  ) {
    this.logger = options.logger.child({ component: 'queue' });
    this.enqueues = new PgCommitQueue(pool);
    this.writes = new PgCommitQueue(pool);
    const nodeId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.claims = new Claims({ pool, nodeId, leaseMs: options.claimLeaseMs, logger: this.logger });
    this.leaseMs = options.claimLeaseMs;
  }

  webhookOutbox(endpoints: readonly string[]): PgWebhookOutbox {
    this.outbox ??= openPgWebhookOutbox({ pool: this.pool, nodeId: this.claims.nodeId, leaseMs: this.leaseMs, endpoints, logger: this.logger.child({ component: 'webhooks' }) });
    return this.outbox;
  }

  get commitCount(): number {
    return this.enqueues.commits + this.writes.commits;
  }

  get nodeId(): string {
    return this.claims.nodeId;
  }

  get takeovers(): number {
    return this.claims.takeovers;
  }

  async enqueue(message: NewMessage, events?: readonly OutboxEvent[]): Promise<void> {
    const { id, envelope } = message;
    if (typeof id !== 'string' || id === '') throw new TypeError('enqueue: empty queue id');
    if (envelope.rcptTo.length === 0) throw new TypeError('enqueue: no recipients');
    if (!Number.isSafeInteger(message.firstRetryAtMs)) throw new TypeError('enqueue: bad firstRetryAtMs');
    const nowMs = Date.now();
    this.claims.hold(id);
    try {
      await this.enqueues.submit({
        kind: 'enqueue',
        row: {
          id,
          mailFrom: envelope.mailFrom,
          createdAtMs: message.createdAtMs ?? nowMs,
          holdReason: message.holdReason ?? null,
          envId: message.envId ?? envelope.params?.envId ?? null,
          ret: envelope.params?.ret ?? null,
          smtputf8: envelope.params?.smtputf8 === true,
          requireTls: envelope.params?.requireTls === true,
          eightBit: message.eightBit ?? !isAscii(message.message),
          firstRetryAtMs: message.firstRetryAtMs,
          leaseOwner: this.claims.nodeId,
          leaseUntilMs: this.claims.leaseUntil(nowMs),
          recipients: envelope.rcptTo.map((rcptTo) => {
            const p = envelope.params?.recipients?.get(rcptTo);
            return { rcptTo, domain: domainOf(rcptTo), notify: p?.notify ?? null, orcpt: p?.orcpt ?? null };
          }),
          body: message.message,
          events: events === undefined || events.length === 0 ? undefined : events,
        },
      });
    } catch (err) {
      this.claims.forget(id);
      throw err;
    }
  }

  dueMessageIds(nowMs: number, limit: number): Promise<string[]> {
    return this.claims.claimDue(Math.trunc(nowMs), Math.max(0, Math.trunc(limit)));
  }

  releaseClaim(id: string): void {
    this.claims.release(id);
  }

  async nextDueAtMs(): Promise<number | undefined> {
    const r = await this.pool.query<{ next: number | null }>('SELECT min(next_due_at) AS next FROM messages WHERE NOT held AND quarantined IS NULL');
    return r.rows[0]?.next ?? undefined;
  }

  async load(id: string): Promise<StoredMessage | undefined> {
    const r = await this.pool.query<JoinedRow>(`${JOINED} WHERE m.id = $1 AND m.quarantined IS NULL ORDER BY r.seq`, [id]);
    const found = groupRows(r.rows)[0];
    return found ? this.validate(found.row, found.recipients) : undefined;
  }

  async readMessage(id: string): Promise<Buffer | undefined> {
    const r = await this.pool.query<{ body: unknown }>('SELECT body FROM bodies WHERE message_id = $1', [id]);
    const body = r.rows[0]?.body;
    return Buffer.isBuffer(body) ? body : undefined;
  }

  async updateRecipients(id: string, updates: readonly RecipientUpdate[], options?: { delayNotified?: boolean; events?: readonly OutboxEvent[] }): Promise<void> {
    for (const u of updates) {
      if (!STATUSES.has(u.status)) throw new TypeError(`updateRecipients: bad status ${String(u.status)}`);
      if (!Number.isSafeInteger(u.attempts) || u.attempts < 0) throw new TypeError('updateRecipients: bad attempts');
      if (!Number.isSafeInteger(u.nextAttemptAtMs)) throw new TypeError('updateRecipients: bad nextAttemptAtMs');
    }
    const removed = await this.writes.submit({
      kind: 'update',
      job: {
        id,
        nowMs: Date.now(),
        node: this.claims.nodeId,
        delayNotified: options?.delayNotified === true,
        updates: updates.map((u) => ({
          rcptTo: u.rcptTo,
          status: u.status,
          attempts: u.attempts,
          nextAttemptAtMs: u.nextAttemptAtMs,
          lastError: u.lastError ?? null,
          lastStatus: u.lastStatus ?? null,
        })),
        events: options?.events === undefined || options.events.length === 0 ? undefined : options.events,
      },
    });
    if (removed === true) this.claims.forget(id);
  }

  async list(): Promise<StoredMessage[]> {
    const r = await this.pool.query<JoinedRow>(`${JOINED} WHERE m.quarantined IS NULL ORDER BY m.created_at, m.id, r.seq`);
    return validPage(r.rows, (row, recipients) => this.validate(row, recipients)).messages;
  }

  async listPage(afterId: string | undefined, limit: number): Promise<QueuePage> {
    // One statement: the page's messages and their recipients from one snapshot.
    const r = await this.pool.query<JoinedRow>(
      `${JOINED} WHERE m.id IN (SELECT id FROM messages WHERE id > $1 AND quarantined IS NULL ORDER BY id LIMIT $2) ORDER BY m.id, r.seq`,
      [afterId ?? '', Math.max(0, Math.trunc(limit))],
    );
    return validPage(r.rows, (row, recipients) => this.validate(row, recipients));
  }

  /** Checks every row first (a full read a page at a time, marking what fails): for the CLI, not the scheduler. */
  async listQuarantined(): Promise<QuarantinedEntry[]> {
    await checkEveryRow((after, limit) => this.listPage(after, limit));
    await Promise.all([...this.marking]);
    const r = await this.pool.query<{ id: string; reason: string }>('SELECT id, quarantined AS reason FROM messages WHERE quarantined IS NOT NULL ORDER BY id');
    return r.rows;
  }

  async hold(id: string): Promise<boolean> {
    return (await this.run('UPDATE messages SET held = true, hold_reason = NULL WHERE id = $1', [id])) > 0;
  }

  async release(id: string): Promise<boolean> {
    return (await this.run('UPDATE messages SET held = false, hold_reason = NULL WHERE id = $1', [id])) > 0;
  }

  releaseHeld(reason: string): Promise<number> {
    return this.run('UPDATE messages SET held = false, hold_reason = NULL WHERE held AND hold_reason = $1', [reason]);
  }

  async retryNow(id: string | 'all'): Promise<number> {
    const nowMs = Date.now();
    const n = await this.writes.submit({
      kind: 'run',
      run: async (c) => {
        const one = id === 'all' ? '' : 'AND message_id = $2';
        const args = id === 'all' ? [nowMs] : [nowMs, id];
        await c.query(`UPDATE recipients SET next_attempt_at = $1 WHERE status = 'queued' ${one}`, args);
        const m = await c.query(
          `UPDATE messages SET next_due_at = $1 WHERE id IN (SELECT DISTINCT message_id FROM recipients WHERE status = 'queued' ${one})`,
          args,
        );
        return m.rowCount ?? 0;
      },
    });
    return typeof n === 'number' ? n : 0;
  }

  async remove(id: string): Promise<boolean> {
    const n = await this.run('DELETE FROM messages WHERE id = $1', [id]);
    this.claims.forget(id);
    return n > 0;
  }

  stats(): { messages: number; oldestCreatedAtMs: number | undefined } {
    if (this.statsTimer === undefined && !this.closed) {
      // A large queue is not counted at every refresh (pg-queue-stats.ts).
      const reader = new PgQueueStatsReader(this.pool);
      const refresh = (): void =>
        void reader
          .read()
          .then((stats) => (this.statsCache = stats))
          .catch(() => undefined);
      refresh();
      this.statsTimer = setInterval(refresh, 5_000);
      this.statsTimer.unref();
    }
    return this.statsCache;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.statsTimer);
    await Promise.all([this.enqueues.close(), this.writes.close()]);
    await this.claims.close();
    await this.outbox?.close();
    await this.pool.end();
  }

  /** A write through group commit; the number of rows it changed. */
  private async run(sql: string, args: unknown[]): Promise<number> {
    const n = await this.writes.submit({ kind: 'run', run: async (c) => (await c.query(sql, args)).rowCount ?? 0 });
    return typeof n === 'number' ? n : 0;
  }

  private validate(row: MessageRow, recipients: readonly RecipientRow[]): StoredMessage | undefined {
    const parsed = parseMessageRows(row, recipients);
    if (parsed.ok) return parsed.message;
    this.quarantine(String(row.id), parsed.reason);
    return undefined;
  }

  /** Mark the row (all nodes then skip it) and log once; the rest of the queue carries on. */
  private quarantine(id: string, reason: string): void {
    this.logger.warn({ queueId: id, reason }, 'invalid queue entry quarantined (see `hikyaku queue list --quarantined`; remove it with `hikyaku queue delete`)');
    this.claims.forget(id);
    const mark = this.writes
      .submit({
        kind: 'run',
        run: async (c) => {
          await c.query('UPDATE messages SET quarantined = $2 WHERE id = $1', [id, reason]);
          await c.query("INSERT INTO events (message_id, at, node, kind, detail) VALUES ($1, $2, $3, 'quarantined', $4)", [id, Date.now(), this.claims.nodeId, reason]);
        },
      })
      .catch((err: unknown) => this.logger.error({ err, queueId: id }, 'could not mark the invalid queue entry as quarantined'))
      .finally(() => this.marking.delete(mark));
    this.marking.add(mark);
  }
}
