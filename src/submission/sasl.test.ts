// Table tests of the SASL pieces of SMTP AUTH (RFC 4954): mechanism names,
// strict base64, PLAIN messages (RFC 4616 §2) and the LOGIN prompts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64, LOGIN_PASSWORD_PROMPT, LOGIN_USERNAME_PROMPT, parsePlain, saslMechanism, saslMechanisms } from './sasl.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

test('saslMechanism: the offered mechanisms in any case; CRAM-MD5 only when enabled; nothing else', () => {
  const offered = saslMechanisms({ cramMd5: false });
  assert.deepEqual([...offered], ['PLAIN', 'LOGIN', 'SCRAM-SHA-256']);
  assert.deepEqual([...saslMechanisms({ cramMd5: true })], ['PLAIN', 'LOGIN', 'SCRAM-SHA-256', 'CRAM-MD5']);
  assert.equal(saslMechanism('PLAIN', offered), 'PLAIN');
  assert.equal(saslMechanism('plain', offered), 'PLAIN');
  assert.equal(saslMechanism('Login', offered), 'LOGIN');
  assert.equal(saslMechanism('scram-sha-256', offered), 'SCRAM-SHA-256');
  assert.equal(saslMechanism('CRAM-MD5', saslMechanisms({ cramMd5: true })), 'CRAM-MD5');
  for (const name of ['', 'CRAM-MD5', 'XOAUTH2', 'PLAIN ', 'PLAINX', 'DIGEST-MD5', 'SCRAM-SHA-1']) assert.equal(saslMechanism(name, offered), undefined, name);
});

test('decodeBase64: strict RFC 4648 base64, undefined for anything else', () => {
  const good: [string, string][] = [
    ['', ''],
    [b64('a'), 'a'],
    [b64('ab'), 'ab'],
    [b64('abc'), 'abc'],
    [b64('\0user\0pass'), '\0user\0pass'],
    [b64('パスワード'), 'パスワード'],
    ['+/+/', Buffer.from('+/+/', 'base64').toString('utf8')],
  ];
  for (const [text, decoded] of good) assert.equal(decodeBase64(text), decoded, JSON.stringify(text));
  // Buffer.from(…, 'base64') would accept all of these, skipping or guessing.
  const bad = ['=', 'YQ', 'YQ=', 'YWJ', 'Y Q==', 'YQ==YQ==', 'YQ==\r', 'a!bc', '*', 'YW-j', 'YW_j', '====', 'YQ===', 'QUI'];
  for (const text of bad) assert.equal(decodeBase64(text), undefined, JSON.stringify(text));
});

test('parsePlain: [authzid] NUL authcid NUL passwd (RFC 4616 §2)', () => {
  const cases: [string, { login: string; password: string } | undefined][] = [
    ['\0user@example.test\0secret', { login: 'user@example.test', password: 'secret' }],
    ['user@example.test\0user@example.test\0secret', { login: 'user@example.test', password: 'secret' }],
    ['\0user\0', { login: 'user', password: '' }],
    ['\0user\0pass word with spaces', { login: 'user', password: 'pass word with spaces' }],
    ['\0ユーザー\0パスワード', { login: 'ユーザー', password: 'パスワード' }],
    // Acting for another user is not offered.
    ['boss@example.test\0user@example.test\0secret', undefined],
    ['\0\0secret', undefined],
    ['', undefined],
    ['user\0secret', undefined],
    ['\0user\0pass\0extra', undefined],
  ];
  for (const [message, expected] of cases) assert.deepEqual(parsePlain(message), expected, JSON.stringify(message));
});

test('LOGIN prompts are base64 "Username:" and "Password:"', () => {
  assert.equal(LOGIN_USERNAME_PROMPT, 'VXNlcm5hbWU6');
  assert.equal(LOGIN_PASSWORD_PROMPT, 'UGFzc3dvcmQ6');
});
