// The queue and message pages' JSON (issue 10 points 5 and 6):
//   GET  /console/api/messages          search the history (every message, keyset pages of 50)
//   GET  /console/api/messages/:id      one message: envelope, headers, recipients, every attempt explained
//   POST /console/api/messages/actions  retry / hold / release / delete a selection (bulk)
// Reading goes to the history store (history/); changes go to the server's own
// queue store (the same calls `hikyaku queue` makes) and, like the CLI, tell the
// history about holds, releases and deletions. Explanations come from the ONE
// table the CLI uses too (explain/explain-reply.ts).
import type { FastifyInstance } from 'fastify';
import { explainReply } from '../explain/explain-reply.js';
import type { HistoryAttempt, HistoryQuery, HistoryReader, HistoryState, HistorySummary } from '../history/history-types.js';
import type { QueueStore } from '../queue/queue-store.js';
import { collapseAttempts } from './attempt-groups.js';
import type { ConsoleContext } from './console-context.js';

export const QUEUE_PAGE_SIZE = 50;
const STATES: readonly HistoryState[] = ['queued', 'held', 'deferred', 'delivered', 'bounced', 'expired', 'partial', 'deleted'];
const ACTIONS = ['retry', 'hold', 'release', 'delete'] as const;
type QueueAction = (typeof ACTIONS)[number];
/** A bulk action is one request; more than a few pages at once is a mistake, not a wish. */
const MAX_BULK = 500;

/** history.db as the server opened it; `recordQueueChange` when it can be written (not with retentionDays 0). */
export type MessageHistory = HistoryReader & { recordQueueChange?: (id: string, change: 'held' | 'released' | 'deleted') => void };

interface SearchQuery {
  text?: string;
  sender?: string;
  recipient?: string;
  subject?: string;
  id?: string;
  state?: HistoryState[];
  since?: number;
  until?: number;
  cursor?: string;
  limit?: number;
}

const searchSchema = {
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      text: { type: 'string', maxLength: 500 },
      sender: { type: 'string', maxLength: 500 },
      recipient: { type: 'string', maxLength: 500 },
      subject: { type: 'string', maxLength: 500 },
      id: { type: 'string', maxLength: 200 },
      state: { type: 'array', items: { type: 'string', enum: STATES }, maxItems: STATES.length },
      since: { type: 'integer', minimum: 0 },
      until: { type: 'integer', minimum: 0 },
      cursor: { type: 'string', maxLength: 200 },
      limit: { type: 'integer', minimum: 1, maximum: 200 },
    },
  },
} as const;

const messageSchema = {
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } },
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { lang: { type: 'string', enum: ['ja', 'en'] }, tz: { type: 'string', maxLength: 64 } },
  },
} as const;

const actionSchema = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['action', 'ids'],
    properties: {
      action: { type: 'string', enum: ACTIONS },
      ids: { type: 'array', minItems: 1, maxItems: MAX_BULK, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 200 } },
    },
  },
} as const;

/** An IANA zone Intl knows, else undefined (the server's own zone is then used). */
function validZone(tz: string | undefined): string | undefined {
  if (tz === undefined || tz === '') return undefined;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return tz;
  } catch {
    return undefined;
  }
}

function explained(a: HistoryAttempt, lang: 'ja' | 'en', tz: string | undefined, nextAttemptAtMs: number | undefined) {
  const e = explainReply({ code: a.code, enhanced: a.enhanced, text: a.reply ?? a.detail, remoteMta: a.remoteMta, outcome: a.outcome, nextAttemptAtMs }, lang, tz);
  return { summary: e.summary, action: e.action, severity: e.severity };
}

async function apply(queue: QueueStore, action: QueueAction, id: string): Promise<boolean> {
  switch (action) {
    case 'retry':
      return (await queue.retryNow(id)) > 0;
    case 'hold':
      return queue.hold(id);
    case 'release':
      return queue.release(id);
    case 'delete':
      return queue.remove(id);
  }
}

const HISTORY_CHANGE = { hold: 'held', release: 'released', delete: 'deleted' } as const;

/**
 * main.ts hands the console the history's reader as the dashboard's source
 * (typed for the dashboard's two calls); it is the whole reader. Checked here
 * rather than widening console-core's options, so that main.ts stays as it is.
 */
function asMessageHistory(source: object | undefined): MessageHistory | undefined {
  const h = source as Partial<MessageHistory> | undefined;
  return typeof h?.search === 'function' && typeof h.message === 'function' ? (h as MessageHistory) : undefined;
}

export function registerQueueRoutes(scope: FastifyInstance, context: ConsoleContext, source: object | undefined): void {
  const history = asMessageHistory(source);
  const queue = context.services.queue;
  const noHistory = { error: 'history-off', message: 'the message history is off (history.retentionDays is 0): set it above 0 in the configuration and restart' };

  scope.get<{ Querystring: SearchQuery }>('/messages', { schema: searchSchema }, async (request, reply) => {
    if (history === undefined) return reply.code(409).send(noHistory);
    const q = request.query;
    const query: HistoryQuery = { limit: q.limit ?? QUEUE_PAGE_SIZE };
    for (const key of ['text', 'sender', 'recipient', 'subject', 'id', 'cursor'] as const) {
      const value = q[key]?.trim();
      if (value) query[key] = value;
    }
    if (q.state !== undefined && q.state.length > 0) query.states = q.state;
    if (q.since !== undefined) query.sinceMs = q.since;
    if (q.until !== undefined) query.untilMs = q.until;
    let page;
    try {
      page = history.search(query);
    } catch (err) {
      // A cursor from elsewhere (edited URL) is the viewer's mistake, not a crash.
      return reply.code(400).send({ error: 'bad-query', message: `could not search the history: ${(err as Error).message}; start again from the first page` });
    }
    return {
      items: page.items.map(summaryJson),
      next: page.next ?? null,
      total: page.total ?? null,
    };
  });

  scope.get<{ Params: { id: string }; Querystring: { lang?: 'ja' | 'en'; tz?: string } }>('/messages/:id', { schema: messageSchema }, async (request, reply) => {
    if (history === undefined) return reply.code(409).send(noHistory);
    const { id } = request.params;
    const lang = request.query.lang ?? 'en';
    const tz = validZone(request.query.tz);
    const m = history.message(id);
    if (m === undefined) return reply.code(404).send({ error: 'no-such-message', message: `no message ${id} in the history (it may be older than history.retentionDays)` });
    const stored = await queue.load(id);
    // The queue knows when a waiting recipient is tried next; the history only what it was told.
    const queued = new Map(stored?.recipients.filter((r) => r.status === 'queued').map((r) => [r.rcptTo, r.nextAttemptAtMs]) ?? []);
    const nextByRcpt = new Map(m.recipients.map((r) => [r.rcptTo, stored?.held === true ? undefined : (queued.get(r.rcptTo) ?? r.nextAttemptAtMs)]));
    return {
      ...summaryJson(m),
      messageId: m.messageId ?? null,
      user: m.user ?? null,
      headers: m.headers ?? null,
      inQueue: stored !== undefined,
      held: stored?.held ?? false,
      recipients: m.recipients.map((r) => ({
        rcptTo: r.rcptTo,
        state: r.state,
        attempts: r.attempts,
        lastReply: r.lastReply ?? null,
        nextAttemptAtMs: nextByRcpt.get(r.rcptTo) ?? null,
      })),
      // Runs of identical attempts are one row (attempt-groups.ts): `count`, `firstAtMs`, and `atMs` the last.
      // The last attempt to a recipient still waiting names its next retry; older ones don't.
      attempts: collapseAttempts(m.attempts).map((g, i, groups) => {
        const a = g.last;
        const later = groups.slice(i + 1).some((b) => b.last.rcptTo === a.rcptTo);
        const next = a.outcome === 'deferred' && !later ? nextByRcpt.get(a.rcptTo) : undefined;
        return {
          rcptTo: a.rcptTo,
          atMs: a.atMs,
          firstAtMs: g.firstAtMs,
          count: g.count,
          outcome: a.outcome,
          remoteMta: a.remoteMta ?? null,
          reply: a.reply ?? a.detail ?? null,
          explanation: explained(a, lang, tz, next),
        };
      }),
    };
  });

  scope.post<{ Body: { action: QueueAction; ids: string[] } }>('/messages/actions', { schema: actionSchema }, async (request) => {
    const { action, ids } = request.body;
    const results: { id: string; done: boolean; message?: string }[] = [];
    for (const id of ids) {
      try {
        const done = await apply(queue, action, id);
        if (done && action !== 'retry') recordChange(history, context, id, HISTORY_CHANGE[action]);
        results.push(done ? { id, done } : { id, done, message: 'not in the queue (already delivered, bounced or deleted)' });
      } catch (err) {
        results.push({ id, done: false, message: (err as Error).message });
      }
    }
    const done = results.filter((r) => r.done).map((r) => r.id);
    context.audit(request, `queue.${action}`, { ids: done, asked: ids.length });
    return { action, results, done: done.length, failed: results.length - done.length };
  });
}

/** One message as the list shows it (the message page adds to it). */
function summaryJson(m: HistorySummary) {
  return {
    id: m.id,
    mailFrom: m.mailFrom,
    rcptTo: m.rcptTo,
    subject: m.subject ?? null,
    from: m.from ?? null,
    size: m.size,
    source: m.source,
    acceptedAtMs: m.acceptedAtMs,
    updatedAtMs: m.updatedAtMs,
    state: m.state,
    lastReply: m.lastReply ?? null,
  };
}

/** As `hikyaku queue` does: the history learns of holds, releases and deletions (a failure does not undo them). */
function recordChange(history: MessageHistory | undefined, context: ConsoleContext, id: string, change: 'held' | 'released' | 'deleted'): void {
  try {
    history?.recordQueueChange?.(id, change);
  } catch (err) {
    context.logger.error({ err, id, change }, 'could not record a queue change in the history');
  }
}
