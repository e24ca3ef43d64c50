// Table-driven: every row is one situation and the verdict Hikyaku must reach.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RemoteReply } from '../core/outcome.js';
import {
  classifyBadAddress,
  classifyLookup,
  classifyRecipient,
  classifySessionFailure,
  classifySmarthostLookup,
  classifyUnexpected,
  statusFor,
  toOutcome,
  type AttemptContext,
  type RecipientResult,
  type SessionFailure,
  type Verdict,
} from './classify.js';

const MTA = 'mx1.example.net[127.0.0.2]';
const notLast: AttemptContext = { remoteMta: MTA, lastHost: false };
const last: AttemptContext = { remoteMta: MTA, lastHost: true };

const reply = (code: number, enhanced: string | undefined, text = 'text'): RemoteReply => ({ code, enhanced, text });

interface Expect {
  kind: Verdict['kind'];
  status?: string;
  stage?: string;
}

function check(verdict: Verdict, expected: Expect): void {
  assert.equal(verdict.kind, expected.kind);
  if (verdict.kind === 'delivered') return;
  if (expected.status !== undefined) assert.equal(verdict.failure.status, expected.status);
  if (expected.stage !== undefined) assert.equal(verdict.failure.stage, expected.stage);
  // A DSN's status class must match what happened to the recipient.
  if (verdict.kind === 'bounced') assert.match(verdict.failure.status, /^5\./);
  if (verdict.kind === 'deferred') assert.match(verdict.failure.status, /^4\./);
}

const sessionRows: { name: string; f: SessionFailure; ctx: AttemptContext; expect: Expect }[] = [
  { name: 'connection refused, more hosts', f: { type: 'connect', errno: 'ECONNREFUSED', message: 'refused' }, ctx: notLast, expect: { kind: 'next-host', status: '4.4.1', stage: 'connect' } },
  { name: 'connection refused, last host', f: { type: 'connect', errno: 'ECONNREFUSED', message: 'refused' }, ctx: last, expect: { kind: 'deferred', status: '4.4.1', stage: 'connect' } },
  { name: 'connect timeout, last host', f: { type: 'connect', errno: 'ETIMEDOUT', message: 'timeout' }, ctx: last, expect: { kind: 'deferred', status: '4.4.1', stage: 'connect' } },
  { name: '421 greeting, more hosts', f: { type: 'reply', stage: 'greeting', reply: reply(421, '4.3.2') }, ctx: notLast, expect: { kind: 'next-host', status: '4.3.2', stage: 'greeting' } },
  { name: '421 greeting, last host', f: { type: 'reply', stage: 'greeting', reply: reply(421, undefined) }, ctx: last, expect: { kind: 'deferred', status: '4.0.0', stage: 'greeting' } },
  { name: '554 greeting, more hosts', f: { type: 'reply', stage: 'greeting', reply: reply(554, '5.7.1') }, ctx: notLast, expect: { kind: 'next-host', status: '5.7.1', stage: 'greeting' } },
  { name: '554 greeting, last host bounces', f: { type: 'reply', stage: 'greeting', reply: reply(554, undefined) }, ctx: last, expect: { kind: 'bounced', status: '5.0.0', stage: 'greeting' } },
  { name: '550 to EHLO/HELO, last host bounces', f: { type: 'reply', stage: 'ehlo', reply: reply(550, '5.7.1') }, ctx: last, expect: { kind: 'bounced', status: '5.7.1', stage: 'ehlo' } },
  { name: '421 to EHLO, last host', f: { type: 'reply', stage: 'ehlo', reply: reply(421, '4.4.2') }, ctx: last, expect: { kind: 'deferred', status: '4.4.2', stage: 'ehlo' } },
  { name: 'STARTTLS refused (TLS required), last host', f: { type: 'reply', stage: 'tls', reply: reply(502, undefined) }, ctx: last, expect: { kind: 'deferred', status: '4.7.5', stage: 'tls' } },
  { name: 'STARTTLS 454 4.7.0, more hosts', f: { type: 'reply', stage: 'tls', reply: reply(454, '4.7.0') }, ctx: notLast, expect: { kind: 'next-host', status: '4.7.0', stage: 'tls' } },
  { name: 'AUTH 535 5.7.8 is deferred, never bounced', f: { type: 'reply', stage: 'auth', reply: reply(535, '5.7.8') }, ctx: last, expect: { kind: 'deferred', status: '4.7.8', stage: 'auth' } },
  { name: 'AUTH 535 without enhanced code', f: { type: 'reply', stage: 'auth', reply: reply(535, undefined) }, ctx: last, expect: { kind: 'deferred', status: '4.7.0', stage: 'auth' } },
  { name: 'TLS handshake failure, more hosts', f: { type: 'tls-failed', message: 'bad cert' }, ctx: notLast, expect: { kind: 'next-host', status: '4.7.5', stage: 'tls' } },
  { name: 'TLS handshake failure, last host', f: { type: 'tls-failed', message: 'bad cert' }, ctx: last, expect: { kind: 'deferred', status: '4.7.5', stage: 'tls' } },
  { name: 'TLS required, not offered', f: { type: 'tls-unavailable' }, ctx: last, expect: { kind: 'deferred', status: '4.7.5', stage: 'tls' } },
  { name: 'connection lost during DATA', f: { type: 'lost', stage: 'data', timedOut: false, message: 'closed' }, ctx: last, expect: { kind: 'deferred', status: '4.4.2', stage: 'data' } },
  { name: 'timeout waiting for greeting, more hosts', f: { type: 'lost', stage: 'greeting', timedOut: true, message: 'timeout' }, ctx: notLast, expect: { kind: 'next-host', status: '4.4.2', stage: 'greeting' } },
  { name: 'unintelligible server', f: { type: 'protocol', stage: 'ehlo', message: 'junk' }, ctx: last, expect: { kind: 'deferred', status: '4.5.0', stage: 'ehlo' } },
  { name: 'local problem is never retried elsewhere', f: { type: 'local', status: '4.3.5', message: 'caFile unreadable' }, ctx: notLast, expect: { kind: 'deferred', status: '4.3.5', stage: 'local' } },
];

for (const row of sessionRows) {
  test(`session: ${row.name}`, () => check(classifySessionFailure(row.f, row.ctx), row.expect));
}

const recipientRows: { name: string; r: RecipientResult; ctx: AttemptContext; expect: Expect }[] = [
  { name: '250 after DATA', r: { type: 'accepted', reply: reply(250, '2.0.0') }, ctx: notLast, expect: { kind: 'delivered' } },
  { name: '550 5.1.1 at RCPT', r: { type: 'rejected', stage: 'rcpt', reply: reply(550, '5.1.1') }, ctx: notLast, expect: { kind: 'bounced', status: '5.1.1', stage: 'rcpt' } },
  { name: '550 at RCPT without enhanced code', r: { type: 'rejected', stage: 'rcpt', reply: reply(550, undefined) }, ctx: last, expect: { kind: 'bounced', status: '5.0.0', stage: 'rcpt' } },
  { name: '451 at RCPT, more hosts', r: { type: 'rejected', stage: 'rcpt', reply: reply(451, '4.7.1') }, ctx: notLast, expect: { kind: 'next-host', status: '4.7.1', stage: 'rcpt' } },
  { name: '451 at RCPT, last host', r: { type: 'rejected', stage: 'rcpt', reply: reply(451, '4.7.1') }, ctx: last, expect: { kind: 'deferred', status: '4.7.1', stage: 'rcpt' } },
  { name: '553 at MAIL', r: { type: 'rejected', stage: 'mail', reply: reply(553, '5.7.1') }, ctx: notLast, expect: { kind: 'bounced', status: '5.7.1', stage: 'mail' } },
  { name: '452 at MAIL, last host', r: { type: 'rejected', stage: 'mail', reply: reply(452, undefined) }, ctx: last, expect: { kind: 'deferred', status: '4.0.0', stage: 'mail' } },
  { name: '554 at end of DATA', r: { type: 'rejected', stage: 'data', reply: reply(554, '5.6.0') }, ctx: notLast, expect: { kind: 'bounced', status: '5.6.0', stage: 'data' } },
  { name: '451 at end of DATA, last host', r: { type: 'rejected', stage: 'data', reply: reply(451, '4.3.0') }, ctx: last, expect: { kind: 'deferred', status: '4.3.0', stage: 'data' } },
  { name: 'unexpected 354 where a final reply belongs', r: { type: 'rejected', stage: 'rcpt', reply: reply(354, undefined) }, ctx: last, expect: { kind: 'deferred', status: '4.5.0', stage: 'rcpt' } },
  { name: 'message larger than SIZE', r: { type: 'too-big', size: 2000, limit: 1000 }, ctx: notLast, expect: { kind: 'bounced', status: '5.3.4', stage: 'mail' } },
  { name: 'connection lost before the reply to the final dot', r: { type: 'interrupted', failure: { type: 'lost', stage: 'data', timedOut: true, message: 'timeout' } }, ctx: last, expect: { kind: 'deferred', status: '4.4.2', stage: 'data' } },
  { name: 'message sent, no reply to the final dot, more hosts: no second MX (duplicate risk)', r: { type: 'interrupted', failure: { type: 'lost', stage: 'data', timedOut: true, message: 'timeout', messageSent: true } }, ctx: notLast, expect: { kind: 'deferred', status: '4.4.2', stage: 'data' } },
  { name: 'lost during DATA before the message was sent, more hosts: next MX', r: { type: 'interrupted', failure: { type: 'lost', stage: 'data', timedOut: false, message: 'closed' } }, ctx: notLast, expect: { kind: 'next-host', status: '4.4.2', stage: 'data' } },
];

for (const row of recipientRows) {
  test(`recipient: ${row.name}`, () => check(classifyRecipient(row.r, row.ctx), row.expect));
}

const lookupRows: { name: string; lookup: Parameters<typeof classifyLookup>[0]; expect: Expect }[] = [
  { name: 'null MX', lookup: { kind: 'null-mx' }, expect: { kind: 'bounced', status: '5.1.10', stage: 'dns' } },
  { name: 'NXDOMAIN', lookup: { kind: 'nxdomain', detail: 'ENOTFOUND' }, expect: { kind: 'bounced', status: '5.1.2', stage: 'dns' } },
  { name: 'no route (no MX, no A)', lookup: { kind: 'no-route', detail: 'no address' }, expect: { kind: 'bounced', status: '5.1.2', stage: 'dns' } },
  { name: 'DNS timeout / SERVFAIL', lookup: { kind: 'temporary', detail: 'ETIMEOUT' }, expect: { kind: 'deferred', status: '4.4.3', stage: 'dns' } },
];

for (const row of lookupRows) {
  test(`dns: ${row.name}`, () => check(classifyLookup(row.lookup, 'example.org'), row.expect));
}

test('smarthost name that does not resolve is deferred, not bounced', () => {
  check(classifySmarthostLookup('relay.example', 'ENOTFOUND'), { kind: 'deferred', status: '4.4.3', stage: 'dns' });
});

test('bad address bounces 5.1.3', () => {
  check(classifyBadAddress('no-domain'), { kind: 'bounced', status: '5.1.3', stage: 'local' });
});

test('unexpected exception is deferred 4.3.0 with the cause in detail', () => {
  const v = classifyUnexpected(new Error('boom'));
  check(v, { kind: 'deferred', status: '4.3.0', stage: 'local' });
  assert.ok(v.kind === 'deferred' && v.failure.detail.includes('boom'));
});

test('failure details name the host and the command, Postfix style', () => {
  const v = classifyRecipient({ type: 'rejected', stage: 'rcpt', reply: reply(550, '5.1.1', 'no such user') }, last);
  assert.ok(v.kind === 'bounced');
  assert.equal(v.failure.detail, `host ${MTA} said: 550 5.1.1 no such user (in reply to RCPT TO)`);
  assert.equal(v.failure.remoteMta, MTA);
  assert.deepEqual(v.failure.remoteReply, reply(550, '5.1.1', 'no such user'));
});

test('statusFor keeps, moves or derives the class', () => {
  assert.equal(statusFor(reply(550, '5.2.2'), 5, '5.0.0'), '5.2.2');
  assert.equal(statusFor(reply(535, '5.7.8'), 4, '4.7.0'), '4.7.8');
  assert.equal(statusFor(reply(451, undefined), 4, '4.0.0'), '4.0.0');
  assert.equal(statusFor(undefined, 5, '5.3.4'), '5.3.4');
});

test('toOutcome: a leftover next-host counts as deferred', () => {
  const v = classifySessionFailure({ type: 'connect', errno: 'ECONNREFUSED', message: 'refused' }, notLast);
  const o = toOutcome('a@example.org', v, undefined);
  assert.equal(o.kind, 'deferred');
  assert.equal(o.rcptTo, 'a@example.org');
  // ... with a class-4 status even when the host's failure was a 5xx greeting.
  const g = classifySessionFailure({ type: 'reply', stage: 'greeting', reply: reply(554, '5.7.1') }, notLast);
  const og = toOutcome('a@example.org', g, undefined);
  assert.ok(og.kind === 'deferred');
  assert.equal(og.failure.status, '4.7.1');
});
