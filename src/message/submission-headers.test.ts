import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tlsSubmitter } from '../../test/helpers/submitter-fixture.js';
import type { Submitter } from '../core/envelope.js';
import { splitHeader, headerFieldNames, headerValue } from './header-block.js';
import { formatRfc5322Date, stampSubmittedMessage, type SubmissionStamp } from './submission-headers.js';

// Fixed zone so dates are predictable; Node re-reads TZ when it is assigned.
process.env.TZ = 'Asia/Tokyo';

const NOW = Date.UTC(2024, 0, 2, 0, 4, 5); // Tue, 2 Jan 2024 09:04:05 +0900

const submitter = tlsSubmitter;

function stamp(overrides: Partial<SubmissionStamp> = {}): SubmissionStamp {
  return { hostname: 'mail.example.com', queueId: '01HQ0000000000ABC', nowMs: NOW, submitter, rcptTo: ['bob@example.org'], ...overrides };
}

function lines(buf: Buffer): string[] {
  return buf.toString('utf8').split('\r\n');
}

test('formatRfc5322Date uses the local offset', () => {
  assert.equal(formatRfc5322Date(NOW), 'Tue, 2 Jan 2024 09:04:05 +0900');
  assert.equal(formatRfc5322Date(Date.UTC(2023, 11, 31, 15, 0, 0)), 'Mon, 1 Jan 2024 00:00:00 +0900');
  try {
    process.env.TZ = 'America/St_Johns'; // -0330 in winter: negative, half-hour offset
    assert.equal(formatRfc5322Date(NOW), 'Mon, 1 Jan 2024 20:34:05 -0330');
    process.env.TZ = 'UTC';
    assert.equal(formatRfc5322Date(NOW), 'Tue, 2 Jan 2024 00:04:05 +0000');
  } finally {
    process.env.TZ = 'Asia/Tokyo';
  }
});

test('Received is the first field, Date and Message-ID are added when missing', () => {
  const body = 'Hello\r\n\r\n.leading dot\r\nlast line without newline';
  const msg = Buffer.from(`From: alice@example.com\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\n${body}`);
  const out = stampSubmittedMessage(msg, stamp());
  const { header, body: outBody } = splitHeader(out);
  assert.equal(outBody.toString(), body);
  const all = lines(header);
  assert.equal(all[0], 'Received: from laptop.example.net (client.example.net [192.0.2.10])');
  const received = headerValue(header, 'received') ?? '';
  assert.match(received, /\(using TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384\)/);
  assert.match(received, /by mail\.example\.com \(Hikyaku\) with ESMTPSA id 01HQ0000000000ABC/);
  assert.match(received, /for <bob@example\.org>; Tue, 2 Jan 2024 09:04:05 \+0900$/);
  assert.match(received, /\(authenticated sender\)/);
  assert.doesNotMatch(received, /alice/, 'the login is not disclosed');
  assert.equal(headerValue(header, 'date'), 'Tue, 2 Jan 2024 09:04:05 +0900');
  assert.match(headerValue(header, 'message-id') ?? '', /^<01HQ0000000000ABC\.[0-9a-f]{12}@mail\.example\.com>$/);
  // Original fields keep their order, after Received and before the added ones.
  const names = all.filter((l) => /^[A-Za-z-]+:/.test(l)).map((l) => l.slice(0, l.indexOf(':')));
  assert.deepEqual(names, ['Received', 'From', 'To', 'Subject', 'Date', 'Message-ID']);
});

test('existing Date and Message-ID (any case) are kept and not duplicated', () => {
  const msg = Buffer.from('DATE: Mon, 1 Jan 2024 00:00:00 +0000\r\nmessage-id: <mine@example.com>\r\nSubject: x\r\n\r\nbody\r\n');
  const out = stampSubmittedMessage(msg, stamp());
  const { header } = splitHeader(out);
  const text = header.toString();
  assert.equal(text.match(/^date:/gim)?.length, 1);
  assert.equal(text.match(/^message-id:/gim)?.length, 1);
  assert.equal(headerValue(header, 'message-id'), '<mine@example.com>');
  // Nothing but the Received field was added: the rest is byte-identical.
  assert.ok(out.subarray(out.length - msg.length).equals(msg));
  assert.ok(out.toString().startsWith('Received: '));
});

test('only the missing one of Date / Message-ID is added', () => {
  const out = stampSubmittedMessage(Buffer.from('Message-ID: <m@x>\r\n\r\nb'), stamp());
  const names = [...headerFieldNames(splitHeader(out).header)].sort();
  assert.deepEqual(names, ['date', 'message-id', 'received']);
  assert.equal(headerValue(splitHeader(out).header, 'message-id'), '<m@x>');
});

test('folded header fields are preserved byte for byte', () => {
  const folded = 'Subject: a very long subject\r\n\tcontinued here\r\n  and here\r\nTo: bob@example.org,\r\n carol@example.org\r\n';
  const body = 'x\r\n';
  const out = stampSubmittedMessage(Buffer.from(`${folded}\r\n${body}`), stamp());
  const text = out.toString();
  assert.ok(text.includes(folded), 'folded fields intact');
  assert.ok(text.endsWith(`\r\n\r\n${body}`));
  assert.equal(headerValue(splitHeader(out).header, 'subject'), 'a very long subject\tcontinued here  and here');
});

test('8-bit body bytes are copied exactly', () => {
  const body = Buffer.concat([Buffer.from('日本語の本文\r\n', 'utf8'), Buffer.from([0x00, 0xff, 0x80, 0x0d, 0x0a])]);
  const msg = Buffer.concat([Buffer.from('Subject: s\r\n\r\n'), body]);
  const out = stampSubmittedMessage(msg, stamp());
  assert.ok(splitHeader(out).body.equals(body));
});

test('a message without a body or an empty line gets the fields and no invented body', () => {
  const out = stampSubmittedMessage(Buffer.from('Subject: only headers\r\n'), stamp());
  const text = out.toString();
  assert.ok(text.endsWith('\r\n'));
  assert.ok(!text.includes('\r\n\r\n'), 'no empty line was invented');
  assert.deepEqual([...headerFieldNames(out)].sort(), ['date', 'message-id', 'received', 'subject']);

  // Not even a final CRLF: our fields must still start on their own line.
  const bare = stampSubmittedMessage(Buffer.from('Subject: bare'), stamp()).toString();
  assert.match(bare, /\r\nSubject: bare\r\nDate: [^\r\n]+\r\nMessage-ID: <[^\r\n]+>\r\n$/);
});

test('a message with an empty header block gets the fields before the empty line', () => {
  const out = stampSubmittedMessage(Buffer.from('\r\nbody only\r\n'), stamp());
  const { header, body } = splitHeader(out);
  assert.equal(body.toString(), 'body only\r\n');
  assert.deepEqual([...headerFieldNames(header)].sort(), ['date', 'message-id', 'received']);
});

test('the FOR clause appears only with exactly one recipient', () => {
  const msg = Buffer.from('Date: x\r\nMessage-ID: <a@b>\r\n\r\n');
  const two = headerValue(splitHeader(stampSubmittedMessage(msg, stamp({ rcptTo: ['a@x.example', 'b@y.example'] }))).header, 'received') ?? '';
  assert.doesNotMatch(two, /\bfor\b/);
  assert.doesNotMatch(two, /a@x\.example|b@y\.example/);
  assert.match(two, /id 01HQ0000000000ABC; Tue, 2 Jan 2024 09:04:05 \+0900$/);
});

test('Received without TLS or authentication, unresolved client, IPv6', () => {
  const plain: Submitter = { ...submitter, clientIp: '2001:db8::25', clientHostname: '[2001:db8::25]', user: undefined, tls: undefined, protocol: 'ESMTP', helo: '' };
  const out = stampSubmittedMessage(Buffer.from('Date: x\r\nMessage-ID: <a@b>\r\n\r\n'), stamp({ submitter: plain }));
  const received = headerValue(splitHeader(out).header, 'received') ?? '';
  assert.match(received, /^from unknown \(\[IPv6:2001:db8::25\]\)/);
  assert.doesNotMatch(received, /using|authenticated/);
  assert.match(received, /with ESMTP id/);
});

test('hostile HELO and TLS strings cannot inject header lines', () => {
  const evil: Submitter = { ...submitter, helo: 'x\r\nBcc: victim@example.org', tls: { version: 'TLSv1.3) (fake', cipher: 'A\nB' } };
  const out = stampSubmittedMessage(Buffer.from('Date: x\r\nMessage-ID: <a@b>\r\n\r\n'), stamp({ submitter: evil }));
  const { header } = splitHeader(out);
  assert.ok(!headerFieldNames(header).has('bcc'));
  for (const line of lines(header)) assert.ok(!line.startsWith('Bcc'));
  const received = headerValue(header, 'received') ?? '';
  // Parentheses inside the comment are neutralised so the comment stays balanced.
  assert.match(received, /\(using [^()]* with cipher [^()]*\)/);
});

test('every line of the stamped header is CRLF-terminated and at most 998 octets', () => {
  const long: Submitter = { ...submitter, helo: 'h'.repeat(500), clientHostname: `${'a'.repeat(63)}.${'b'.repeat(63)}.example` };
  const out = stampSubmittedMessage(Buffer.from('Subject: s\r\n\r\nb\r\n'), stamp({ submitter: long }));
  const text = out.toString('latin1');
  assert.doesNotMatch(text.replace(/\r\n/g, ''), /[\r\n]/);
  for (const line of text.split('\r\n')) assert.ok(Buffer.byteLength(line, 'latin1') <= 998);
});

test('8-bit header bytes (UTF-8 or not) are copied exactly, and Date is still found after them', () => {
  const header = Buffer.concat([
    Buffer.from('Subject: 配信テスト\r\n', 'utf8'),
    Buffer.from([0x58, 0x2d, 0xc0, 0x3a, 0x20, 0xff, 0x80, 0x0d, 0x0a]),
    Buffer.from('Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n'),
  ]);
  const msg = Buffer.concat([header, Buffer.from('\r\nbody\r\n')]);
  const out = stampSubmittedMessage(msg, stamp());
  assert.ok(out.includes(header), 'the original fields, byte for byte');
  assert.ok(splitHeader(out).body.equals(Buffer.from('body\r\n')));
  assert.equal(headerValue(splitHeader(out).header, 'date'), 'Mon, 1 Jan 2024 00:00:00 +0000');
  assert.deepEqual([...headerFieldNames(splitHeader(out).header)].sort(), ['date', 'message-id', 'received', 'subject', 'x-à']);
});
