// Turning database rows into StoredMessage values. The database is never
// trusted: another process (the CLI, an older version, a disk error) may have
// left anything in it, so every field is checked and a bad row is reported,
// not thrown through the scheduler.
import type { QueuePage, RecipientStatus, StoredMessage, StoredRecipient } from './queue-store.js';

export interface MessageRow {
  readonly id: unknown;
  readonly mail_from: unknown;
  readonly size: unknown;
  readonly created_at: unknown;
  readonly held: unknown;
  readonly hold_reason: unknown;
  readonly delay_notified: unknown;
  readonly env_id: unknown;
  // Optional: columns added later (queue-schema.ts upgradeSchema); absent reads as NULL / 0.
  readonly dsn_ret?: unknown;
  readonly smtputf8?: unknown;
  /** Absent in rows read by an older query: counted as 8-bit. */
  readonly eight_bit?: unknown;
  /** RFC 8689 REQUIRETLS; absent in older rows: 0. */
  readonly requiretls?: unknown;
}

export interface RecipientRow {
  readonly rcpt_to: unknown;
  readonly status: unknown;
  readonly attempts: unknown;
  readonly next_attempt_at: unknown;
  readonly last_error: unknown;
  readonly last_status: unknown;
  readonly notify?: unknown;
  readonly orcpt?: unknown;
}

/** A message row joined with one of its recipient rows (both stores read them so). */
export type JoinedRow = MessageRow & RecipientRow;

/** Group joined rows (ordered by message) into one message row and its recipient rows each. */
export function groupRows(rows: readonly JoinedRow[]): { row: MessageRow; recipients: RecipientRow[] }[] {
  const out: { row: MessageRow; recipients: RecipientRow[] }[] = [];
  let current: { row: MessageRow; recipients: RecipientRow[] } | undefined;
  for (const row of rows) {
    if (!current || current.row.id !== row.id) {
      current = { row, recipients: [] };
      out.push(current);
    }
    // LEFT JOIN: a message without recipient rows gives one row of NULLs.
    if (row.rcpt_to !== null || row.status !== null) current.recipients.push(row);
  }
  return out;
}

export type RowResult = { readonly ok: true; readonly message: StoredMessage } | { readonly ok: false; readonly reason: string };

const STATUSES: ReadonlySet<string> = new Set<RecipientStatus>(['queued', 'delivered', 'bounced', 'expired']);

function isInt(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

function isFlag(value: unknown): value is 0 | 1 {
  return value === 0 || value === 1;
}

function optionalText(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

function parseRecipient(row: RecipientRow): StoredRecipient | string {
  if (typeof row.rcpt_to !== 'string' || row.rcpt_to === '') return 'recipient without address';
  if (typeof row.status !== 'string' || !STATUSES.has(row.status)) return `recipient ${row.rcpt_to}: unknown status`;
  if (!isInt(row.attempts, 0)) return `recipient ${row.rcpt_to}: bad attempts`;
  if (!isInt(row.next_attempt_at, 0)) return `recipient ${row.rcpt_to}: bad next_attempt_at`;
  if (!optionalText(row.last_error) || !optionalText(row.last_status)) return `recipient ${row.rcpt_to}: bad last error`;
  const notify = row.notify ?? null;
  const orcpt = row.orcpt ?? null;
  if (!optionalText(notify) || !optionalText(orcpt)) return `recipient ${row.rcpt_to}: bad NOTIFY or ORCPT`;
  return {
    rcptTo: row.rcpt_to,
    status: row.status as RecipientStatus,
    attempts: row.attempts,
    nextAttemptAtMs: row.next_attempt_at,
    lastError: row.last_error ?? undefined,
    lastStatus: row.last_status ?? undefined,
    // Only when given: most mail has no DSN parameters.
    ...(notify === null ? {} : { notify }),
    ...(orcpt === null ? {} : { orcpt }),
  };
}

export function parseMessageRows(row: MessageRow, recipientRows: readonly RecipientRow[]): RowResult {
  if (typeof row.id !== 'string' || row.id === '') return { ok: false, reason: 'message without id' };
  if (typeof row.mail_from !== 'string') return { ok: false, reason: 'bad mail_from' };
  if (!isInt(row.size, 0)) return { ok: false, reason: 'bad size' };
  if (!isInt(row.created_at, 0)) return { ok: false, reason: 'bad created_at' };
  if (!isFlag(row.held) || !isFlag(row.delay_notified)) return { ok: false, reason: 'bad flags' };
  if (!optionalText(row.env_id)) return { ok: false, reason: 'bad env_id' };
  const ret = row.dsn_ret ?? null;
  if (ret !== null && ret !== 'FULL' && ret !== 'HDRS') return { ok: false, reason: 'bad dsn_ret' };
  const smtputf8 = row.smtputf8 ?? 0;
  if (!isFlag(smtputf8)) return { ok: false, reason: 'bad smtputf8' };
  const holdReason = row.hold_reason;
  if (!optionalText(holdReason)) return { ok: false, reason: 'bad hold_reason' };
  const requireTls = row.requiretls ?? 0;
  if (!isFlag(requireTls)) return { ok: false, reason: 'bad requiretls' };
  const eightBit = row.eight_bit ?? 1;
  if (!isFlag(eightBit)) return { ok: false, reason: 'bad eight_bit' };
  if (recipientRows.length === 0) return { ok: false, reason: 'no recipients' };
  const recipients: StoredRecipient[] = [];
  for (const r of recipientRows) {
    const parsed = parseRecipient(r);
    if (typeof parsed === 'string') return { ok: false, reason: parsed };
    recipients.push(parsed);
  }
  return {
    ok: true,
    message: {
      id: row.id,
      mailFrom: row.mail_from,
      size: row.size,
      createdAtMs: row.created_at,
      held: row.held === 1,
      holdReason: holdReason ?? undefined,
      delayNotified: row.delay_notified === 1,
      envId: row.env_id ?? undefined,
      ...(ret === null ? {} : { ret }),
      ...(smtputf8 === 1 ? { smtputf8: true } : {}),
      ...(requireTls === 1 ? { requireTls: true } : {}),
      eightBit: eightBit === 1,
      recipients,
    },
  };
}

/**
 * The messages of joined rows (groupRows), each checked by `validate` (which
 * quarantines what fails), and the last id read, invalid ones included, to
 * go on from (QueueStore.listPage).
 */
export function validPage(rows: readonly JoinedRow[], validate: (row: MessageRow, recipients: readonly RecipientRow[]) => StoredMessage | undefined): QueuePage {
  const groups = groupRows(rows);
  const messages: StoredMessage[] = [];
  for (const { row, recipients } of groups) {
    const parsed = validate(row, recipients);
    if (parsed) messages.push(parsed);
  }
  const last = groups[groups.length - 1]?.row.id;
  return { messages, lastId: last === undefined ? undefined : String(last) };
}

/** Envelopes read at a time when every row of the queue is checked (listQuarantined). */
const CHECK_PAGE_MESSAGES = 256;

/**
 * Reads the whole queue a page at a time, so that listPage's checks
 * quarantine every row that fails them, in memory bounded by one page
 * whatever the queue's size (`hikyaku queue list --quarantined`).
 */
export async function checkEveryRow(listPage: (afterId: string | undefined, limit: number) => Promise<QueuePage>): Promise<void> {
  for (let after: string | undefined; ; ) {
    const page = await listPage(after, CHECK_PAGE_MESSAGES);
    if (page.lastId === undefined) return;
    after = page.lastId;
  }
}
