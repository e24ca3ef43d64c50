// The PostgreSQL queue schema as numbered SQL steps. A step is never edited
// once released: a change is a new step appended at the end, so every
// database moves through the same sequence (migrate.ts applies them).
//
// Times are milliseconds since the epoch in bigint columns, as in the
// embedded store, so both stores share one row format (queue-rows.ts).
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'queue tables',
    // Bodies are bytea in the same database, not files on a shared spool:
    // one COMMIT covers body, envelope and recipients (no file without its
    // row, nor the reverse), one thing to back up and replicate, and the
    // nodes need no shared file system. PostgreSQL TOASTs (compresses and
    // moves out of line) values over ~2 KiB, so scans of `messages` never
    // read bodies; they also live in their own table, as in SQLite.
    //
    // next_due_at is the earliest next attempt of the message's queued
    // recipients (NULL when none), kept by the store on every change; its
    // partial index is how due work is found without scanning the queue.
    // lease_owner / lease_until: the node that claimed the message for
    // delivery and until when (see pg-claims.ts).
    sql: `
CREATE TABLE messages (
  id             text PRIMARY KEY,
  mail_from      text NOT NULL,
  size           bigint NOT NULL,
  created_at     bigint NOT NULL,
  held           boolean NOT NULL DEFAULT false,
  hold_reason    text,
  delay_notified boolean NOT NULL DEFAULT false,
  env_id         text,
  dsn_ret        text,
  smtputf8       boolean NOT NULL DEFAULT false,
  eight_bit      boolean NOT NULL DEFAULT true,
  next_due_at    bigint,
  lease_owner    text,
  lease_until    bigint,
  quarantined    text
);
CREATE INDEX messages_due ON messages (next_due_at) WHERE NOT held AND quarantined IS NULL;
CREATE TABLE bodies (
  message_id text PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
  body       bytea NOT NULL
);
CREATE TABLE recipients (
  message_id      text NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  seq             integer NOT NULL,
  rcpt_to         text NOT NULL,
  domain          text NOT NULL,
  status          text NOT NULL,
  attempts        integer NOT NULL,
  next_attempt_at bigint NOT NULL,
  last_error      text,
  last_status     text,
  last_attempt_at bigint,
  notify          text,
  orcpt           text,
  PRIMARY KEY (message_id, rcpt_to)
);
-- One row per recorded attempt result of a recipient (which node, what came back).
CREATE TABLE attempts (
  message_id  text NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  rcpt_to     text NOT NULL,
  attempt     integer NOT NULL,
  status      text NOT NULL,
  at          bigint NOT NULL,
  node        text NOT NULL,
  last_status text,
  last_error  text
);
CREATE INDEX attempts_message ON attempts (message_id);
-- Queue events that are not attempts: a lease taken over from another node, a quarantined row.
CREATE TABLE events (
  seq        bigserial PRIMARY KEY,
  message_id text NOT NULL,
  at         bigint NOT NULL,
  node       text NOT NULL,
  kind       text NOT NULL,
  detail     text
);
CREATE INDEX events_message ON events (message_id);
`,
  },
  {
    version: 2,
    // REQUIRETLS (RFC 8689) must survive retries and node changes, as in the embedded store.
    name: 'requiretls flag',
    sql: `ALTER TABLE messages ADD COLUMN requiretls boolean NOT NULL DEFAULT false;`,
  },
  {
    version: 3,
    // The webhook outbox (src/webhooks/), as in the embedded store: one row
    // per event and endpoint, written in the transaction of the queue change
    // that caused it, deleted once the endpoint answered 2xx. No foreign key
    // to messages: the events of a message outlive it (the delivered event is
    // written as its last recipient leaves). lease_owner / lease_until: the
    // node sending the row and until when (pg-webhook-outbox.ts), as for the
    // messages' delivery claims. A row behind another of its message and
    // endpoint is never due before it (pg-webhook-outbox.ts), so that due
    // rows are found through webhook_events_due without reading the backlog
    // of an endpoint that is down. Empty, and never read, without webhooks.
    name: 'webhook outbox',
    sql: `
CREATE TABLE webhook_events (
  seq             bigserial PRIMARY KEY,
  event_id        text NOT NULL,
  endpoint        text NOT NULL,
  message_id      text NOT NULL,
  payload         text NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at bigint NOT NULL,
  lease_owner     text,
  lease_until     bigint,
  UNIQUE (event_id, endpoint)
);
CREATE INDEX webhook_events_order ON webhook_events (message_id, endpoint, seq);
CREATE INDEX webhook_events_due ON webhook_events (next_attempt_at);
`,
  },
];

export const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
