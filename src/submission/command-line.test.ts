// Table tests of SMTP command-line parsing (RFC 5321 §4.1): the verb, and
// the path and ESMTP parameters of MAIL FROM / RCPT TO (§4.1.2, §4.1.1.11).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasNonAscii, parsePathArgument, splitCommand } from './command-line.js';

test('splitCommand: upper-case verb, argument after one space, trimmed', () => {
  const cases: [string, string, string][] = [
    ['EHLO client.test', 'EHLO', 'client.test'],
    ['ehlo client.test', 'EHLO', 'client.test'],
    ['mail FROM:<a@b.test>', 'MAIL', 'FROM:<a@b.test>'],
    ['DATA', 'DATA', ''],
    ['DATA ', 'DATA', ''],
    ['quit', 'QUIT', ''],
    ['NOOP   anything  ', 'NOOP', 'anything'],
    ['', '', ''],
    [' EHLO x', '', 'EHLO x'],
    ['AUTH PLAIN AGEAYg==', 'AUTH', 'PLAIN AGEAYg=='],
  ];
  for (const [line, verb, argument] of cases) assert.deepEqual(splitCommand(line), { verb, argument }, JSON.stringify(line));
});

type Expected = { address: string; params?: Record<string, string | true> } | undefined;

const PATH_CASES: [string, 'FROM' | 'TO', Expected][] = [
  ['FROM:<a@b.test>', 'FROM', { address: 'a@b.test' }],
  ['from:<a@b.test>', 'FROM', { address: 'a@b.test' }],
  ['FROM:<>', 'FROM', { address: '' }],
  ['TO:<x@y.test>', 'TO', { address: 'x@y.test' }],
  // Lenient where real clients are sloppy (no ambiguity follows).
  ['FROM: <a@b.test>', 'FROM', { address: 'a@b.test' }],
  ['FROM:a@b.test', 'FROM', { address: 'a@b.test' }],
  ['FROM:a@b.test SIZE=10', 'FROM', { address: 'a@b.test', params: { SIZE: '10' } }],
  // Parameters: keys upper-cased, value after the first "=", flags true.
  ['FROM:<a@b.test> SIZE=1000 BODY=8BITMIME', 'FROM', { address: 'a@b.test', params: { SIZE: '1000', BODY: '8BITMIME' } }],
  ['FROM:<a@b.test> smtputf8', 'FROM', { address: 'a@b.test', params: { SMTPUTF8: true } }],
  ['FROM:<a@b.test>  SIZE=1   BODY=7BIT', 'FROM', { address: 'a@b.test', params: { SIZE: '1', BODY: '7BIT' } }],
  ['FROM:<a@b.test> AUTH=<>', 'FROM', { address: 'a@b.test', params: { AUTH: '<>' } }],
  ['FROM:<a@b.test> X=a=b', 'FROM', { address: 'a@b.test', params: { X: 'a=b' } }],
  ['TO:<x@y.test> NOTIFY=NEVER', 'TO', { address: 'x@y.test', params: { NOTIFY: 'NEVER' } }],
  // RFC 5321 §4.1.1.3: source routes are accepted and ignored.
  ['TO:<@relay.test,@other.test:x@y.test>', 'TO', { address: 'x@y.test' }],
  // Not a source route: a mailbox without a local part, refused by the address parser.
  ['TO:<@relay.test>', 'TO', { address: '@relay.test' }],
  // A quoted local part may contain ">" and spaces.
  ['FROM:<"a>b c"@b.test>', 'FROM', { address: '"a>b c"@b.test' }],
  ['FROM:<"a\\"> x"@b.test> SIZE=5', 'FROM', { address: '"a\\"> x"@b.test', params: { SIZE: '5' } }],
  // RFC 6531: UTF-8 addresses are parsed as any other.
  ['TO:<ユーザー@example.test>', 'TO', { address: 'ユーザー@example.test' }],
  // Refused.
  ['FROM:<a@b.test>SIZE=1', 'FROM', undefined],
  ['FROM:<a@b.test', 'FROM', undefined],
  ['FROM <a@b.test>', 'FROM', undefined],
  ['FROM:', 'FROM', undefined],
  ['FROM: ', 'FROM', undefined],
  ['TO:<x@y.test>', 'FROM', undefined],
  ['FROM:<a@b.test>', 'TO', undefined],
  ['FRM:<a@b.test>', 'FROM', undefined],
  ['', 'FROM', undefined],
  ['FROM:<a@b.test> SIZE=1 SIZE=2', 'FROM', undefined],
  ['FROM:<a@b.test> size=1 SIZE=2', 'FROM', undefined],
  ['FROM:<a@b.test> =1', 'FROM', undefined],
];

for (const [argument, keyword, expected] of PATH_CASES) {
  test(`parsePathArgument(${JSON.stringify(argument)}, ${keyword})`, () => {
    const parsed = parsePathArgument(argument, keyword);
    if (expected === undefined) {
      assert.equal(parsed, undefined);
      return;
    }
    assert.ok(parsed, 'parsed');
    assert.equal(parsed.address, expected.address);
    assert.deepEqual(Object.fromEntries(parsed.params), expected.params ?? {});
  });
}

test('hasNonAscii: true only for characters above U+007F', () => {
  assert.equal(hasNonAscii(''), false);
  assert.equal(hasNonAscii('plain@example.test'), false);
  assert.equal(hasNonAscii('\x00\x7f'), false);
  assert.equal(hasNonAscii('caf\u00e9@example.test'), true);
  assert.equal(hasNonAscii('ユーザー@example.test'), true);
  assert.equal(hasNonAscii('\u0080'), true);
  assert.equal(hasNonAscii('a\uFFFDb'), true, 'an undecodable byte arrives as U+FFFD');
});
