// The messages API: POST /api/v1/messages (JSON or message/rfc822),
// POST /api/v1/messages/batch, GET /api/v1/messages/{id}, GET /api/v1/messages.
//
// This is the HTTP adapter of the sending policy, as submission/session-policy.ts
// is the SMTP one: the same calls in the same order (checkMailFrom,
// checkRecipient per recipient, then intake with checkHeaders and
// holdReason, then recordAccepted), the same intake, and the policy's SMTP
// replies mapped to HTTP statuses (policyAnswer below).
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Intake } from '../intake/intake.js';
import type { Logger } from '../log/logger.js';
import type { SendingPolicy } from '../policy/sending-policy.js';
import type { Sender } from '../policy/sender.js';
import type { QueueStore } from '../queue/queue-store.js';
import type { Submitter } from '../core/envelope.js';
import { normalizeAddress } from '../core/address.js';
import { mailboxKey, parseMailbox } from '../core/mailbox.js';
import { formatReply, SmtpError, type SmtpReply } from '../core/smtp-reply.js';
import type { SubmittedHeaders } from '../message/intake-message.js';
import { authenticateBearer, VerifiedKeys, type ApiKeyLookup, type PrincipalLookup } from './api-auth.js';
import type { ApiMessageRecord, ApiStore, MessageState } from './api-store.js';
import { composeJson, RequestProblem, type FieldProblem, type JsonMessage } from './compose.js';
import { fieldProblem, invalidRequest } from './http-server.js';
import {
  acceptedSchema,
  batchSchema,
  errorSchema,
  listQuerySchema,
  messageSchema,
  rawQuerySchema,
  statusSchema,
} from './message-schemas.js';
import type { Principal } from '../users/principal.js';

export interface MessagesApiOptions {
  readonly sending: SendingPolicy;
  readonly intake: Intake;
  readonly queue: QueueStore;
  readonly keys: ApiKeyLookup;
  readonly users: PrincipalLookup;
  readonly store: ApiStore;
  readonly logger: Logger;
  readonly maxMessageBytes: number;
  readonly maxRecipients: number;
  readonly secure: boolean;
  /** Counts a refused API key (metrics). */
  readonly onAuthFailed?: ((mechanism: string) => void) | undefined;
}

/** What a request gets: a status, a JSON body, maybe headers. */
interface Answer {
  readonly statusCode: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

interface Caller {
  readonly principal: Principal;
  readonly label: string;
  readonly clientIp: string;
}

const fail = (statusCode: number, error: string, message: string, headers?: Record<string, string>): Answer => ({ statusCode, body: { error, message }, ...(headers ? { headers } : {}) });

/**
 * The sending policy's SMTP reply as an HTTP answer: a refused sender 403,
 * a quota 429 with Retry-After, too many recipients 422, a mail loop 422,
 * a local failure 503.
 */
export function policyAnswer(reply: SmtpReply): Answer {
  const text = formatReply(reply);
  const enhanced = reply.enhanced ?? '';
  if (enhanced === '4.7.1') {
    const resets = /resets at (\d{4}-\d\d-\d\dT[^\s;]+)/.exec(text)?.[1];
    const seconds = resets === undefined ? 3600 : Math.max(1, Math.ceil((Date.parse(resets) - Date.now()) / 1000));
    return fail(429, 'rate-limited', text, { 'retry-after': String(Number.isFinite(seconds) ? seconds : 3600) });
  }
  if (enhanced.startsWith('5.7.')) return fail(403, 'sender-not-allowed', text);
  if (enhanced === '4.5.3') return fail(422, 'too-many-recipients', text);
  if (enhanced === '5.3.4') return fail(413, 'too-large', text);
  if (enhanced.startsWith('5.1.')) return fail(422, 'address-refused', text);
  if (reply.code >= 400 && reply.code < 500) return fail(503, 'try-later', text, { 'retry-after': '60' });
  return fail(422, 'refused', text);
}

/** Parsed envelope and message, from either body form. */
interface Submission {
  readonly mailFrom: string;
  readonly recipients: readonly { readonly address: string; readonly path: string }[];
  readonly message: Buffer;
  readonly tag: string | undefined;
  readonly metadata: Record<string, string> | undefined;
  /** Bulk mail: intake adds the one-click unsubscribe link (src/bulk/). */
  readonly bulk: boolean;
}

export function registerMessagesApi(app: FastifyInstance, o: MessagesApiOptions): void {
  const inFlight = new Map<string, Promise<Answer>>();

  app.addContentTypeParser('message/rfc822', { parseAs: 'buffer', bodyLimit: o.maxMessageBytes }, (_request, body, done) => done(null, body));

  const verified = new VerifiedKeys();
  const authenticate = (request: FastifyRequest): Caller | Answer => {
    const clientIp = request.socket.remoteAddress ?? '';
    const auth = authenticateBearer(request.headers.authorization, clientIp, { keys: o.keys, users: o.users, sending: o.sending, verified });
    if (!auth.ok) {
      // A key was given and refused (or its address is blocked): an AUTH failure, as SMTP counts them.
      if (request.headers.authorization !== undefined) o.onAuthFailed?.('api-key');
      return fail(auth.status, auth.status === 401 ? 'unauthorized' : 'too-many-failures', auth.message, auth.status === 401 ? { 'www-authenticate': 'Bearer' } : { 'retry-after': '600' });
    }
    return { principal: auth.principal, label: auth.key.label, clientIp };
  };

  // Authentication comes first (onRequest): no key, no parsing of the body, and 401 before any 400 or 413.
  const callers = new WeakMap<FastifyRequest, Caller>();
  const guard = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const caller = authenticate(request);
    if (!('principal' in caller)) return send(reply, caller);
    callers.set(request, caller);
    return undefined;
  };
  const callerOf = (request: FastifyRequest): Caller => callers.get(request) as Caller;

  const send = (reply: FastifyReply, answer: Answer): FastifyReply => {
    if (answer.headers) for (const [k, v] of Object.entries(answer.headers)) void reply.header(k, v);
    return reply.code(answer.statusCode).send(answer.body);
  };

  /** The policy, then intake; the answer once the queue has the message on disk. */
  const submit = async (s: Submission, caller: Caller): Promise<Answer> => {
    const { sending, intake } = o;
    const sender: Sender = { kind: 'user', principal: caller.principal, clientIp: caller.clientIp };
    const refusedSender = sending.checkMailFrom(s.mailFrom, sender);
    if (refusedSender !== undefined) return policyAnswer(refusedSender);
    const accepted: string[] = [];
    const rejected: { address: string; reason: string }[] = [];
    for (const r of s.recipients) {
      if (accepted.length >= o.maxRecipients) return fail(422, 'too-many-recipients', `at most ${o.maxRecipients} recipients per message`);
      const refused = sending.checkRecipient(r.address, s.mailFrom, accepted.length, sender);
      if (refused === undefined) accepted.push(r.address);
      // A suppressed recipient is left out, as SMTP refuses its RCPT and takes the others.
      else if ((refused.enhanced ?? '').startsWith('5.1.')) rejected.push({ address: r.address, reason: formatReply(refused) });
      else return policyAnswer(refused);
    }
    if (accepted.length === 0) return { statusCode: 422, body: { error: 'no-recipients', message: 'every recipient was refused', rejected } };
    const submitter: Submitter = {
      clientIp: caller.clientIp,
      clientHostname: '',
      helo: 'api',
      user: caller.principal.user,
      credential: caller.principal.credentialName,
      protocol: o.secure ? 'HTTPS' : 'HTTP',
      tls: undefined,
      via: 'api',
    };
    const envelope = { mailFrom: normalizeAddress(s.mailFrom), rcptTo: accepted.map(normalizeAddress) };
    const holdReason = sending.holdReason(sender);
    let id: string;
    try {
      id = await intake.accept({
        envelope,
        message: s.message,
        submitter,
        stamp: true,
        check: (headers: SubmittedHeaders) => sending.checkHeaders(headers, sender),
        holdReason,
        bulk: s.bulk,
      });
    } catch (err) {
      if (err instanceof SmtpError) {
        o.logger.info({ event: 'refused', via: 'api', clientIp: caller.clientIp, user: caller.principal.user, reply: formatReply(err.reply) }, 'message refused');
        return policyAnswer(err.reply);
      }
      // Nothing was acknowledged, so nothing is lost: the client retries.
      o.logger.error({ err, event: 'intake-failed', via: 'api', clientIp: caller.clientIp }, 'could not queue message');
      return fail(503, 'try-later', 'could not store the message; try again', { 'retry-after': '30' });
    }
    sending.recordAccepted(s.mailFrom, sender);
    try {
      o.store.recordSubmitted({
        id,
        user: caller.principal.user,
        credential: caller.principal.credentialName,
        mailFrom: envelope.mailFrom,
        rcptTo: envelope.rcptTo,
        held: holdReason !== undefined,
        tag: s.tag,
        metadata: s.metadata,
      });
    } catch (err) {
      // The message is queued and will be delivered: say so; only its status will be unknown.
      o.logger.error({ err, queueId: id }, 'could not record the API message for its status');
    }
    return {
      statusCode: 202,
      body: { id, accepted: envelope.rcptTo, ...(rejected.length > 0 ? { rejected } : {}), ...(holdReason === undefined ? {} : { held: true }) },
    };
  };

  /** Runs `work` once per (user, Idempotency-Key): a retry gets the first answer (from api.db, 24 h). */
  const idempotent = async (request: FastifyRequest, caller: Caller, work: () => Promise<Answer>): Promise<Answer> => {
    const header = request.headers['idempotency-key'];
    const key = Array.isArray(header) ? header[0] : header;
    if (key === undefined) return work();
    if (key.length === 0 || key.length > 200) return { statusCode: 400, body: invalidRequest([{ path: 'Idempotency-Key', problem: 'must be 1 to 200 characters' }]) };
    const user = caller.principal.user;
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.routeOptions.url ?? ''}\n${JSON.stringify(request.query)}\n`)
      .update(Buffer.isBuffer(request.body) ? request.body : JSON.stringify(request.body))
      .digest('hex');
    const slot = `${user}\0${key}`;
    // The same key again while an earlier request is still being stored: wait for it (and for any that took its turn).
    for (let running = inFlight.get(slot); running !== undefined; running = inFlight.get(slot)) await running.catch(() => undefined);
    const stored = o.store.answerFor(user, key);
    if (stored !== undefined) {
      if (stored.fingerprint !== fingerprint) return fail(422, 'idempotency-key-reused', 'this Idempotency-Key was used for a different request in the last 24 hours');
      return { statusCode: stored.statusCode, body: stored.body, headers: { 'idempotent-replayed': 'true' } };
    }
    const promise = work();
    inFlight.set(slot, promise);
    try {
      const answer = await promise;
      // Only answers that queued something are kept: a refused request queued nothing, and may be retried as it is.
      if (answer.statusCode === 202 || answer.statusCode === 200) {
        try {
          o.store.saveAnswer(user, key, { fingerprint, statusCode: answer.statusCode, body: answer.body });
        } catch (err) {
          o.logger.error({ err }, 'could not record the Idempotency-Key answer');
        }
      }
      return answer;
    } finally {
      if (inFlight.get(slot) === promise) inFlight.delete(slot);
    }
  };

  const fromJson = async (body: JsonMessage): Promise<Submission | Answer> => {
    let composed;
    try {
      composed = await composeJson(body);
    } catch (err) {
      if (err instanceof RequestProblem) return { statusCode: 400, body: invalidRequest(err.fields) };
      throw err;
    }
    if (composed.message.length > o.maxMessageBytes) return fail(413, 'too-large', `message is ${composed.message.length} bytes; at most ${o.maxMessageBytes}`);
    return { mailFrom: composed.mailFrom, recipients: composed.recipients, message: composed.message, tag: body.tag, metadata: body.metadata as Record<string, string> | undefined, bulk: body.bulk === true };
  };

  const fromRaw = (message: Buffer, query: { from: string; to: string[]; tag?: string; bulk?: boolean }): Submission | Answer => {
    const problems: FieldProblem[] = [];
    const from = parseMailbox(query.from);
    // The null reverse-path is for bounces: a message of the API always has a sender.
    if (!from.ok) problems.push({ path: 'query.from', problem: `not an address: ${from.problem}` });
    const seen = new Set<string>();
    const recipients: { address: string; path: string }[] = [];
    query.to.forEach((t, i) => {
      const parsed = parseMailbox(t);
      if (!parsed.ok) problems.push({ path: `query.to[${i}]`, problem: `not an address: ${parsed.problem}` });
      else if (!seen.has(mailboxKey(parsed.address))) {
        seen.add(mailboxKey(parsed.address));
        recipients.push({ address: parsed.address, path: `query.to[${i}]` });
      }
    });
    if (problems.length > 0 || !from.ok) return { statusCode: 400, body: invalidRequest(problems) };
    if (message.length === 0) return { statusCode: 400, body: invalidRequest([{ path: 'body', problem: 'empty message' }]) };
    if (message.length > o.maxMessageBytes) return fail(413, 'too-large', `message is ${message.length} bytes; at most ${o.maxMessageBytes}`);
    return { mailFrom: from.address, recipients, message, tag: query.tag, metadata: undefined, bulk: query.bulk === true };
  };

  const isAnswer = (x: Submission | Answer): x is Answer => 'statusCode' in x;

  app.post(
    '/api/v1/messages',
    {
      bodyLimit: Math.ceil(o.maxMessageBytes * 1.4) + 65_536,
      schema: {
        summary: 'Send one message',
        description:
          'JSON (application/json, below) or a whole RFC 5322 message (Content-Type: message/rfc822) with the envelope in the query: ?from=…&to=…&to=…. Answers 202 once the message is stored durably in the queue. With an Idempotency-Key header, a retry within 24 h gets the first answer instead of queueing a second copy.',
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string' } } },
        body: messageSchema,
        response: { 202: acceptedSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 413: errorSchema, 429: errorSchema },
      },
      onRequest: guard,
      // message/rfc822 bodies are Buffers, handled here: the JSON schema only applies to JSON.
      preValidation: async (request, reply) => {
        if (Buffer.isBuffer(request.body)) {
          const caller = callerOf(request);
          const validate = request.compileValidationSchema(rawQuerySchema, 'querystring');
          const query = { ...(request.query as Record<string, unknown>) };
          if (typeof query['to'] === 'string') query['to'] = [query['to']];
          if (!validate(query)) return send(reply, { statusCode: 400, body: invalidRequest((validate.errors ?? []).map((e) => fieldProblem(e, 'query'))) });
          const submission = fromRaw(request.body, query as { from: string; to: string[]; tag?: string; bulk?: boolean });
          const answer = isAnswer(submission) ? submission : await idempotent(request, caller, () => submit(submission, caller));
          return send(reply, answer);
        }
        return undefined;
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const answer = await idempotent(request, caller, async () => {
        const submission = await fromJson(request.body as JsonMessage);
        return isAnswer(submission) ? submission : submit(submission, caller);
      });
      return send(reply, answer);
    },
  );

  app.post(
    '/api/v1/messages/batch',
    {
      onRequest: guard,
      bodyLimit: Math.max(Math.ceil(o.maxMessageBytes * 1.4) + 65_536, 64 * 1024 * 1024),
      schema: {
        summary: 'Send up to 500 messages',
        description: 'Each item is a message as for POST /api/v1/messages (JSON); each gets its own answer, in order: status 202 with id, or the error.',
        body: batchSchema,
        response: { 200: { type: 'object', properties: { results: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, 400: errorSchema, 401: errorSchema, 413: errorSchema },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const answer = await idempotent(request, caller, async () => {
        const validate = request.compileValidationSchema(messageSchema);
        const results: unknown[] = [];
        const items = (request.body as { messages: unknown[] }).messages;
        for (const [index, item] of items.entries()) {
          let answer: Answer;
          if (!validate(item)) {
            answer = { statusCode: 400, body: invalidRequest((validate.errors ?? []).map((e) => fieldProblem(e, `messages[${index}]`))) };
          } else {
            const submission = await fromJson(item as JsonMessage);
            answer = isAnswer(submission) ? prefixed(submission, `messages[${index}].`) : await submit(submission, caller);
          }
          results.push({ index, status: answer.statusCode, ...(answer.body as object), ...(answer.headers?.['retry-after'] ? { retryAfter: Number(answer.headers['retry-after']) } : {}) });
        }
        return { statusCode: 200, body: { results } };
      });
      return send(reply, answer);
    },
  );

  app.get(
    '/api/v1/messages/:id',
    {
      onRequest: guard,
      schema: {
        summary: 'The state of one message sent with this key\'s user',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
        response: { 200: statusSchema, 401: errorSchema, 404: errorSchema },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { id } = request.params as { id: string };
      const record = o.store.get(id, caller.principal.user);
      if (record === undefined) return send(reply, fail(404, 'not-found', `no message ${id} sent by ${caller.principal.user} through the API`));
      return send(reply, { statusCode: 200, body: await statusBody(record, o.queue) });
    },
  );

  app.get(
    '/api/v1/messages',
    {
      onRequest: guard,
      schema: {
        summary: 'Page through this key\'s user\'s messages, oldest first',
        querystring: listQuerySchema,
        response: {
          200: { type: 'object', properties: { messages: { type: 'array', items: statusSchema }, nextCursor: { type: 'string' } } },
          400: errorSchema,
          401: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const q = request.query as { status?: MessageState; since?: string; limit: number; cursor?: string };
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      if (q.cursor !== undefined && after === undefined) return send(reply, { statusCode: 400, body: invalidRequest([{ path: 'query.cursor', problem: 'not a cursor from this API (use nextCursor as given)' }]) });
      const sinceMs = q.since === undefined ? 0 : Date.parse(q.since);
      const page = o.store.page(caller.principal.user, { sinceMs, status: q.status, after, limit: q.limit });
      const last = page.length === q.limit ? page[page.length - 1] : undefined;
      return send(reply, {
        statusCode: 200,
        body: {
          messages: page.map((r) => summary(r)),
          ...(last === undefined ? {} : { nextCursor: Buffer.from(`${last.createdAtMs}:${last.id}`).toString('base64url') }),
        },
      });
    },
  );
}

function prefixed(answer: Answer, prefix: string): Answer {
  const body = answer.body as { fields?: FieldProblem[] };
  if (body.fields === undefined) return answer;
  return { ...answer, body: invalidRequest(body.fields.map((f) => ({ path: prefix + f.path, problem: f.problem }))) };
}

function decodeCursor(cursor: string): { atMs: number; id: string } | undefined {
  const m = /^(\d+):([0-9A-Za-z]+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? { atMs: Number(m[1]), id: m[2] as string } : undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function summary(r: ApiMessageRecord): Record<string, unknown> {
  return {
    id: r.id,
    status: r.status,
    from: r.mailFrom,
    createdAt: iso(r.createdAtMs),
    updatedAt: iso(r.updatedAtMs),
    ...(r.tag === undefined ? {} : { tag: r.tag }),
    ...(r.metadata === undefined ? {} : { metadata: r.metadata }),
    recipients: r.recipients.map((p) => ({
      address: p.rcptTo,
      status: p.status,
      attempts: p.attempts,
      ...(p.lastReply === undefined ? {} : { lastReply: p.lastReply }),
      ...(p.lastStatus === undefined ? {} : { lastStatus: p.lastStatus }),
      updatedAt: iso(p.updatedAtMs),
      history: p.history.map((a) => ({
        at: iso(a.atMs),
        status: a.status,
        ...(a.reply === undefined ? {} : { reply: a.reply }),
        ...(a.enhanced === undefined ? {} : { enhanced: a.enhanced }),
      })),
    })),
  };
}

/** The summary, with what the queue knows of a message still in it (held, next attempt). */
async function statusBody(r: ApiMessageRecord, queue: QueueStore): Promise<Record<string, unknown>> {
  const body = summary(r);
  if (r.status !== 'queued' && r.status !== 'deferred' && r.status !== 'held') return body;
  const stored = await queue.load(r.id).catch(() => undefined);
  if (stored === undefined) return body;
  const next = new Map(stored.recipients.map((p) => [p.rcptTo, p]));
  return {
    ...body,
    held: stored.held,
    ...(stored.held && r.status !== 'held' ? { status: 'held' } : {}),
    recipients: (body['recipients'] as Record<string, unknown>[]).map((p) => {
      const q = next.get(p['address'] as string);
      return q === undefined || q.status !== 'queued' ? p : { ...p, nextAttemptAt: iso(q.nextAttemptAtMs) };
    }),
  };
}
