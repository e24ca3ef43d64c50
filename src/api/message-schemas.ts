// JSON Schemas of the messages API: Fastify validates requests with them
// and @fastify/swagger publishes them in the OpenAPI document.

const addressList = {
  anyOf: [
    { type: 'string', maxLength: 1000 },
    { type: 'array', items: { type: 'string', maxLength: 1000 }, maxItems: 1000 },
  ],
  description: 'One address or a list: "user@example.com" or "Name <user@example.com>".',
} as const;

export const messageSchema = {
  type: 'object',
  required: ['from'],
  additionalProperties: false,
  properties: {
    from: { type: 'string', maxLength: 1000, description: 'The From address; the API key\'s user must be allowed to send as it.' },
    to: addressList,
    cc: addressList,
    bcc: addressList,
    replyTo: addressList,
    subject: { type: 'string', maxLength: 10_000 },
    text: { type: 'string' },
    html: { type: 'string' },
    attachments: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        required: ['filename', 'content'],
        additionalProperties: false,
        properties: {
          filename: { type: 'string', minLength: 1, maxLength: 255 },
          content: { type: 'string', description: 'base64' },
          contentType: { type: 'string', maxLength: 255, pattern: '^[!-~]+/[!-~]+$' },
        },
      },
    },
    headers: { type: 'object', maxProperties: 50, additionalProperties: { type: 'string', maxLength: 2000 } },
    tag: { type: 'string', maxLength: 100 },
    bulk: { type: 'boolean', description: 'bulk mail: add a one-click List-Unsubscribe (RFC 8058) for the one recipient (needs bulk.unsubscribeUrl)' },
    metadata: { type: 'object', maxProperties: 20, additionalProperties: { type: 'string', maxLength: 1000 } },
  },
} as const;

export const MAX_BATCH = 500;

export const batchSchema = {
  type: 'object',
  required: ['messages'],
  additionalProperties: false,
  properties: {
    // Each item is checked on its own (answers per message), so only "an object" here.
    messages: { type: 'array', minItems: 1, maxItems: MAX_BATCH, items: { type: 'object' } },
  },
} as const;

export const rawQuerySchema = {
  type: 'object',
  required: ['from', 'to'],
  properties: {
    from: { type: 'string', maxLength: 1000, description: 'MAIL FROM of the envelope' },
    to: { type: 'array', items: { type: 'string', maxLength: 1000 }, minItems: 1, maxItems: 1000, description: 'RCPT TO, repeated' },
    tag: { type: 'string', maxLength: 100 },
    bulk: { type: 'boolean', description: 'bulk mail: add a one-click List-Unsubscribe (RFC 8058)' },
  },
} as const;

export const acceptedSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'queue id' },
    accepted: { type: 'array', items: { type: 'string' } },
    rejected: { type: 'array', items: { type: 'object', properties: { address: { type: 'string' }, reason: { type: 'string' } } } },
    held: { type: 'boolean' },
  },
} as const;

export const errorSchema = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    fields: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, problem: { type: 'string' } } } },
  },
} as const;

export const MESSAGE_STATES = ['queued', 'held', 'deferred', 'delivered', 'bounced', 'expired', 'partial'] as const;

export const statusSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: MESSAGE_STATES },
    from: { type: 'string' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    held: { type: 'boolean' },
    tag: { type: 'string' },
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
    recipients: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          address: { type: 'string' },
          status: { type: 'string' },
          attempts: { type: 'integer' },
          lastReply: { type: 'string' },
          lastStatus: { type: 'string' },
          nextAttemptAt: { type: 'string' },
          updatedAt: { type: 'string' },
          history: {
            type: 'array',
            description: 'every delivery attempt (and the final verdict), oldest first, with the remote reply',
            items: { type: 'object', properties: { at: { type: 'string' }, status: { type: 'string' }, reply: { type: 'string' }, enhanced: { type: 'string' } } },
          },
        },
      },
    },
  },
} as const;

export const listQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: MESSAGE_STATES },
    since: { type: 'string', format: 'date-time', description: 'only messages submitted at or after this time (ISO 8601)' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
    cursor: { type: 'string', maxLength: 200, description: 'nextCursor of the previous page' },
  },
} as const;
