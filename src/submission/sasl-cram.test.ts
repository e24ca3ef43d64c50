// CRAM-MD5 with the example of RFC 2195 §2 (user tim, secret tanstaaftanstaaf).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cramChallenge, parseCramResponse, verifyCram } from './sasl-cram.js';

const CHALLENGE = '<1896.697170952@postoffice.reston.mci.net>';

test('CRAM-MD5: RFC 2195 §2 example', () => {
  // S: + PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+
  assert.equal(Buffer.from(CHALLENGE).toString('base64'), 'PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+');
  // C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw
  const decoded = Buffer.from('dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw', 'base64').toString('utf8');
  const response = parseCramResponse(decoded);
  assert.deepEqual(response, { login: 'tim', digestHex: 'b913a602c7eda7a495b4e6e7334d3890' });
  assert.equal(verifyCram('tanstaaftanstaaf', CHALLENGE, response?.digestHex ?? ''), true);
  assert.equal(verifyCram('tanstaaftanstaaf', CHALLENGE, 'B913A602C7EDA7A495B4E6E7334D3890'), true, 'hex in any case');
  assert.equal(verifyCram('tanstaaftanstaag', CHALLENGE, 'b913a602c7eda7a495b4e6e7334d3890'), false);
  assert.equal(verifyCram('tanstaaftanstaaf', '<1897.697170952@postoffice.reston.mci.net>', 'b913a602c7eda7a495b4e6e7334d3890'), false);
  assert.equal(verifyCram('tanstaaftanstaaf', CHALLENGE, 'b913a602c7eda7a495b4e6e7334d389'), false);
  assert.equal(verifyCram('tanstaaftanstaaf', CHALLENGE, 'zz13a602c7eda7a495b4e6e7334d3890'), false);
});

test('parseCramResponse: login SP 32 hex digits; the last space separates', () => {
  assert.deepEqual(parseCramResponse('a user b913a602c7eda7a495b4e6e7334d3890'), { login: 'a user', digestHex: 'b913a602c7eda7a495b4e6e7334d3890' });
  for (const bad of ['', 'tim', ' b913a602c7eda7a495b4e6e7334d3890', 'tim b913', 'tim b913a602c7eda7a495b4e6e7334d3890 ', 'tim\tb913a602c7eda7a495b4e6e7334d3890']) {
    assert.equal(parseCramResponse(bad), undefined, JSON.stringify(bad));
  }
});

test('cramChallenge: <random.timestamp@hostname>, different each time', () => {
  assert.equal(cramChallenge('mail.example.com', (n) => Buffer.alloc(n, 1), 1700000000000), '<72340172838076673.1700000000000@mail.example.com>');
  const a = cramChallenge('mail.example.com');
  assert.match(a, /^<\d+\.\d+@mail\.example\.com>$/);
  assert.notEqual(a, cramChallenge('mail.example.com'));
});
