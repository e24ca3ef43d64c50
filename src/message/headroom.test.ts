import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocWithHeadroom, HEADROOM, prependInPlace } from './headroom.js';
import { stampSubmittedMessage, type SubmissionStamp } from './submission-headers.js';
import { tlsSubmitter } from '../../test/helpers/submitter-fixture.js';

function withRoom(text: string): Buffer {
  const m = allocWithHeadroom(Buffer.byteLength(text));
  m.write(text);
  return m;
}

test('prependInPlace writes into the room once, without copying the message; other buffers get undefined', () => {
  const m = withRoom('Subject: x\r\n\r\nbody\r\n');
  const out = prependInPlace(m, 'Received: by us\r\n');
  assert.ok(out);
  assert.equal(out.toString(), 'Received: by us\r\nSubject: x\r\n\r\nbody\r\n');
  assert.equal(out.buffer, m.buffer, 'the same memory');
  assert.equal(prependInPlace(m, 'X: again\r\n'), undefined, 'the room is used once');
  assert.equal(prependInPlace(Buffer.from('Subject: y\r\n\r\n'), 'X: 1\r\n'), undefined);
  assert.equal(prependInPlace(withRoom('a'), 'x'.repeat(HEADROOM + 1)), undefined, 'more than the room');
});

test('the stamp gives the same bytes with or without room in front', () => {
  const stamp: SubmissionStamp = { hostname: 'mail.example.com', queueId: '01HQ0000000000ABC', nowMs: Date.UTC(2024, 0, 2), submitter: tlsSubmitter, rcptTo: ['bob@example.org'] };
  for (const text of [
    'From: a@example.com\r\nDate: Tue, 2 Jan 2024 00:00:00 +0000\r\nMessage-ID: <m@x>\r\n\r\nbody\r\n',
    'From: a@example.com\r\nSubject: no Date nor Message-ID\r\n\r\nbody\r\n',
  ]) {
    const plain = stampSubmittedMessage(Buffer.from(text), stamp).toString().replace(/<01HQ0000000000ABC\.[0-9a-f]+@/, '<ID@');
    const roomy = stampSubmittedMessage(withRoom(text), stamp).toString().replace(/<01HQ0000000000ABC\.[0-9a-f]+@/, '<ID@');
    assert.equal(roomy, plain);
  }
});
