import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../config/load.js';
import { clientSettings, domainOfAddress, withBoundPorts } from './client-settings.js';
import { wantsPretty } from '../log/logger.js';

test('the submission ports in order of preference, only the enabled ones, the IMAP socket type from its port', () => {
  const both = clientSettings(parseConfig({ hostname: 'mail.example.com', autoconfig: { imapHost: 'imap.example.com' } }), 'Web@Example.COM');
  assert.deepEqual(both.smtp, [
    { host: 'mail.example.com', port: 465, socketType: 'SSL' },
    { host: 'mail.example.com', port: 587, socketType: 'STARTTLS' },
  ]);
  assert.equal(both.domain, 'example.com');
  assert.equal(both.username, 'Web@Example.COM');
  assert.deepEqual(both.imap, { host: 'imap.example.com', port: 993, socketType: 'SSL' });

  const one = clientSettings(parseConfig({ hostname: 'mail.example.com', listeners: { submission: { enabled: false } }, autoconfig: { smtpHost: 'smtp.example.com', imapHost: 'imap.example.com', imapPort: 143 } }), 'a@example.com');
  assert.deepEqual(one.smtp, [{ host: 'smtp.example.com', port: 465, socketType: 'SSL' }]);
  assert.equal(one.imap?.socketType, 'STARTTLS');
  assert.equal(clientSettings(parseConfig({}), 'a@example.com').imap, undefined);
});

test('withBoundPorts replaces only a configured port 0', () => {
  const config = parseConfig({ listeners: { submission: { port: 0 }, submissions: { port: 465 } } });
  const bound = withBoundPorts(config, [
    { kind: 'submission', port: 40001 },
    { kind: 'submissions', port: 40002 },
  ]);
  assert.equal(bound.listeners.submission.port, 40001);
  assert.equal(bound.listeners.submissions.port, 465);
});

test('domainOfAddress: lower-cased domain, undefined for what is not an address', () => {
  assert.equal(domainOfAddress('a@Shop.Test'), 'shop.test');
  assert.equal(domainOfAddress('a@shop.test.'), 'shop.test');
  for (const bad of ['nobody', '@shop.test', 'a@', 'a@localhost', 'a@sh op.test', 'a@<x>.test']) assert.equal(domainOfAddress(bad), undefined, bad);
});

test('log.format: auto is pretty only on a terminal without log.file; json and pretty are forced', () => {
  assert.equal(wantsPretty({ level: 'info', file: undefined, format: 'auto' }, true), true);
  assert.equal(wantsPretty({ level: 'info', file: undefined, format: 'auto' }, false), false);
  assert.equal(wantsPretty({ level: 'info', file: '/var/log/h.log', format: 'auto' }, true), false);
  assert.equal(wantsPretty({ level: 'info', file: undefined, format: 'json' }, true), false);
  assert.equal(wantsPretty({ level: 'info', file: undefined, format: 'pretty' }, false), true);
});
