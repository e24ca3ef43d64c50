// The scheduler against the real SQLite store. `deliver` is the scheduler's
// injected dependency: here a plain function returning outcomes each test
// scripts, recording what it was asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { newQueueId } from '../../src/core/queue-id.js';
import type { DeliveryFailure, RecipientOutcome, RelayInfo } from '../../src/core/outcome.js';
import type { RetrySchedule } from '../../src/core/retry.js';
import { openSqliteQueueStore, type SqliteQueueStore } from '../../src/queue/sqlite-queue-store.js';
import { Scheduler, type DeliveryRequest, type FinalFailure, type SchedulerOptions } from '../../src/queue/scheduler.js';
import type { StoredMessage } from '../../src/queue/queue-store.js';

const fastSchedule: RetrySchedule = { initialDelayMs: 50, maxDelayMs: 200, maxLifetimeMs: 1000, delayNoticeAfterMs: undefined };
const relay: RelayInfo = { host: 'mx.example.net', ip: '127.0.0.1', port: 2525, tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' } };

type Step = 'ok' | 'defer' | 'bounce';

function outcomeFor(rcptTo: string, step: Step): RecipientOutcome {
  if (step === 'ok') return { kind: 'delivered', rcptTo, relay, remoteReply: { code: 250, enhanced: '2.0.0', text: 'Ok: queued as R1' } };
  if (step === 'defer') {
    const failure: DeliveryFailure = {
      status: '4.7.1',
      stage: 'rcpt',
      remoteMta: 'mx.example.net[127.0.0.1]',
      remoteReply: { code: 451, enhanced: '4.7.1', text: 'Greylisted, try later' },
      detail: 'recipient deferred',
    };
    return { kind: 'deferred', rcptTo, relay, failure };
  }
  const failure: DeliveryFailure = {
    status: '5.1.1',
    stage: 'rcpt',
    remoteMta: 'mx.example.net[127.0.0.1]',
    remoteReply: { code: 550, enhanced: '5.1.1', text: 'No such user' },
    detail: 'recipient rejected',
  };
  return { kind: 'bounced', rcptTo, relay, failure };
}

/** A deliver function that plays each recipient's script step by step (the last step repeats). */
function scriptedDeliver(script: Record<string, Step[]>) {
  const calls: DeliveryRequest[] = [];
  const seen = new Map<string, number>();
  const deliver = async (request: DeliveryRequest): Promise<RecipientOutcome[]> => {
    calls.push(request);
    await sleep(1);
    return request.rcptTo.map((rcptTo) => {
      const steps = script[rcptTo] ?? ['ok'];
      const n = seen.get(rcptTo) ?? 0;
      seen.set(rcptTo, n + 1);
      return outcomeFor(rcptTo, steps[Math.min(n, steps.length - 1)] ?? 'ok');
    });
  };
  return { deliver, calls };
}

interface Setup {
  store: SqliteQueueStore;
  scheduler: Scheduler;
  logs: Record<string, unknown>[];
  failed: { message: StoredMessage; failed: readonly FinalFailure[]; queuedWhileCalled: boolean }[];
  delayed: { message: StoredMessage; rcptTo: string[] }[];
  /** Enqueue as intake does (first attempt recorded), then notify the scheduler unless told not to. */
  submit(mailFrom: string, rcptTo: string[], options?: { notify?: boolean; firstRetryAtMs?: number }): Promise<string>;
}

async function setup(
  t: { after(fn: () => unknown): void },
  options: Partial<Omit<SchedulerOptions, 'store' | 'logger'>> & Pick<SchedulerOptions, 'deliver'>,
): Promise<Setup> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hikyaku-sched-'));
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const store = await openSqliteQueueStore({ dataDir, logger });
  const failed: Setup['failed'] = [];
  const delayed: Setup['delayed'] = [];
  const schedule = options.schedule ?? fastSchedule;
  const scheduler = new Scheduler({
    store,
    logger,
    schedule,
    maxConcurrentDeliveries: 4,
    pollIntervalMs: 25,
    onFailed: async (message, list) => {
      // Recorded before the final statuses: the recipients must still be queued now.
      const current = await store.load(message.id);
      const queuedWhileCalled = list.every((f) => current?.recipients.find((r) => r.rcptTo === f.rcptTo)?.status === 'queued');
      failed.push({ message, failed: list, queuedWhileCalled });
    },
    onDelayed: async (message, list) => void delayed.push({ message, rcptTo: list.map((d) => d.rcptTo) }),
    ...options,
  });
  t.after(async () => {
    await scheduler.stop(2000);
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    store,
    scheduler,
    logs,
    failed,
    delayed,
    async submit(mailFrom, rcptTo, submitOptions = {}) {
      const id = newQueueId();
      const message = Buffer.from(`From: <${mailFrom}>\r\nSubject: ${id}\r\n\r\nhello\r\n`);
      await store.enqueue({ id, envelope: { mailFrom, rcptTo }, message, firstRetryAtMs: submitOptions.firstRetryAtMs ?? Date.now() + schedule.initialDelayMs });
      if (submitOptions.notify !== false) scheduler.notifyNew(id, mailFrom, rcptTo, message);
      return id;
    },
  };
}

async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(5);
  }
}

function deliveryLines(logs: Record<string, unknown>[], id: string) {
  return logs.filter((l) => l['event'] === 'delivery' && l['queueId'] === id);
}

test('deferred, then delivered on retry; one log line per recipient per attempt', async (t) => {
  const { deliver, calls } = scriptedDeliver({ 'bob@example.net': ['defer', 'ok'] });
  const s = await setup(t, { deliver });
  s.scheduler.start();
  const id = await s.submit('alice@example.com', ['bob@example.net']);
  await waitFor('message delivered and removed', async () => (await s.store.load(id)) === undefined);

  assert.equal(calls.length, 2);
  assert.deepEqual(calls.map((c) => c.rcptTo), [['bob@example.net'], ['bob@example.net']]);
  assert.equal(calls[1]?.message.toString().includes(`Subject: ${id}`), true);
  const lines = deliveryLines(s.logs, id);
  assert.deepEqual(
    lines.map((l) => [l['status'], l['dsn'], l['attempt'], l['relay'], l['tls'], l['rcptTo']]),
    [
      ['deferred', '4.7.1', 1, 'mx.example.net[127.0.0.1]:2525', 'TLSv1.3 TLS_AES_256_GCM_SHA384', 'bob@example.net'],
      ['sent', '2.0.0', 2, 'mx.example.net[127.0.0.1]:2525', 'TLSv1.3 TLS_AES_256_GCM_SHA384', 'bob@example.net'],
    ],
  );
  assert.equal(lines[0]?.['reply'], '451 4.7.1 Greylisted, try later');
  assert.equal(typeof lines[1]?.['delayMs'], 'number');
  assert.deepEqual(s.failed, []);
});

test('attempts are recorded before they are made', async (t) => {
  const seen: { attempts: number; nextAttemptAtMs: number; at: number }[] = [];
  let store: SqliteQueueStore | undefined;
  const s = await setup(t, {
    deliver: async (request) => {
      const loaded = await store?.load(request.id);
      const r = loaded?.recipients[0];
      if (r) seen.push({ attempts: r.attempts, nextAttemptAtMs: r.nextAttemptAtMs, at: Date.now() });
      return request.rcptTo.map((rcptTo) => outcomeFor(rcptTo, seen.length < 2 ? 'defer' : 'ok'));
    },
  });
  store = s.store;
  s.scheduler.start();
  const id = await s.submit('alice@example.com', ['bob@example.net']);
  await waitFor('delivered', async () => (await s.store.load(id)) === undefined);
  assert.equal(seen.length, 2);
  // The first attempt was recorded by the enqueue, the second by the scheduler before calling deliver.
  assert.equal(seen[0]?.attempts, 1);
  assert.equal(seen[1]?.attempts, 2);
  assert.ok((seen[1]?.nextAttemptAtMs ?? 0) > (seen[1]?.at ?? Infinity) - 1, 'the next attempt time was already pushed forward');
});

test('250 / 451 / 550 in one message: delivered, retried, bounced', async (t) => {
  const { deliver, calls } = scriptedDeliver({ 'ok@example.net': ['ok'], 'later@example.net': ['defer', 'ok'], 'nobody@example.net': ['bounce'] });
  const s = await setup(t, { deliver });
  s.scheduler.start();
  const id = await s.submit('alice@example.com', ['ok@example.net', 'later@example.net', 'nobody@example.net']);
  await waitFor('message done', async () => (await s.store.load(id)) === undefined);

  assert.deepEqual(calls.map((c) => c.rcptTo), [['ok@example.net', 'later@example.net', 'nobody@example.net'], ['later@example.net']]);
  assert.equal(s.failed.length, 1);
  assert.equal(s.failed[0]?.queuedWhileCalled, true);
  assert.deepEqual(
    s.failed[0]?.failed.map((f) => [f.rcptTo, f.kind, f.failure.status]),
    [['nobody@example.net', 'bounced', '5.1.1']],
  );
  assert.deepEqual(
    deliveryLines(s.logs, id).map((l) => [l['rcptTo'], l['status'], l['attempt']]),
    [
      ['ok@example.net', 'sent', 1],
      ['later@example.net', 'deferred', 1],
      ['nobody@example.net', 'bounced', 1],
      ['later@example.net', 'sent', 2],
    ],
  );
});

test('deferred past the lifetime: expired with 5.4.7 and the last reply, onFailed before the final record', async (t) => {
  const { deliver } = scriptedDeliver({ 'bob@example.net': ['defer'] });
  const schedule: RetrySchedule = { ...fastSchedule, maxLifetimeMs: 300 };
  const s = await setup(t, { deliver, schedule });
  s.scheduler.start();
  const id = await s.submit('alice@example.com', ['bob@example.net']);
  await waitFor('expired', async () => (await s.store.load(id)) === undefined);

  assert.equal(s.failed.length, 1);
  const f = s.failed[0];
  assert.equal(f?.queuedWhileCalled, true);
  assert.equal(f?.message.id, id);
  assert.equal(f?.failed[0]?.kind, 'expired');
  assert.equal(f?.failed[0]?.failure.status, '5.4.7');
  assert.deepEqual(f?.failed[0]?.failure.remoteReply, { code: 451, enhanced: '4.7.1', text: 'Greylisted, try later' });
  const statuses = deliveryLines(s.logs, id).map((l) => l['status']);
  assert.equal(statuses.at(-1), 'expired');
  assert.ok(statuses.slice(0, -1).every((st) => st === 'deferred') && statuses.length >= 2);
});

test('if the bounce cannot be queued, the recipient stays queued and fails again later', async (t) => {
  const { deliver } = scriptedDeliver({ 'nobody@example.net': ['bounce'] });
  let refusals = 1;
  const bounced: string[] = [];
  const s = await setup(t, {
    deliver,
    onFailed: async (message) => {
      if (refusals-- > 0) throw new Error('disk full');
      bounced.push(message.id);
    },
  });
  s.scheduler.start();
  const id = await s.submit('alice@example.com', ['nobody@example.net']);
  await waitFor('bounced once the bounce could be queued', async () => (await s.store.load(id)) === undefined);
  assert.deepEqual(bounced, [id]);
  assert.equal(deliveryLines(s.logs, id).filter((l) => l['status'] === 'bounced').length, 2);
});

test('null sender: never onFailed nor onDelayed', async (t) => {
  const { deliver } = scriptedDeliver({ 'gone@example.net': ['bounce'], 'slow@example.net': ['defer'] });
  const schedule: RetrySchedule = { ...fastSchedule, maxLifetimeMs: 300, delayNoticeAfterMs: 60 };
  const s = await setup(t, { deliver, schedule });
  s.scheduler.start();
  const id = await s.submit('', ['gone@example.net', 'slow@example.net']);
  await waitFor('expired', async () => (await s.store.load(id)) === undefined);
  assert.deepEqual(s.failed, []);
  assert.deepEqual(s.delayed, []);
  const statuses = deliveryLines(s.logs, id).map((l) => `${String(l['rcptTo'])}:${String(l['status'])}`);
  assert.ok(statuses.includes('gone@example.net:bounced'));
  assert.ok(statuses.includes('slow@example.net:expired'));
});

test('delay notice: once per message, after delayNoticeAfterMs', async (t) => {
  const { deliver, calls } = scriptedDeliver({ 'bob@example.net': ['defer', 'defer', 'defer', 'defer', 'ok'] });
  const schedule: RetrySchedule = { ...fastSchedule, initialDelayMs: 30, maxDelayMs: 60, maxLifetimeMs: 5000, delayNoticeAfterMs: 40 };
  const s = await setup(t, { deliver, schedule });
  s.scheduler.start();
  const id = await s.submit('alice@example.com', ['bob@example.net']);
  await waitFor('delivered', async () => (await s.store.load(id)) === undefined);
  assert.equal(calls.length, 5);
  assert.equal(s.delayed.length, 1);
  assert.deepEqual(s.delayed[0]?.rcptTo, ['bob@example.net']);
  assert.equal(s.delayed[0]?.message.delayNotified, false);
  assert.ok(Date.now() - (s.delayed[0]?.message.createdAtMs ?? 0) >= 40);
});

test('held messages are not delivered until released', async (t) => {
  const { deliver, calls } = scriptedDeliver({});
  let polls = 0;
  const s = await setup(t, { deliver });
  const countingStore = new Proxy(s.store, {
    get(target, prop, receiver) {
      if (prop === 'dueMessageIds') return (now: number, limit: number) => (polls++, target.dueMessageIds(now, limit));
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  const scheduler = new Scheduler({
    store: countingStore,
    deliver,
    schedule: fastSchedule,
    maxConcurrentDeliveries: 2,
    pollIntervalMs: 10,
    logger: pino({ level: 'silent' }),
    onFailed: async () => {},
    onDelayed: async () => {},
  });
  t.after(() => scheduler.stop(1000));
  const held = await s.submit('alice@example.com', ['held@example.net'], { notify: false, firstRetryAtMs: Date.now() });
  const other = await s.submit('alice@example.com', ['other@example.net'], { notify: false, firstRetryAtMs: Date.now() });
  assert.equal(await s.store.hold(held), true);
  scheduler.start();
  await waitFor('the other message delivered', async () => (await s.store.load(other)) === undefined);
  const after = polls;
  await waitFor('several more polls', () => polls >= after + 3);
  assert.deepEqual(calls.map((c) => c.id), [other]);
  assert.equal((await s.store.load(held))?.recipients[0]?.attempts, 1, 'not even an attempt recorded');

  assert.equal(await s.store.release(held), true);
  await waitFor('released message delivered', async () => (await s.store.load(held)) === undefined);
  assert.deepEqual(calls.map((c) => c.id), [other, held]);
});

test('retryNow makes a deferred message due at once', async (t) => {
  const { deliver, calls } = scriptedDeliver({ 'bob@example.net': ['defer', 'ok'] });
  const schedule: RetrySchedule = { ...fastSchedule, initialDelayMs: 3_600_000, maxDelayMs: 3_600_000, maxLifetimeMs: 86_400_000 };
  const s = await setup(t, { deliver, schedule });
  s.scheduler.start();
  const id = await s.submit('alice@example.com', ['bob@example.net']);
  await waitFor('first attempt recorded', async () => (await s.store.load(id))?.recipients[0]?.lastStatus === '4.7.1');
  const next = (await s.store.load(id))?.recipients[0]?.nextAttemptAtMs ?? 0;
  assert.ok(next > Date.now() + 3_000_000, 'next attempt an hour away');
  assert.equal(await s.store.retryNow(id), 1);
  await waitFor('delivered after retryNow', async () => (await s.store.load(id)) === undefined);
  assert.equal(calls.length, 2);
});

test('never more than maxConcurrentDeliveries at once, never one message twice at once', async (t) => {
  let active = 0;
  let maxActive = 0;
  const activeIds = new Set<string>();
  let overlap = false;
  const delivered: string[] = [];
  const s = await setup(t, {
    maxConcurrentDeliveries: 2,
    deliver: async (request) => {
      if (activeIds.has(request.id)) overlap = true;
      activeIds.add(request.id);
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(20);
      active--;
      activeIds.delete(request.id);
      delivered.push(request.id);
      return request.rcptTo.map((rcptTo) => outcomeFor(rcptTo, 'ok'));
    },
  });
  s.scheduler.start();
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) ids.push(await s.submit('alice@example.com', [`r${i}@example.net`]));
  await waitFor('all delivered', async () => (await s.store.list()).length === 0);
  assert.equal(maxActive, 2);
  assert.equal(overlap, false);
  assert.deepEqual([...delivered].sort(), [...ids].sort());
});

test('notifyNew delivers at once, without waiting for a poll', async (t) => {
  const { deliver, calls } = scriptedDeliver({});
  const schedule: RetrySchedule = { ...fastSchedule, initialDelayMs: 3_600_000 };
  const s = await setup(t, { deliver, schedule, pollIntervalMs: 3_600_000 });
  s.scheduler.start();
  const id = await s.submit('alice@example.com', ['bob@example.net']);
  await waitFor('delivered from memory', async () => (await s.store.load(id)) === undefined);
  assert.deepEqual(calls.map((c) => c.id), [id]);
});

test('a deliver() that throws counts as deferred 4.3.0; the scheduler carries on', async (t) => {
  let n = 0;
  const s = await setup(t, {
    deliver: async (request) => {
      if (n++ === 0) throw new Error('boom');
      return request.rcptTo.map((rcptTo) => outcomeFor(rcptTo, 'ok'));
    },
  });
  s.scheduler.start();
  const id = await s.submit('alice@example.com', ['bob@example.net', 'carol@example.net']);
  await waitFor('delivered on retry', async () => (await s.store.load(id)) === undefined);
  const lines = deliveryLines(s.logs, id);
  assert.deepEqual(
    lines.map((l) => [l['rcptTo'], l['status'], l['dsn']]),
    [
      ['bob@example.net', 'deferred', '4.3.0'],
      ['carol@example.net', 'deferred', '4.3.0'],
      ['bob@example.net', 'sent', '2.0.0'],
      ['carol@example.net', 'sent', '2.0.0'],
    ],
  );
  assert.ok(s.logs.some((l) => l['level'] === 50 && (l['err'] as { message?: string } | undefined)?.message === 'boom'));
});

test('stop waits for the deliveries in flight', async (t) => {
  let release: (() => void) | undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let finished = false;
  const s = await setup(t, {
    deliver: async (request) => {
      await gate;
      finished = true;
      return request.rcptTo.map((rcptTo) => outcomeFor(rcptTo, 'ok'));
    },
  });
  s.scheduler.start();
  const id = await s.submit('alice@example.com', ['bob@example.net']);
  const stopped = s.scheduler.stop(5000);
  release?.();
  await stopped;
  assert.equal(finished, true);
  assert.equal(await s.store.load(id), undefined, 'the outcome was recorded before stop resolved');
  // After stop, new notifications are ignored (the message stays queued for the next start).
  const later = await s.submit('alice@example.com', ['dave@example.net']);
  assert.equal((await s.store.load(later))?.recipients[0]?.status, 'queued');
});
