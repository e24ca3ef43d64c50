// Table tests of the RFC 3461 MAIL/RCPT parameters as the session reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEnvId, parseNotify, parseOrcpt, parseRet, recipientParams, type ParamResult } from './dsn-params.js';

function value<T>(r: ParamResult<T>): T | string {
  return r.ok ? r.value : `${r.reply.code} ${r.reply.enhanced} ${r.reply.lines.join(' ')}`;
}

test('NOTIFY: NEVER alone, or SUCCESS/FAILURE/DELAY once each, made canonical', () => {
  const rows: [string | true, string][] = [
    ['NEVER', 'NEVER'],
    ['never', 'NEVER'],
    ['DELAY,SUCCESS', 'SUCCESS,DELAY'],
    ['failure', 'FAILURE'],
    ['NEVER,SUCCESS', '501 5.5.4 Bad NOTIFY parameter: NEVER cannot be combined with other values'],
    ['SUCCESS,SUCCESS', '501 5.5.4 Bad NOTIFY parameter: SUCCESS given twice'],
    ['SUCCESS,', '501 5.5.4 Bad NOTIFY parameter: unknown value "" (NEVER, SUCCESS, FAILURE or DELAY)'],
    ['ALWAYS', '501 5.5.4 Bad NOTIFY parameter: unknown value "ALWAYS" (NEVER, SUCCESS, FAILURE or DELAY)'],
    [true, '501 5.5.4 Bad NOTIFY parameter: empty'],
  ];
  for (const [input, expected] of rows) assert.equal(value(parseNotify(input)), expected, String(input));
});

test('ORCPT: addr-type;xtext, decoded; controls, bad escapes and a missing type refused', () => {
  const rows: [string | true, string][] = [
    ['rfc822;a@b.test', 'rfc822;a@b.test'],
    ['RFC822;a+2Bb@b.test', 'RFC822;a+b@b.test'],
    ['rfc822;taro..yamada@docomo.ne.jp', 'rfc822;taro..yamada@docomo.ne.jp'],
    ['rfc822;a+0D+0ABcc:x@b.test', '501 5.5.4 Bad ORCPT parameter: invalid xtext (control or non-ASCII character)'],
    ['rfc822;a+zz@b.test', '501 5.5.4 Bad ORCPT parameter: invalid xtext (bad "+HH" escape)'],
    ['a@b.test', '501 5.5.4 Bad ORCPT parameter: must be addr-type;address'],
    [';a@b.test', '501 5.5.4 Bad ORCPT parameter: must be addr-type;address'],
    ['rfc 822;a@b.test', '501 5.5.4 Bad ORCPT parameter: bad address type'],
    ['rfc822;', '501 5.5.4 Bad ORCPT parameter: empty address'],
    [`rfc822;${'a'.repeat(500)}`, '501 5.5.4 Bad ORCPT parameter: longer than 500 characters'],
  ];
  for (const [input, expected] of rows) assert.equal(value(parseOrcpt(input)), expected, String(input));
});

test('RET and ENVID', () => {
  assert.equal(value(parseRet('hdrs')), 'HDRS');
  assert.equal(value(parseRet('FULL')), 'FULL');
  assert.equal(value(parseRet('ALL')), '501 5.5.4 Bad RET parameter: must be FULL or HDRS');
  assert.equal(value(parseEnvId('QQ+2B1')), 'QQ+1');
  assert.equal(value(parseEnvId('a+0A')), '501 5.5.4 Bad ENVID parameter: invalid xtext (control or non-ASCII character)');
  assert.equal(value(parseEnvId('x'.repeat(100))), 'x'.repeat(100));
  assert.equal(value(parseEnvId('x'.repeat(101))), '501 5.5.4 Bad ENVID parameter: longer than 100 characters');
});

test('a RCPT without DSN parameters has none; an unknown parameter is unsupported', () => {
  assert.deepEqual(value(recipientParams(new Map([['NOTIFY', 'FAILURE']]))), { notify: 'FAILURE', orcpt: undefined });
  assert.equal(value(recipientParams(new Map([['XFOO', 'x']]))), '555 5.5.4 Unsupported MAIL/RCPT parameter');
});
