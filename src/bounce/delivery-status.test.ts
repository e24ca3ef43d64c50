import assert from 'node:assert/strict';
import { test } from 'node:test';
import { remoteMtaName, replyLine, typedAddress } from './delivery-status.js';
import { describeStatus } from './status-text.js';

test('remoteMtaName keeps the host name from the forms delivery code records', () => {
  assert.equal(remoteMtaName('mx1.example.net[127.0.0.2]'), 'mx1.example.net');
  assert.equal(remoteMtaName('mx1.example.net [127.0.0.2]'), 'mx1.example.net');
  assert.equal(remoteMtaName('mx1.example.net'), 'mx1.example.net');
  assert.equal(remoteMtaName('[192.0.2.1]'), '[192.0.2.1]');
});

test('replyLine: one line, enhanced code once', () => {
  assert.equal(replyLine({ code: 550, enhanced: '5.1.1', text: 'User unknown' }), '550 5.1.1 User unknown');
  assert.equal(replyLine({ code: 550, enhanced: '5.1.1', text: '5.1.1 User unknown\n5.1.1 see https://example.org' }), '550 5.1.1 User unknown see https://example.org');
  assert.equal(replyLine({ code: 554, enhanced: undefined, text: 'Go away\r\n' }), '554 Go away');
});

test('typedAddress: rfc822 for ASCII, utf-8 with \\x{} escapes otherwise (RFC 6533 §3)', () => {
  assert.equal(typedAddress('user+tag@example.com'), 'rfc822; user+tag@example.com');
  assert.equal(typedAddress('josé@example.com'), 'utf-8; jos\\x{E9}@example.com');
});

test('describeStatus: specific code, then subject, then class, then unknown', () => {
  assert.equal(describeStatus('5.1.1').en, 'The recipient address does not exist');
  assert.equal(describeStatus('5.7.26').en, 'The message was refused for security or policy reasons');
  assert.equal(describeStatus('4.9.9').en, 'A temporary problem prevented delivery');
  assert.equal(describeStatus('nonsense').en, 'Delivery failed for an unknown reason');
  assert.equal(describeStatus('5.4.7').ja, '配信の期限を過ぎたため、配信をあきらめました');
});
