import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assessStatus } from './assess.js';
import type { StatusReport } from './status-report.js';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const H = 3_600_000;
const D = 24 * H;
const thresholds = { queueAgeWarningMs: H, queueAgeCriticalMs: D };

function report(over: Partial<StatusReport> = {}): StatusReport {
  return {
    version: 1,
    pid: 1,
    hostname: 'mail.example.test',
    dataDir: '/var/lib/hikyaku',
    dataFormat: 2,
    startedAtMs: NOW - D,
    nowMs: NOW,
    listeners: [],
    queue: { messages: 0, oldestCreatedAtMs: null },
    deliveries: { sinceMs: NOW - H, delivered: 10, deferred: 1, bounced: 0 },
    failingDestinations: [],
    certificate: { subject: 'CN=mail.example.test', notAfterMs: NOW + 60 * D, generated: false },
    dkimKeys: [],
    doctor: { checkedAtMs: NOW - H, errors: 0, warnings: 2, problems: [] },
    doctorIntervalMs: 6 * H,
    lastErrors: [],
    errorsSinceStart: 0,
    ...over,
  };
}

const ids = (r: StatusReport): string[] => assessStatus(r, thresholds).reasons.map((x) => x.id);
const code = (r: StatusReport): number => assessStatus(r, thresholds).exitCode;

test('healthy: 0, no reasons (doctor warnings alone are not attention)', () => {
  assert.deepEqual(assessStatus(report(), thresholds), { level: 'ok', exitCode: 0, reasons: [] });
});

test('certificate: expired is critical, under 14 days a warning, a generated one renews itself', () => {
  assert.deepEqual(ids(report({ certificate: { subject: '', notAfterMs: NOW - 1, generated: false } })), ['certificate.expired']);
  assert.equal(code(report({ certificate: { subject: '', notAfterMs: NOW - 1, generated: false } })), 2);
  assert.deepEqual(ids(report({ certificate: { subject: '', notAfterMs: NOW + 13 * D, generated: false } })), ['certificate.expiring']);
  assert.equal(code(report({ certificate: { subject: '', notAfterMs: NOW + 15 * D, generated: false } })), 0);
  assert.equal(code(report({ certificate: { subject: '', notAfterMs: NOW - 1, generated: true } })), 0);
});

test('queue: older than the warning age 1, than the critical age 2', () => {
  assert.equal(code(report({ queue: { messages: 3, oldestCreatedAtMs: NOW - H + 1000 } })), 0);
  assert.deepEqual(ids(report({ queue: { messages: 3, oldestCreatedAtMs: NOW - 2 * H } })), ['queue.old']);
  assert.deepEqual(ids(report({ queue: { messages: 3, oldestCreatedAtMs: NOW - 2 * D } })), ['queue.stuck']);
  assert.equal(code(report({ queue: { messages: 3, oldestCreatedAtMs: NOW - 2 * D } })), 2);
});

test('deliveries: failures outnumbering deliveries (at least 5) is a warning', () => {
  assert.deepEqual(ids(report({ deliveries: { sinceMs: 0, delivered: 2, deferred: 3, bounced: 2 } })), ['deliveries.failing']);
  assert.equal(code(report({ deliveries: { sinceMs: 0, delivered: 0, deferred: 4, bounced: 0 } })), 0);
  assert.equal(code(report({ deliveries: { sinceMs: 0, delivered: 9, deferred: 8, bounced: 0 } })), 0);
});

test('DKIM: a key pending over 7 days, a retiring key past its date', () => {
  const key = { domain: 'example.test', selector: 's2', createdAtMs: NOW - 8 * D, retireUntilMs: null };
  assert.deepEqual(ids(report({ dkimKeys: [{ ...key, state: 'pending' }] })), ['dkim.pending']);
  assert.equal(code(report({ dkimKeys: [{ ...key, state: 'pending', createdAtMs: NOW - D }] })), 0);
  assert.deepEqual(ids(report({ dkimKeys: [{ ...key, state: 'retiring', retireUntilMs: NOW - 1 }] })), ['dkim.retired']);
  assert.equal(code(report({ dkimKeys: [{ ...key, state: 'retiring', retireUntilMs: NOW + D }] })), 0);
});

test('doctor: errors at the last run, or a last run far older than its interval', () => {
  assert.deepEqual(ids(report({ doctor: { checkedAtMs: NOW - H, errors: 1, warnings: 0, problems: [] } })), ['doctor.errors']);
  assert.deepEqual(ids(report({ doctor: { checkedAtMs: NOW - 13 * H, errors: 0, warnings: 0, problems: [] } })), ['doctor.stale']);
  assert.equal(code(report({ doctor: null })), 0);
});

test('errors logged in the last hour are a warning; older ones are only listed', () => {
  const e = { level: 50, msg: 'could not save the policy counters (quotas, brake); retrying' };
  assert.deepEqual(ids(report({ lastErrors: [{ ...e, atMs: NOW - 10 * 60_000 }], errorsSinceStart: 3 })), ['log.errors']);
  assert.match(assessStatus(report({ lastErrors: [{ ...e, atMs: NOW - 60_000 }], errorsSinceStart: 1 }), thresholds).reasons[0]?.en ?? '', /the last: "could not save the policy counters/);
  assert.equal(code(report({ lastErrors: [{ ...e, atMs: NOW - 2 * H }], errorsSinceStart: 1 })), 0);
});

test('critical reasons come first; the level is the worst', () => {
  const a = assessStatus(report({ queue: { messages: 1, oldestCreatedAtMs: NOW - 2 * H }, certificate: { subject: '', notAfterMs: NOW - 1, generated: false } }), thresholds);
  assert.equal(a.level, 'critical');
  assert.deepEqual(a.reasons.map((r) => r.id), ['certificate.expired', 'queue.old']);
  for (const r of a.reasons) assert.ok(r.en.length > 0 && r.ja.length > 0);
});
