import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeJson, parseWrittenAddress, RequestProblem } from './compose.js';
import { fieldProblem, isLoopback } from './http-server.js';
import { policyAnswer } from './messages-api.js';
import { replies } from '../core/replies.js';

test('addresses as written: bare or with a display name, by the one parser, carrier forms included', () => {
  assert.deepEqual(parseWrittenAddress('taro..yamada@DOCOMO.ne.jp'), { name: undefined, address: 'taro..yamada@docomo.ne.jp', written: 'taro..yamada@DOCOMO.ne.jp' });
  assert.deepEqual(parseWrittenAddress('"Yamada, Taro" <"taro..yamada"@docomo.ne.jp>'), {
    name: 'Yamada, Taro',
    address: '"taro..yamada"@docomo.ne.jp',
    written: '"taro..yamada"@docomo.ne.jp',
  });
  for (const bad of ['x@@docomo.ne.jp', '@docomo.ne.jp', 'taro yamada@docomo.ne.jp', 'taro@', 'Name <>']) {
    assert.ok('problem' in parseWrittenAddress(bad), bad);
  }
});

test('composed: our address fields first, no Bcc field, recipients de-duplicated by mailbox identity, MailComposer MIME', async () => {
  const c = await composeJson({
    from: '山田商店 <shop@example.com>',
    to: ['taro..yamada@docomo.ne.jp', '"taro..yamada"@docomo.ne.jp'],
    bcc: 'audit@example.com',
    subject: 'hi',
    text: 'body',
    headers: { 'X-Campaign': 'spring' },
  });
  const text = c.message.toString();
  assert.equal(c.mailFrom, 'shop@example.com');
  assert.deepEqual(c.recipients, [
    { address: 'taro..yamada@docomo.ne.jp', path: 'to[0]' },
    { address: 'audit@example.com', path: 'bcc' },
  ]);
  assert.match(text, /^From: =\?UTF-8\?B\?[^?]+\?= <shop@example\.com>\r\nTo: taro\.\.yamada@docomo\.ne\.jp, "taro\.\.yamada"@docomo\.ne\.jp\r\n/);
  assert.doesNotMatch(text, /^(Bcc|Date|Message-ID):/im);
  assert.match(text, /^X-Campaign: spring\r$/m);
});

test('every bad field is named', async () => {
  await assert.rejects(
    composeJson({ from: 'x@@example.com', to: ['ok@example.com', 'no'], cc: 'also bad', headers: { 'Content-Type': 'x', 'X-Ok': 'a\r\nb' } }),
    (err: RequestProblem) => {
      assert.deepEqual(err.fields.map((f) => f.path), ['from', 'to[1]', 'cc', 'text', 'headers.Content-Type', 'headers.X-Ok']);
      return true;
    },
  );
  await assert.rejects(composeJson({ from: 'a@example.com', to: 'b@example.com' }), /text: no content/);
});

test('schema errors as field paths', () => {
  assert.deepEqual(fieldProblem({ instancePath: '/attachments/0', keyword: 'required', params: { missingProperty: 'content' } }), { path: 'attachments[0].content', problem: 'required' });
  assert.deepEqual(fieldProblem({ instancePath: '/to', keyword: 'type', message: 'must be string' }, 'messages[3]'), { path: 'messages[3].to', problem: 'must be string' });
  assert.deepEqual(fieldProblem({ instancePath: '/status', keyword: 'enum', params: { allowedValues: ['a', 'b'] } }, 'query'), { path: 'query.status', problem: 'must be one of: a, b' });
});

test('the policy replies as HTTP statuses', () => {
  const later = new Date(Date.now() + 120_000).toISOString();
  const limited = policyAnswer(replies.rateLimited('1 messages per hour for user a@b', later));
  assert.equal(limited.statusCode, 429);
  const seconds = Number(limited.headers?.['retry-after']);
  assert.ok(seconds > 100 && seconds <= 120, String(seconds));
  assert.equal(policyAnswer(replies.senderNotAllowed('ceo@bank.example', 'a@b')).statusCode, 403);
  assert.equal(policyAnswer(replies.headerFromMissing).statusCode, 403);
  assert.equal(policyAnswer(replies.recipientQuota(5, 'a@b')).statusCode, 422);
  assert.equal(policyAnswer(replies.localError).statusCode, 503);
});

test('loopback addresses serve plain HTTP, others HTTPS', () => {
  assert.ok(isLoopback('127.0.0.1') && isLoopback('127.0.0.53') && isLoopback('::1') && isLoopback('localhost'));
  assert.ok(!isLoopback('0.0.0.0') && !isLoopback('::') && !isLoopback('192.0.2.1'));
});
