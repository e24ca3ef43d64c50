import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tlsSubmitter } from '../../test/helpers/submitter-fixture.js';
import { toCrlf } from './canonical.js';
import { headerFromAddress } from './from-address.js';
import { splitHeader } from './header-block.js';
import { prepareIntakeMessage } from './intake-message.js';
import { stampSubmittedMessage, type SubmissionStamp } from './submission-headers.js';

const submitter = tlsSubmitter;
const stamp: SubmissionStamp = { hostname: 'mail.example.com', queueId: '01HQ0000000000ABC', nowMs: Date.UTC(2024, 0, 2), submitter, rcptTo: ['bob@example.org'] };

/** The Message-ID we add has a random part: the same placeholder in both results. */
function comparable(message: Buffer): string {
  return message.toString('latin1').replace(/<01HQ0000000000ABC\.[0-9a-f]{12}@/, '<01HQ0000000000ABC.RANDOM@');
}

const messages: Record<string, Buffer> = {
  'plain': Buffer.from('From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nbody\r\n'),
  'folded fields': Buffer.from('Subject: a\r\n\tb\r\nFrom:\r\n "Doe, Jane"\r\n <jane@example.org>\r\nDate: x\r\nMessage-ID: <m@x>\r\n\r\nb'),
  'LF-only': Buffer.from('From: lf@example.com\nSubject: unix\n\nline 1\nline 2\n'),
  'bare CR': Buffer.from('From: cr@example.com\rSubject: mac\r\rbody\r'),
  '8-bit header bytes': Buffer.concat([Buffer.from('From: 山田 <taro@example.jp>\r\nSubject: 配信テスト\r\n', 'utf8'), Buffer.from([0xff, 0x3a, 0x20, 0x80, 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0xff])]),
  'only headers': Buffer.from('From: only@example.com\r\nSubject: s\r\n'),
  'only headers, no final line break': Buffer.from('From: bare@example.com'),
  'starts with an empty line': Buffer.from('\r\nFrom: body@example.com\r\n'),
  'starts with a folded line': Buffer.from(' stray\r\nFrom: x@example.com\r\n\r\n'),
  'empty': Buffer.alloc(0),
  'From in the body only': Buffer.from('Subject: x\r\n\r\nFrom: body@example.com\r\n'),
};

test('prepareIntakeMessage gives what stampSubmittedMessage and headerFromAddress give in turn (on the CRLF text hygiene hands it)', () => {
  for (const [name, raw] of Object.entries(messages)) {
    const canonical = toCrlf(raw);
    const expectedMessage = stampSubmittedMessage(canonical, stamp);
    const expectedFrom = headerFromAddress(expectedMessage);
    const prepared = prepareIntakeMessage(canonical, stamp);
    assert.equal(comparable(prepared.message), comparable(expectedMessage), name);
    assert.equal(prepared.fromAddress, expectedFrom, name);

    const unstamped = prepareIntakeMessage(canonical, undefined);
    assert.deepEqual(unstamped.message, canonical, name);
    assert.equal(unstamped.fromAddress, headerFromAddress(canonical), name);
  }
});

test('prepareIntakeMessage: the body is copied byte for byte; a canonical unstamped message is not copied', () => {
  const raw = messages['8-bit header bytes'] as Buffer;
  assert.deepEqual(splitHeader(prepareIntakeMessage(raw, stamp).message).body, splitHeader(raw).body);
  assert.equal(prepareIntakeMessage(raw, undefined).message, raw);
  assert.equal(prepareIntakeMessage(toCrlf(messages['LF-only'] as Buffer), stamp).fromAddress, 'lf@example.com');
});

test('the header a sending policy judges: every From mailbox, the Sender, the Received count', () => {
  const headersOf = (header: string) => prepareIntakeMessage(Buffer.from(`${header}\r\nbody\r\n`), undefined).headers;
  const rows: [string, string[], string | undefined, number][] = [
    ['From: a@example.com\r\n', ['a@example.com'], undefined, 0],
    ['From: Taro <taro@example.com>\r\nSender: <desk@example.com>\r\n', ['taro@example.com'], 'desk@example.com', 0],
    ['From: "Yamada, Taro" <taro@example.com>, hanako@example.net\r\n', ['taro@example.com', 'hanako@example.net'], undefined, 0],
    ['From: a@example.com (comment)\r\nFrom: b@example.org\r\n', ['a@example.com', 'b@example.org'], undefined, 0],
    ['Received: from a by b; Fri, 4 Dec 2026 00:00:00 +0000\r\nreceived: x\r\nX-Received: not one\r\nFrom: =?UTF-8?B?5aSq6YOO?= <taro@example.com>\r\n', ['taro@example.com'], undefined, 2],
    ['Subject: no From at all\r\n', [], undefined, 0],
  ];
  for (const [header, from, sender, received] of rows) {
    const h = headersOf(header);
    assert.deepEqual(h.fromAddresses(), from, header);
    assert.deepEqual(h.senderAddresses(), sender === undefined ? [] : [sender], header);
    assert.equal(h.receivedCount, received, header);
  }
});
