import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Submitter } from '../core/envelope.js';
import { sanitizeFieldText } from './fold.js';
import { receivedField } from './received.js';
import { randomSource } from '../../test/helpers/seeded-random.js';

/** sanitizeFieldText's rule spelled out, without its shortcut for clean text. */
function referenceSanitize(text: string): string {
  return text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[\x00-\x1f\x7f]/g, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
}

const pieces = ['a', 'mail.example', ' ', '  ', '\t', '\r', '\n', '\r\n', '\x00', '\x1f', '\x7f', 'é', '\u3000', '\u00a0', '(', ')', '\\', ';', '<', '>', '"', '?'];

function generated(count: number, seed: number): string[] {
  const random = randomSource(seed);
  return Array.from({ length: count }, () => {
    let s = '';
    for (let i = random(6); i > 0; i--) s += pieces[random(pieces.length)];
    return s;
  });
}

test('sanitizeFieldText: clean text comes back as it is, anything else by the full rule', () => {
  assert.equal(sanitizeFieldText('TLSv1.3'), 'TLSv1.3');
  assert.equal(sanitizeFieldText(' a\r\n\tb  c\x00 '), 'a b c?');
  assert.equal(sanitizeFieldText(''), '');
  for (const text of generated(20000, 5)) assert.equal(sanitizeFieldText(text), referenceSanitize(text), JSON.stringify(text));
});

test('Received: HELO names and TLS strings are cleaned by the same rule, whatever they hold', () => {
  const base: Submitter = { clientIp: '192.0.2.1', clientHostname: '', helo: '', user: undefined, protocol: 'ESMTPS', tls: undefined, via: 'relay' };
  const input = { hostname: 'mail.example.com', queueId: 'Q1', nowMs: 0, rcptTo: [] };
  for (const text of generated(5000, 9)) {
    const helo = referenceSanitize(text).replace(/[\s()\\;<>"]/g, '?') || 'unknown';
    const comment = referenceSanitize(text).replace(/[()\\]/g, '?');
    const field = receivedField({ ...input, submitter: { ...base, helo: text, tls: { version: text, cipher: 'C' } } }, 'DATE');
    assert.equal(field, `Received: from ${helo} ([192.0.2.1])\r\n\t(using ${comment} with cipher C)\r\n\tby mail.example.com (Hikyaku) with ESMTPS id Q1; DATE\r\n`, JSON.stringify(text));
  }
});

