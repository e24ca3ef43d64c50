import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attemptResult, expiredFailure, retryLater, type AttemptClock } from './attempt-result.js';
import type { DeliveryFailure, RelayInfo } from '../core/outcome.js';
import type { StoredRecipient } from './queue-store.js';

const schedule = { initialDelayMs: 1000, maxDelayMs: 8000, maxLifetimeMs: 100_000, delayNoticeAfterMs: undefined };
const clock: AttemptClock = { nowMs: 50_000, createdAtMs: 10_000, schedule };
const recipient: StoredRecipient = { rcptTo: 'b@example.net', status: 'queued', attempts: 3, nextAttemptAtMs: 54_000, lastError: undefined, lastStatus: undefined };
const relay: RelayInfo = { host: 'mx.example.net', ip: '192.0.2.1', port: 25, tls: undefined };
const tempFailure: DeliveryFailure = {
  status: '4.7.1',
  stage: 'rcpt',
  remoteMta: 'mx.example.net[192.0.2.1]',
  remoteReply: { code: 451, enhanced: '4.7.1', text: 'greylisted' },
  detail: 'recipient deferred',
};

test('delivered: status delivered, dsn from the reply', () => {
  const r = attemptResult(recipient, { kind: 'delivered', rcptTo: recipient.rcptTo, relay, remoteReply: { code: 250, enhanced: '2.6.0', text: 'ok' } }, clock);
  assert.equal(r.status, 'sent');
  assert.equal(r.dsn, '2.6.0');
  assert.equal(r.reply, '250 2.6.0 ok');
  assert.deepEqual(r.update, { rcptTo: 'b@example.net', status: 'delivered', attempts: 3, nextAttemptAtMs: 54_000, lastError: undefined, lastStatus: '2.6.0' });
  const plain = attemptResult(recipient, { kind: 'delivered', rcptTo: recipient.rcptTo, relay, remoteReply: { code: 250, enhanced: undefined, text: 'ok' } }, clock);
  assert.equal(plain.dsn, '2.0.0');
});

test('deferred: stays queued, next attempt after the backoff for its attempt count', () => {
  const r = attemptResult(recipient, { kind: 'deferred', rcptTo: recipient.rcptTo, relay, failure: tempFailure }, clock);
  assert.equal(r.status, 'deferred');
  assert.equal(r.dsn, '4.7.1');
  // 3 failed attempts: 1000 * 2^2 = 4000
  assert.deepEqual(r.update, {
    rcptTo: 'b@example.net',
    status: 'queued',
    attempts: 3,
    nextAttemptAtMs: 54_000,
    lastError: 'host mx.example.net[192.0.2.1] said: 451 4.7.1 greylisted',
    lastStatus: '4.7.1',
  });
  assert.equal(r.failure, tempFailure);
});

test('deferred past the lifetime: expired 5.4.7, keeping the last remote reply', () => {
  const old: AttemptClock = { ...clock, nowMs: clock.createdAtMs + schedule.maxLifetimeMs };
  const r = attemptResult(recipient, { kind: 'deferred', rcptTo: recipient.rcptTo, relay, failure: tempFailure }, old);
  assert.equal(r.status, 'expired');
  assert.equal(r.dsn, '5.4.7');
  assert.equal(r.failure?.status, '5.4.7');
  assert.deepEqual(r.failure?.remoteReply, tempFailure.remoteReply);
  assert.equal(r.failure?.remoteMta, tempFailure.remoteMta);
  assert.equal(r.update.status, 'expired');
  assert.equal(r.update.lastStatus, '5.4.7');
  assert.match(r.failure?.detail ?? '', /4\.7\.1 recipient deferred/);
});

test('bounced: final, with the failure as given', () => {
  const failure: DeliveryFailure = { ...tempFailure, status: '5.1.1', remoteReply: { code: 550, enhanced: '5.1.1', text: 'unknown user' } };
  const r = attemptResult(recipient, { kind: 'bounced', rcptTo: recipient.rcptTo, relay: undefined, failure }, clock);
  assert.equal(r.status, 'bounced');
  assert.equal(r.dsn, '5.1.1');
  assert.equal(r.failure, failure);
  assert.equal(r.update.status, 'bounced');
  assert.equal(r.relay, undefined);
});

test('a bounce is never expired even when old', () => {
  const old: AttemptClock = { ...clock, nowMs: clock.createdAtMs + 10 * schedule.maxLifetimeMs };
  const failure: DeliveryFailure = { ...tempFailure, status: '5.1.1' };
  assert.equal(attemptResult(recipient, { kind: 'bounced', rcptTo: recipient.rcptTo, relay, failure }, old).status, 'bounced');
});

test('retryLater keeps a final result queued for another try', () => {
  const r = attemptResult(recipient, { kind: 'bounced', rcptTo: recipient.rcptTo, relay, failure: { ...tempFailure, status: '5.1.1' } }, clock);
  const u = retryLater(r, clock);
  assert.equal(u.status, 'queued');
  assert.equal(u.nextAttemptAtMs, 54_000);
  assert.equal(u.lastStatus, '5.1.1');
});

test('expiredFailure without a remote reply keeps the local detail', () => {
  const f = expiredFailure({ status: '4.4.1', stage: 'connect', remoteMta: undefined, remoteReply: undefined, detail: 'connection timed out' });
  assert.equal(f.status, '5.4.7');
  assert.equal(f.remoteReply, undefined);
  assert.match(f.detail, /connection timed out/);
});
