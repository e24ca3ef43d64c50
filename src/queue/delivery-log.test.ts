import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failureReplyText, lastErrorText, relayText, remoteReplyText, tlsText } from './delivery-log.js';
import type { DeliveryFailure, RelayInfo } from '../core/outcome.js';

const relay: RelayInfo = { host: 'mx1.example.net', ip: '192.0.2.25', port: 25, tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' } };

test('relay and TLS as Postfix shows them', () => {
  assert.equal(relayText(relay), 'mx1.example.net[192.0.2.25]:25');
  assert.equal(relayText({ ...relay, ip: '2001:db8::25', port: 2525 }), 'mx1.example.net[2001:db8::25]:2525');
  assert.equal(relayText(undefined), undefined);
  assert.equal(tlsText(relay), 'TLSv1.3 TLS_AES_256_GCM_SHA384');
  assert.equal(tlsText({ ...relay, tls: undefined }), undefined);
});

test('remote replies on one line, with the enhanced code when given', () => {
  assert.equal(remoteReplyText({ code: 250, enhanced: '2.0.0', text: 'Ok: queued as X' }), '250 2.0.0 Ok: queued as X');
  assert.equal(remoteReplyText({ code: 550, enhanced: undefined, text: 'no\nsuch user' }), '550 no such user');
});

const local: DeliveryFailure = { status: '4.4.1', stage: 'connect', remoteMta: 'mx1.example.net[192.0.2.25]', remoteReply: undefined, detail: 'connection refused' };
const remote: DeliveryFailure = {
  status: '5.1.1',
  stage: 'rcpt',
  remoteMta: 'mx1.example.net[192.0.2.25]',
  remoteReply: { code: 550, enhanced: '5.1.1', text: 'No such user' },
  detail: 'recipient rejected',
};

test('the last error names who said what', () => {
  assert.equal(failureReplyText(local), 'connection refused');
  assert.equal(failureReplyText(remote), '550 5.1.1 No such user');
  assert.equal(lastErrorText(local), 'mx1.example.net[192.0.2.25]: connection refused');
  assert.equal(lastErrorText(remote), 'host mx1.example.net[192.0.2.25] said: 550 5.1.1 No such user');
  assert.equal(lastErrorText({ ...local, remoteMta: undefined }), 'connection refused');
});
