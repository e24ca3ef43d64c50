// Which recipients our notices report (RFC 3461 §4.1 NOTIFY, default FAILURE,DELAY).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Intake, IntakeRequest } from '../intake/intake.js';
import type { QueueStore, StoredMessage, StoredRecipient } from '../queue/queue-store.js';
import { createBounceNotifier } from './notify.js';

function recipient(rcptTo: string, notify?: string): StoredRecipient {
  return { rcptTo, status: 'queued', attempts: 1, nextAttemptAtMs: 0, lastError: undefined, lastStatus: undefined, ...(notify === undefined ? {} : { notify }) };
}

const message: StoredMessage = {
  id: 'Q1',
  mailFrom: 'alice@example.com',
  size: 10,
  createdAtMs: 1_000,
  held: false,
  holdReason: undefined,
  delayNotified: false,
  envId: undefined,
  eightBit: false,
  recipients: [recipient('default@x.test'), recipient('never@x.test', 'NEVER'), recipient('delay@x.test', 'DELAY'), recipient('success@x.test', 'SUCCESS')],
};

function harness(): { accepted: IntakeRequest[]; notifier: ReturnType<typeof createBounceNotifier> } {
  const accepted: IntakeRequest[] = [];
  const intake = { accept: async (r: IntakeRequest) => (accepted.push(r), 'DSN1') } as unknown as Intake;
  const store = { readMessage: async () => Buffer.from('Subject: x\r\n\r\nbody\r\n') } as unknown as QueueStore;
  const notifier = createBounceNotifier({ hostname: 'mail.test', intake, store, logger: pino({ level: 'silent' }), maxLifetimeMs: 1_000_000 });
  return { accepted, notifier };
}

function reported(request: IntakeRequest | undefined): string[] {
  return [...(request?.message.toString('utf8') ?? '').matchAll(/Final-Recipient: rfc822; (\S+)/g)].map((m) => m[1] ?? '');
}

const failure = { status: '5.1.1', stage: 'rcpt', remoteMta: undefined, remoteReply: undefined, detail: 'unknown' } as const;
const everyone = message.recipients.map((r) => r.rcptTo);

test('a bounce reports only recipients whose NOTIFY has FAILURE (or none)', async () => {
  const { accepted, notifier } = harness();
  await notifier.onFailed(message, everyone.map((rcptTo) => ({ rcptTo, kind: 'bounced', failure })));
  assert.equal(accepted.length, 1);
  assert.deepEqual(reported(accepted[0]), ['default@x.test']);
});

test('a delay notice reports only recipients whose NOTIFY has DELAY (or none)', async () => {
  const { accepted, notifier } = harness();
  await notifier.onDelayed(message, everyone.map((rcptTo) => ({ rcptTo, failure: { ...failure, status: '4.4.1' } })));
  assert.deepEqual(reported(accepted[0]), ['default@x.test', 'delay@x.test']);
});

test('nothing is queued when no recipient asked for the notice', async () => {
  const { accepted, notifier } = harness();
  await notifier.onFailed(message, [{ rcptTo: 'never@x.test', kind: 'bounced', failure }]);
  await notifier.onDelayed(message, [{ rcptTo: 'success@x.test', failure }]);
  assert.equal(accepted.length, 0);
});
