import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simpleParser, type ParsedMail } from 'mailparser';
import { buildDsn, FULL_RETURN_LIMIT, type DsnInput, type DsnRecipient } from './dsn.js';
import { SUBJECTS } from './dsn-text.js';

// Fixed zone so the dates in the report are predictable.
process.env.TZ = 'Asia/Tokyo';

const ARRIVAL = Date.UTC(2024, 0, 2, 0, 0, 0); // Tue, 2 Jan 2024 09:00:00 +0900
const NOW = Date.UTC(2024, 0, 2, 6, 0, 0);

const BODY_MARKER = 'SECRET-BODY-TEXT-7f3a';
const original = Buffer.from(
  'From: Alice <alice@example.com>\r\nTo: bob@example.org, carol@example.net\r\nSubject: Quarterly report\r\n' +
    'Message-ID: <orig-1@example.com>\r\n\r\n' +
    `${BODY_MARKER}\r\n`,
);

const userUnknown: DsnRecipient = {
  rcptTo: 'bob@example.org',
  action: 'failed',
  status: '5.1.1',
  remoteMta: 'mx1.example.org [192.0.2.25]',
  remoteReply: { code: 550, enhanced: '5.1.1', text: 'User unknown' },
  detail: 'rejected at RCPT',
  lastAttemptAtMs: Date.UTC(2024, 0, 2, 5, 30, 0),
};
const noSuchDomain: DsnRecipient = {
  rcptTo: 'carol@nx.example.net',
  action: 'failed',
  status: '5.1.2',
  remoteMta: undefined,
  remoteReply: undefined,
  detail: 'domain nx.example.net does not exist (NXDOMAIN)',
  lastAttemptAtMs: undefined,
};

function input(overrides: Partial<DsnInput> = {}): DsnInput {
  return {
    kind: 'failure',
    reportingMta: 'mail.example.com',
    queueId: '01HQ0000000000ABC',
    envId: 'QQ314159',
    arrivalDateMs: ARRIVAL,
    originalMailFrom: 'alice@example.com',
    originalMessage: original,
    recipients: [userUnknown, noSuchDomain],
    nowMs: NOW,
    ...overrides,
  };
}

async function parse(message: Buffer): Promise<ParsedMail> {
  // keepDeliveryStatus: give message/delivery-status as a part of its own instead of folding it into the text.
  return simpleParser(message, { keepDeliveryStatus: true });
}

function part(mail: ParsedMail, type: string): string {
  const found = mail.attachments.find((a) => a.contentType === type);
  assert.ok(found, `part ${type} present`);
  return found.content.toString('utf8');
}

/** The delivery-status body as field groups: unfolded, names lower-cased. */
function statusGroups(text: string): Map<string, string>[] {
  return text
    .replace(/\r\n(?=[ \t])/g, '')
    .split('\r\n\r\n')
    .filter((g) => g.trim() !== '')
    .map((group) => {
      const fields = new Map<string, string>();
      for (const line of group.split('\r\n').filter((l) => l !== '')) {
        const colon = line.indexOf(':');
        fields.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
      }
      return fields;
    });
}

function assertWireFormat(message: Buffer): void {
  const text = message.toString('latin1');
  assert.doesNotMatch(text.replace(/\r\n/g, ''), /[\r\n]/, 'CRLF line endings only');
  for (const line of text.split('\r\n')) assert.ok(Buffer.byteLength(line, 'latin1') <= 998, `line too long: ${line.slice(0, 60)}…`);
}

test('envelope: null reverse-path, sent to the original sender', () => {
  const { envelope } = buildDsn(input());
  assert.deepEqual(envelope, { mailFrom: '', rcptTo: ['alice@example.com'] });
});

test('never bounces a bounce', () => {
  assert.throws(() => buildDsn(input({ originalMailFrom: '' })), /null reverse-path/);
  assert.throws(() => buildDsn(input({ recipients: [] })), /at least one recipient/);
});

test('failure DSN: multipart/report with three parts and the right top-level fields', async () => {
  const { message } = buildDsn(input());
  assertWireFormat(message);
  const mail = await parse(message);
  const ct = mail.headers.get('content-type') as { value: string; params: Record<string, string> };
  assert.equal(ct.value, 'multipart/report');
  assert.equal(ct.params['report-type'], 'delivery-status');
  const boundary = ct.params['boundary'] ?? '';
  // Three body parts between the boundaries, and the closing delimiter.
  const raw = message.toString('utf8');
  assert.equal(raw.split(`\r\n--${boundary}\r\n`).length - 1, 3);
  assert.ok(raw.endsWith(`\r\n--${boundary}--\r\n`));
  assert.deepEqual(mail.attachments.map((a) => a.contentType), ['message/delivery-status', 'text/rfc822-headers']);

  assert.equal(mail.subject, SUBJECTS.failure);
  assert.match(raw, /^Subject: Undelivered Mail Returned to Sender \/\r\n =\?UTF-8\?B\?/m, 'non-ASCII subject is MIME-encoded');
  assert.deepEqual(mail.from?.value, [{ address: 'MAILER-DAEMON@mail.example.com', name: 'Mail Delivery System' }]);
  assert.equal(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : undefined, 'alice@example.com');
  assert.equal(mail.headers.get('auto-submitted'), 'auto-replied');
  assert.equal(mail.headers.get('mime-version'), '1.0');
  assert.equal(mail.date?.getTime(), NOW);
  assert.match(mail.messageId ?? '', /^<01HQ0000000000ABC\.dsn\.[0-9a-f]+@mail\.example\.com>$/);
});

test('failure DSN: delivery-status fields per recipient, with and without a remote reply', async () => {
  const mail = await parse(buildDsn(input()).message);
  const [perMessage, bob, carol, ...rest] = statusGroups(part(mail, 'message/delivery-status'));
  assert.equal(rest.length, 0);
  assert.equal(perMessage?.get('reporting-mta'), 'dns; mail.example.com');
  assert.equal(perMessage?.get('original-envelope-id'), 'QQ314159');
  assert.equal(perMessage?.get('x-hikyaku-queue-id'), '01HQ0000000000ABC');
  assert.equal(perMessage?.get('arrival-date'), 'Tue, 2 Jan 2024 09:00:00 +0900');

  assert.equal(bob?.get('final-recipient'), 'rfc822; bob@example.org');
  assert.equal(bob?.get('action'), 'failed');
  assert.equal(bob?.get('status'), '5.1.1');
  assert.equal(bob?.get('remote-mta'), 'dns; mx1.example.org');
  assert.equal(bob?.get('diagnostic-code'), 'smtp; 550 5.1.1 User unknown');
  assert.equal(bob?.get('last-attempt-date'), 'Tue, 2 Jan 2024 14:30:00 +0900');
  assert.equal(bob?.has('will-retry-until'), false);

  assert.equal(carol?.get('final-recipient'), 'rfc822; carol@nx.example.net');
  assert.equal(carol?.get('status'), '5.1.2');
  assert.equal(carol?.has('remote-mta'), false);
  assert.equal(carol?.get('diagnostic-code'), 'X-Hikyaku; domain nx.example.net does not exist (NXDOMAIN)');
  assert.equal(carol?.has('last-attempt-date'), false);
});

test('golden: the delivery-status part, byte for byte', async () => {
  const orcpt: DsnRecipient = { ...userUnknown, originalRecipient: 'rfc822;Bob@Example.org' };
  const mail = await parse(buildDsn(input({ recipients: [orcpt, noSuchDomain] })).message);
  const expected = [
    'Original-Envelope-Id: QQ314159',
    'Reporting-MTA: dns; mail.example.com',
    'Arrival-Date: Tue, 2 Jan 2024 09:00:00 +0900',
    'X-Hikyaku-Queue-ID: 01HQ0000000000ABC',
    '',
    'Original-Recipient: rfc822; Bob@Example.org',
    'Final-Recipient: rfc822; bob@example.org',
    'Action: failed',
    'Status: 5.1.1',
    'Remote-MTA: dns; mx1.example.org',
    'Diagnostic-Code: smtp; 550 5.1.1 User unknown',
    'Last-Attempt-Date: Tue, 2 Jan 2024 14:30:00 +0900',
    '',
    'Final-Recipient: rfc822; carol@nx.example.net',
    'Action: failed',
    'Status: 5.1.2',
    'Diagnostic-Code: X-Hikyaku; domain nx.example.net does not exist (NXDOMAIN)',
    '',
  ].join('\r\n');
  assert.equal(part(mail, 'message/delivery-status'), expected);
});

test('human part: Japanese first, then English, each recipient with its reason', async () => {
  const mail = await parse(buildDsn(input()).message);
  const text = mail.text ?? '';
  const ja = text.indexOf('次の宛先に配信できませんでした');
  const en = text.indexOf('could not be delivered to the recipients below');
  assert.ok(ja >= 0 && en > ja, 'Japanese explanation before the English one');
  assert.ok(text.includes('理由: 宛先のメールアドレスが存在しません (5.1.1)'));
  assert.ok(text.includes('宛先サーバーの応答: 550 5.1.1 User unknown'));
  assert.ok(text.includes('理由: 宛先のドメインが見つかりません (5.1.2)'));
  assert.ok(text.includes('Reason: The recipient address does not exist (5.1.1)'));
  assert.ok(text.includes('The remote server said: 550 5.1.1 User unknown'));
  assert.ok(text.includes('Detail: domain nx.example.net does not exist (NXDOMAIN)'));
  assert.ok(text.includes('Server: mx1.example.org [192.0.2.25]'));
  const htmlOrText = mail.attachments.find((a) => a.contentType === 'text/plain');
  assert.equal(htmlOrText, undefined, 'the explanation is the message text, not an attachment');
});

test('original headers are returned, the original body is not', async () => {
  const { message } = buildDsn(input());
  assert.ok(!message.toString('utf8').includes(BODY_MARKER));
  const mail = await parse(message);
  const headers = part(mail, 'text/rfc822-headers');
  assert.ok(headers.includes('Message-ID: <orig-1@example.com>\r\n'));
  assert.ok(headers.includes('Subject: Quarterly report\r\n'));
  assert.ok(!headers.includes(BODY_MARKER));
  assert.ok(!(mail.text ?? '').includes(BODY_MARKER));
});

test('8-bit original headers are sent quoted-printable and decode back', async () => {
  const utf8Original = Buffer.from('From: 山田 <yamada@example.jp>\nSubject: 会議の件\n\nbody\n', 'utf8');
  const { message } = buildDsn(input({ originalMessage: utf8Original }));
  assert.match(message.toString('latin1'), /^[\x00-\x7f]*$/, 'the whole DSN stays 7-bit');
  assertWireFormat(message);
  const headers = part(await parse(message), 'text/rfc822-headers');
  assert.equal(headers, 'From: 山田 <yamada@example.jp>\r\nSubject: 会議の件\r\n');
});

test('delay notice: subject, Action delayed, Will-Retry-Until', async () => {
  const until = Date.UTC(2024, 0, 7, 0, 0, 0);
  const delayed: DsnRecipient = {
    rcptTo: 'dave@slow.example',
    action: 'delayed',
    status: '4.4.1',
    remoteMta: 'mx.slow.example',
    remoteReply: undefined,
    detail: 'connection timed out',
    lastAttemptAtMs: Date.UTC(2024, 0, 2, 4, 0, 0),
    willRetryUntilMs: until,
  };
  const { message, envelope } = buildDsn(input({ kind: 'delay', recipients: [delayed], envId: undefined }));
  assert.deepEqual(envelope, { mailFrom: '', rcptTo: ['alice@example.com'] });
  assertWireFormat(message);
  const mail = await parse(message);
  assert.equal(mail.subject, SUBJECTS.delay);
  assert.equal(mail.subject, 'Delayed Mail (still being retried) / 配信遅延のお知らせ');
  const [perMessage, dave] = statusGroups(part(mail, 'message/delivery-status'));
  assert.equal(perMessage?.has('original-envelope-id'), false);
  assert.equal(dave?.get('action'), 'delayed');
  assert.equal(dave?.get('status'), '4.4.1');
  assert.equal(dave?.get('remote-mta'), 'dns; mx.slow.example');
  assert.equal(dave?.get('diagnostic-code'), 'X-Hikyaku; connection timed out');
  assert.equal(dave?.get('will-retry-until'), 'Sun, 7 Jan 2024 09:00:00 +0900');
  const text = mail.text ?? '';
  assert.ok(text.includes('まだ配信できていません'));
  assert.ok(text.includes('再試行の期限: Sun, 7 Jan 2024 09:00:00 +0900'));
  assert.ok(text.includes('Will retry until: Sun, 7 Jan 2024 09:00:00 +0900'));
  assert.ok(text.indexOf('まだ配信できていません') < text.indexOf('has not yet been delivered'));
  assert.ok(part(mail, 'text/rfc822-headers').includes('Subject: Quarterly report'));
});

test('long and multi-line remote replies are folded to legal lines and unfold intact', async () => {
  const words = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
  const chatty: DsnRecipient = {
    ...userUnknown,
    remoteReply: { code: 550, enhanced: '5.7.1', text: `5.7.1 Message rejected\n5.7.1 ${words}\n${'x'.repeat(1500)}` },
    status: '5.7.1',
  };
  const { message } = buildDsn(input({ recipients: [chatty] }));
  assertWireFormat(message);
  const mail = await parse(message);
  const report = part(mail, 'message/delivery-status');
  for (const line of report.split('\r\n')) assert.ok(line.length <= 998);
  const [, r] = statusGroups(report);
  const diag = r?.get('diagnostic-code') ?? '';
  assert.ok(diag.startsWith(`smtp; 550 5.7.1 Message rejected ${words} `), diag.slice(0, 80));
  assert.equal(diag.replace(/[^x]/g, '').length, 1500, 'the long token is kept, only split');
});

test('internationalised recipient uses the utf-8 address type in 7-bit form (RFC 6533)', async () => {
  const idn: DsnRecipient = { ...noSuchDomain, rcptTo: 'たなか+1@例え.jp' };
  const { message } = buildDsn(input({ recipients: [idn] }));
  const mail = await parse(message);
  const [, r] = statusGroups(part(mail, 'message/delivery-status'));
  assert.equal(r?.get('final-recipient'), 'utf-8; \\x{305F}\\x{306A}\\x{304B}\\x{2B}1@\\x{4F8B}\\x{3048}.jp');
  assert.ok((mail.text ?? '').includes('<たなか+1@例え.jp>'), 'readable in the human part');
});

test('hostile reply text cannot add fields; invalid status falls back to a generic one', async () => {
  const evil: DsnRecipient = {
    ...userUnknown,
    status: 'bogus',
    remoteReply: { code: 550, enhanced: undefined, text: 'no\r\nStatus: 2.0.0\r\n\r\nAction: delivered' },
  };
  const mail = await parse(buildDsn(input({ recipients: [evil] })).message);
  const groups = statusGroups(part(mail, 'message/delivery-status'));
  assert.equal(groups.length, 2);
  assert.equal(groups[1]?.get('status'), '5.0.0');
  assert.equal(groups[1]?.get('action'), 'failed');
  assert.equal(groups[1]?.get('diagnostic-code'), 'smtp; 550 no Status: 2.0.0 Action: delivered');
});

test('custom postmaster address is used as From', async () => {
  const mail = await parse(buildDsn(input({ postmaster: 'postmaster@example.com' })).message);
  assert.equal(mail.from?.value[0]?.address, 'postmaster@example.com');
});

test('legacy carrier address refused with 5xx: valid syntax in the report, carrier advice in both languages', async () => {
  const carrier: DsnRecipient = {
    ...userUnknown,
    rcptTo: 'taro..yamada@docomo.ne.jp',
    originalRecipient: 'rfc822;taro..yamada@DoCoMo.ne.jp',
    remoteMta: 'mfsmax.docomo.ne.jp [192.0.2.80]',
    remoteReply: { code: 550, enhanced: '5.1.1', text: 'Unknown user' },
  };
  const { message } = buildDsn(input({ recipients: [carrier], originalMailFrom: 'hanako.@ezweb.ne.jp' }));
  const mail = await parse(message);
  const [, r] = statusGroups(part(mail, 'message/delivery-status'));
  assert.equal(r?.get('final-recipient'), 'rfc822; "taro..yamada"@docomo.ne.jp');
  assert.equal(r?.get('original-recipient'), 'rfc822; "taro..yamada"@DoCoMo.ne.jp', 'quoted, otherwise as given');
  assert.match(message.toString('utf8'), /^To: <"hanako\."@ezweb\.ne\.jp>\r$/m);
  const text = mail.text ?? '';
  assert.ok(text.includes('<"taro..yamada"@docomo.ne.jp>'), 'the human part shows a valid address');
  assert.ok(text.includes('このアドレスはメールの規格 (RFC 5321) に合わない形式です'), text);
  assert.ok(text.includes('携帯電話会社で新しいメールアドレスを登録'));
  assert.ok(text.includes('This address breaks the mail standard (RFC 5321)'));
  assert.match(text, /register a new\s+address with their mobile carrier/);
});

test('RET=FULL: a failure report returns the whole message as message/rfc822; over the cap, only the headers', async () => {
  const full = buildDsn(input({ ret: 'FULL' })).message.toString('utf8');
  assert.match(full, /Content-Type: message\/rfc822/);
  assert.ok(full.includes(BODY_MARKER));
  assert.ok(!full.includes('text/rfc822-headers'));
  const big = Buffer.concat([original, Buffer.alloc(FULL_RETURN_LIMIT, 'x')]);
  const capped = buildDsn(input({ ret: 'FULL', originalMessage: big })).message.toString('utf8');
  assert.match(capped, /Content-Type: text\/rfc822-headers/);
  assert.ok(!capped.includes(BODY_MARKER));
  // RET is about failure reports only (RFC 3461 §4.3): a delay report keeps to the headers.
  const delay = buildDsn(input({ kind: 'delay', ret: 'FULL', recipients: [{ ...userUnknown, action: 'delayed', status: '4.4.1' }] })).message.toString('utf8');
  assert.ok(!delay.includes(BODY_MARKER));
});

test('a success report (NOTIFY=SUCCESS): Action relayed, 2.x.x status, Original-Recipient, the "delivered" wording in both languages', async () => {
  const relayed: DsnRecipient = {
    rcptTo: 'bob@example.org',
    originalRecipient: 'rfc822;Bob@old.example',
    action: 'relayed',
    status: '2.0.0',
    remoteMta: 'mx1.example.org',
    remoteReply: { code: 250, enhanced: '2.0.0', text: 'queued as X' },
    detail: '',
    lastAttemptAtMs: NOW,
  };
  const { envelope, message } = buildDsn(input({ kind: 'success', recipients: [relayed] }));
  assert.deepEqual(envelope, { mailFrom: '', rcptTo: ['alice@example.com'] });
  const mail = await parse(message);
  assert.equal(mail.subject, SUBJECTS.success);
  const status = part(mail, 'message/delivery-status');
  assert.match(status, /Original-Envelope-Id: QQ314159/);
  assert.match(status, /Original-Recipient: rfc822; Bob@old.example\r\nFinal-Recipient: rfc822; bob@example.org\r\nAction: relayed\r\nStatus: 2.0.0/);
  assert.ok(mail.text?.includes('配信完了のお知らせ'));
  assert.ok(mail.text?.includes('宛先のメールサーバーに引き渡しました'));
  assert.match(mail.text ?? '', /delivery to the recipients below is complete/);
  assert.ok(!message.toString('utf8').includes(BODY_MARKER));
});

test('a report to an internationalised sender asks for SMTPUTF8 on its way', () => {
  assert.deepEqual(buildDsn(input({ originalMailFrom: 'ユーザー@example.com' })).envelope.params, { smtputf8: true });
});
