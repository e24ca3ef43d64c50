// The reading side of history.db (HistoryReader). Every query walks an index
// newest first and stops at its LIMIT; the dashboard figures come from the
// hourly counter tables, never from counting message rows.
import type Database from 'better-sqlite3';
import { decodeCursor, encodeCursor } from './history-cursor.js';
import type {
  AttemptOutcome,
  FailingDestination,
  HistoryAttempt,
  HistoryMessage,
  HistoryPage,
  HistoryQuery,
  HistoryReader,
  HistoryRecipient,
  HistorySeriesPoint,
  HistoryState,
  HistorySummary,
} from './history-types.js';

const HOUR_MS = 3_600_000;
const MAX_LIMIT = 1000;
const SUMMARY_COLUMNS = 'm.id, m.mail_from, m.rcpt_to, m.subject, m.from_header, m.size, m.source, m.user, m.accepted_at_ms, m.updated_at_ms, m.state, m.last_reply';

interface SummaryRow {
  id: string;
  mail_from: string;
  rcpt_to: string;
  subject: string | null;
  from_header: string | null;
  size: number;
  source: string;
  user: string | null;
  accepted_at_ms: number;
  updated_at_ms: number;
  state: string;
  last_reply: string | null;
}

interface MessageRow extends SummaryRow {
  message_id: string | null;
  headers: string | null;
}

interface RecipientRow {
  rcpt_to: string;
  state: string;
  attempts: number;
  last_reply: string | null;
  enhanced: string | null;
  next_attempt_at_ms: number | null;
}

interface AttemptRow {
  rcpt_to: string;
  at_ms: number;
  outcome: string;
  remote_mta: string | null;
  reply: string | null;
  code: number | null;
  enhanced: string | null;
  detail: string | null;
}

export class HistoryQueries implements HistoryReader {
  readonly #db: Database.Database;
  readonly #s;
  /** Search statements by their SQL: a handful of filter combinations are in use. */
  readonly #searches = new Map<string, Database.Statement>();
  readonly #before: () => void;

  /** `before`: run first by every read (the store commits its gathered writes). */
  constructor(db: Database.Database, before: () => void) {
    this.#db = db;
    this.#before = before;
    this.#s = {
      message: db.prepare('SELECT * FROM messages WHERE id = ?'),
      recipients: db.prepare('SELECT rcpt_to, state, attempts, last_reply, enhanced, next_attempt_at_ms FROM recipients WHERE id = ?'),
      attempts: db.prepare('SELECT rcpt_to, at_ms, outcome, remote_mta, reply, code, enhanced, detail FROM attempts WHERE id = ? ORDER BY rowid'),
      counts: db.prepare('SELECT hour_ms, outcome, count FROM hourly_counts WHERE hour_ms >= ? ORDER BY hour_ms'),
      failing: db.prepare(
        'SELECT domain, SUM(failures) AS failures, MAX(last_at_ms) AS last_at_ms, last_reply FROM hourly_failures WHERE hour_ms >= ? GROUP BY domain ORDER BY failures DESC, domain LIMIT ?',
      ),
      forAddress: db.prepare(
        `SELECT ${SUMMARY_COLUMNS} FROM messages m WHERE m.mail_from = ? COLLATE NOCASE
           OR m.id IN (SELECT id FROM recipients WHERE rcpt_to = ? COLLATE NOCASE)
         ORDER BY m.accepted_at_ms DESC, m.id DESC LIMIT ?`,
      ),
    };
  }

  message(id: string): HistoryMessage | undefined {
    this.#before();
    const row = this.#s.message.get(id) as MessageRow | undefined;
    if (row === undefined) return undefined;
    const recipientRows = this.#s.recipients.all(id) as RecipientRow[];
    // Envelope order, not the primary key's.
    const order = new Map(summaryOf(row).rcptTo.map((r, i) => [r, i]));
    recipientRows.sort((a, b) => (order.get(a.rcpt_to) ?? 0) - (order.get(b.rcpt_to) ?? 0));
    const recipients = recipientRows.map(recipientOf);
    const attempts = (this.#s.attempts.all(id) as AttemptRow[]).map(attemptOf);
    return {
      ...summaryOf(row),
      ...(row.message_id === null ? {} : { messageId: row.message_id }),
      ...(row.headers === null ? {} : { headers: row.headers }),
      recipients,
      attempts,
    };
  }

  search(q: HistoryQuery): HistoryPage {
    this.#before();
    const where: string[] = [];
    const args: unknown[] = [];
    const contains = (column: string, value: string | undefined): void => {
      if (value === undefined || value === '') return;
      where.push(`instr(lower(${column}), ?) > 0`);
      args.push(value.toLowerCase());
    };
    contains('m.search_text', q.text);
    contains('m.mail_from', q.sender);
    contains('m.rcpt_to', q.recipient);
    contains("COALESCE(m.subject, '')", q.subject);
    if (q.id !== undefined && q.id !== '') {
      where.push('instr(m.id, ?) = 1');
      args.push(q.id);
    }
    if (q.states !== undefined && q.states.length > 0) {
      where.push(`m.state IN (${q.states.map(() => '?').join(', ')})`);
      args.push(...q.states);
    }
    if (q.sinceMs !== undefined) {
      where.push('m.accepted_at_ms >= ?');
      args.push(q.sinceMs);
    }
    if (q.untilMs !== undefined) {
      where.push('m.accepted_at_ms < ?');
      args.push(q.untilMs);
    }
    const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(q.limit)));
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    const pageWhere = after === undefined ? where : [...where, '(m.accepted_at_ms, m.id) < (?, ?)'];
    const pageArgs = after === undefined ? args : [...args, after.atMs, after.id];
    const sql = `SELECT ${SUMMARY_COLUMNS} FROM messages m ${whereClause(pageWhere)} ORDER BY m.accepted_at_ms DESC, m.id DESC LIMIT ?`;
    const rows = this.#statement(sql).all(...pageArgs, limit + 1) as SummaryRow[];
    const items = rows.slice(0, limit).map(summaryOf);
    const last = items[items.length - 1];
    const page: HistoryPage = { items };
    if (rows.length > limit && last !== undefined) page.next = encodeCursor({ atMs: last.acceptedAtMs, id: last.id });
    if (q.cursor === undefined) {
      page.total = (this.#statement(`SELECT count(*) AS n FROM messages m ${whereClause(where)}`).get(...args) as { n: number }).n;
    }
    return page;
  }

  series(sinceMs: number, bucketMs: number): HistorySeriesPoint[] {
    this.#before();
    const bucket = Math.max(HOUR_MS, Math.round(bucketMs / HOUR_MS) * HOUR_MS);
    const start = Math.floor(sinceMs / HOUR_MS) * HOUR_MS;
    const points: HistorySeriesPoint[] = [];
    for (let t = start; t <= Date.now(); t += bucket) points.push({ startMs: t, delivered: 0, deferred: 0, bounced: 0 });
    for (const row of this.#s.counts.all(start) as { hour_ms: number; outcome: string; count: number }[]) {
      const point = points[Math.floor((row.hour_ms - start) / bucket)];
      if (point === undefined) continue;
      // Expired is a bounce too, for a chart of what did not arrive.
      if (row.outcome === 'delivered') point.delivered += row.count;
      // Recipients put off (once each), not attempts: see DEFERRED_RECIPIENTS in history-store.ts.
      else if (row.outcome === 'deferred-recipients') point.deferred += row.count;
      else if (row.outcome === 'bounced' || row.outcome === 'expired') point.bounced += row.count;
    }
    return points;
  }

  topFailingDestinations(sinceMs: number, limit: number): FailingDestination[] {
    this.#before();
    const rows = this.#s.failing.all(Math.floor(sinceMs / HOUR_MS) * HOUR_MS, Math.max(1, Math.floor(limit))) as {
      domain: string;
      failures: number;
      last_at_ms: number;
      last_reply: string | null;
    }[];
    return rows.map((r) => ({ domain: r.domain, failures: r.failures, lastAtMs: r.last_at_ms, ...(r.last_reply === null ? {} : { lastReply: r.last_reply }) }));
  }

  recentForAddress(address: string, limit: number): HistorySummary[] {
    this.#before();
    const rows = this.#s.forAddress.all(address, address, Math.max(1, Math.min(MAX_LIMIT, Math.floor(limit)))) as SummaryRow[];
    return rows.map(summaryOf);
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#searches.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#searches.set(sql, statement);
    }
    return statement;
  }
}

function whereClause(conditions: readonly string[]): string {
  return conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
}

function summaryOf(row: SummaryRow): HistorySummary {
  const summary: HistorySummary = {
    id: row.id,
    mailFrom: row.mail_from,
    rcptTo: JSON.parse(row.rcpt_to) as string[],
    size: row.size,
    source: row.source,
    acceptedAtMs: row.accepted_at_ms,
    updatedAtMs: row.updated_at_ms,
    state: row.state as HistoryState,
  };
  if (row.subject !== null) summary.subject = row.subject;
  if (row.from_header !== null) summary.from = row.from_header;
  if (row.user !== null) summary.user = row.user;
  if (row.last_reply !== null) summary.lastReply = row.last_reply;
  return summary;
}

function recipientOf(r: RecipientRow): HistoryRecipient {
  const recipient: HistoryRecipient = { rcptTo: r.rcpt_to, state: r.state as HistoryState, attempts: r.attempts };
  if (r.last_reply !== null) recipient.lastReply = r.last_reply;
  if (r.enhanced !== null) recipient.enhanced = r.enhanced;
  if (r.next_attempt_at_ms !== null) recipient.nextAttemptAtMs = r.next_attempt_at_ms;
  return recipient;
}

function attemptOf(a: AttemptRow): HistoryAttempt {
  const attempt: HistoryAttempt = { rcptTo: a.rcpt_to, atMs: a.at_ms, outcome: a.outcome as AttemptOutcome };
  if (a.remote_mta !== null) attempt.remoteMta = a.remote_mta;
  if (a.reply !== null) attempt.reply = a.reply;
  if (a.code !== null) attempt.code = a.code;
  if (a.enhanced !== null) attempt.enhanced = a.enhanced;
  if (a.detail !== null) attempt.detail = a.detail;
  return attempt;
}
