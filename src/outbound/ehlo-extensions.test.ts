import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NO_EXTENSIONS, parseEhlo } from './ehlo-extensions.js';

test('EHLO keywords are read case-insensitively, after the greeting line', () => {
  const ext = parseEhlo(['mx.test PIPELINING is not a keyword here', 'pipelining', 'SIZE 35882577', 'STARTTLS', 'AUTH PLAIN login CRAM-MD5', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'CHUNKING', 'dsn']);
  assert.deepEqual({ ...ext, auth: [...(ext.auth ?? [])] }, {
    pipelining: true,
    size: true,
    maxSize: 35882577,
    startTls: true,
    auth: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
    eightBitMime: true,
    smtpUtf8: true,
    enhancedStatusCodes: true,
    dsn: true,
  });
});

test('the greeting line alone means no extensions', () => {
  assert.deepEqual(parseEhlo(['mx.test PIPELINING STARTTLS']), NO_EXTENSIONS);
});

test('SIZE without a number or with 0 announces no limit (RFC 1870 §4)', () => {
  assert.deepEqual([parseEhlo(['x', 'SIZE']).size, parseEhlo(['x', 'SIZE']).maxSize], [true, undefined]);
  assert.equal(parseEhlo(['x', 'SIZE 0']).maxSize, undefined);
  assert.equal(parseEhlo(['x', 'SIZE nonsense']).maxSize, undefined);
});

test('old "AUTH=LOGIN PLAIN" lines are understood', () => {
  assert.deepEqual([...(parseEhlo(['x', 'AUTH=LOGIN PLAIN']).auth ?? [])], ['LOGIN', 'PLAIN']);
  assert.equal(parseEhlo(['x', 'STARTTLS']).auth, undefined);
});
