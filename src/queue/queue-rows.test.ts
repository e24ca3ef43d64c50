import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessageRows, type MessageRow, type RecipientRow } from './queue-rows.js';

const row: MessageRow = { id: 'Q1', mail_from: 'a@example.com', size: 10, created_at: 1000, held: 0, hold_reason: null, delay_notified: 1, env_id: null };
const rcpt: RecipientRow = { rcpt_to: 'b@example.net', status: 'queued', attempts: 1, next_attempt_at: 2000, last_error: null, last_status: null };

test('a valid row becomes a StoredMessage', () => {
  const parsed = parseMessageRows(row, [rcpt, { ...rcpt, rcpt_to: 'c@example.net', status: 'bounced', last_error: 'x', last_status: '5.1.1' }]);
  assert.deepEqual(parsed, {
    ok: true,
    message: {
      id: 'Q1',
      mailFrom: 'a@example.com',
      size: 10,
      createdAtMs: 1000,
      held: false,
      holdReason: undefined,
      delayNotified: true,
      envId: undefined,
      eightBit: true,
      recipients: [
        { rcptTo: 'b@example.net', status: 'queued', attempts: 1, nextAttemptAtMs: 2000, lastError: undefined, lastStatus: undefined },
        { rcptTo: 'c@example.net', status: 'bounced', attempts: 1, nextAttemptAtMs: 2000, lastError: 'x', lastStatus: '5.1.1' },
      ],
    },
  });
});

test('RFC 3461 RET, SMTPUTF8, NOTIFY and ORCPT columns are read; bad ones quarantine the row', () => {
  const parsed = parseMessageRows({ ...row, dsn_ret: 'HDRS', smtputf8: 1 }, [{ ...rcpt, notify: 'SUCCESS,FAILURE', orcpt: 'rfc822;x@example.org' }]);
  assert.ok(parsed.ok);
  assert.equal(parsed.message.ret, 'HDRS');
  assert.equal(parsed.message.smtputf8, true);
  assert.equal(parsed.message.recipients[0]?.notify, 'SUCCESS,FAILURE');
  assert.equal(parsed.message.recipients[0]?.orcpt, 'rfc822;x@example.org');
  assert.deepEqual(parseMessageRows({ ...row, dsn_ret: 'ALL' }, [rcpt]), { ok: false, reason: 'bad dsn_ret' });
  assert.deepEqual(parseMessageRows({ ...row, smtputf8: 2 }, [rcpt]), { ok: false, reason: 'bad smtputf8' });
  const requireTls = parseMessageRows({ ...row, requiretls: 1 }, [rcpt]);
  assert.ok(requireTls.ok && requireTls.message.requireTls === true);
  assert.ok(parsed.message.requireTls === undefined);
  assert.deepEqual(parseMessageRows({ ...row, requiretls: 'yes' }, [rcpt]), { ok: false, reason: 'bad requiretls' });
  assert.equal(parseMessageRows(row, [{ ...rcpt, notify: 1 }]).ok, false);
});

test('the null reverse-path is a valid sender', () => {
  assert.equal(parseMessageRows({ ...row, mail_from: '' }, [rcpt]).ok, true);
});

const badMessages: [string, Partial<MessageRow>][] = [
  ['id null', { id: null }],
  ['id empty', { id: '' }],
  ['mail_from number', { mail_from: 5 }],
  ['size negative', { size: -1 }],
  ['size fractional', { size: 1.5 }],
  ['created_at text', { created_at: '1000' }],
  ['held 2', { held: 2 }],
  ['delay_notified null', { delay_notified: null }],
  ['env_id blob', { env_id: Buffer.from('x') }],
];
for (const [name, change] of badMessages) {
  test(`message row rejected: ${name}`, () => {
    assert.equal(parseMessageRows({ ...row, ...change }, [rcpt]).ok, false);
  });
}

const badRecipients: [string, Partial<RecipientRow>][] = [
  ['rcpt_to empty', { rcpt_to: '' }],
  ['unknown status', { status: 'sent' }],
  ['attempts negative', { attempts: -1 }],
  ['next_attempt_at null', { next_attempt_at: null }],
  ['next_attempt_at float', { next_attempt_at: 1.25 }],
  ['last_error number', { last_error: 3 }],
  ['last_status blob', { last_status: Buffer.alloc(1) }],
];
for (const [name, change] of badRecipients) {
  test(`recipient row rejected: ${name}`, () => {
    const parsed = parseMessageRows(row, [rcpt, { ...rcpt, ...change }]);
    assert.equal(parsed.ok, false);
  });
}

test('a message without recipients is rejected', () => {
  assert.deepEqual(parseMessageRows(row, []), { ok: false, reason: 'no recipients' });
});
