import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStsRecord, mxMatchesPattern, parseStsPolicy, parseStsRecord, parseTlsRptRecord } from './mta-sts-parse.js';

test('RFC 8461 §3.1: v=STSv1 first, id of 1-32 alphanumerics', () => {
  assert.equal(isStsRecord('v=STSv1; id=20160831085700Z'), true);
  assert.deepEqual(parseStsRecord('v=STSv1; id=20160831085700Z').problems, []);
  assert.equal(parseStsRecord('v=STSv1; id=20160831085700Z').id, '20160831085700Z');
  assert.equal(parseStsRecord('v=STSv1').problems.length, 1);
  assert.equal(parseStsRecord('v=STSv1; id=a-b').problems.length, 1);
  assert.equal(parseStsRecord(`v=STSv1; id=${'a'.repeat(33)}`).problems.length, 1);
  assert.equal(parseStsRecord('id=1; v=STSv1').problems.length, 1);
});

test('RFC 8461 §3.2: the policy file', () => {
  const ok = parseStsPolicy('version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n');
  assert.deepEqual(ok.problems, []);
  assert.equal(ok.mode, 'enforce');
  assert.deepEqual(ok.mx, ['mail.example.com', '*.example.net']);
  assert.equal(parseStsPolicy('version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1').problems.length, 1);
  assert.equal(parseStsPolicy('version: STSv1\nmode: enforce\nmax_age: 1').problems.length, 1); // no mx
  assert.deepEqual(parseStsPolicy('version: STSv1\nmode: none\nmax_age: 1').problems, []); // mx optional for none
  assert.equal(parseStsPolicy('version: STSv1\nmode: testing\nmx: a.example\nmax_age: 31557601').problems.length, 1);
  assert.equal(parseStsPolicy('<html>not found</html>').problems.length, 5); // the line, version, mode, max_age, mx
});

test('RFC 8461 §4.1: a wildcard matches exactly one leftmost label', () => {
  assert.equal(mxMatchesPattern('mail.example.com', 'mail.example.com'), true);
  assert.equal(mxMatchesPattern('MAIL.example.com.', 'mail.example.com'), true);
  assert.equal(mxMatchesPattern('mx1.example.com', '*.example.com'), true);
  assert.equal(mxMatchesPattern('a.b.example.com', '*.example.com'), false);
  assert.equal(mxMatchesPattern('example.com', '*.example.com'), false);
  assert.equal(mxMatchesPattern('mx.example.org', 'mx.example.com'), false);
});

test('RFC 8460 §3: TLS-RPT needs v=TLSRPTv1 and mailto:/https: rua', () => {
  assert.deepEqual(parseTlsRptRecord('v=TLSRPTv1; rua=mailto:tls@example.com').problems, []);
  assert.deepEqual(parseTlsRptRecord('v=TLSRPTv1; rua=mailto:a@example.com,https://reports.example.com/tls').problems, []);
  assert.equal(parseTlsRptRecord('v=TLSRPTv1').problems.length, 1);
  assert.equal(parseTlsRptRecord('v=TLSRPTv1; rua=tls@example.com').problems.length, 1);
  assert.equal(parseTlsRptRecord('v=TLSRPTv1; rua=http://example.com/').problems.length, 1);
});
