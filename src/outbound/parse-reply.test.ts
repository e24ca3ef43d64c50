import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRemoteReply, parseReply } from './parse-reply.js';

const rows: { raw: string; expected: ReturnType<typeof parseReply> }[] = [
  { raw: '250 2.0.0 Ok: queued as ABC', expected: { code: 250, enhanced: '2.0.0', text: 'Ok: queued as ABC' } },
  { raw: '550 5.1.1 <a@b>: Recipient address rejected', expected: { code: 550, enhanced: '5.1.1', text: '<a@b>: Recipient address rejected' } },
  { raw: '451 Try again later', expected: { code: 451, enhanced: undefined, text: 'Try again later' } },
  // The enhanced code's class must match the basic code (RFC 3463 §2); otherwise it is just text.
  { raw: '550 4.1.1 odd', expected: { code: 550, enhanced: undefined, text: '4.1.1 odd' } },
  { raw: '550-5.7.1 first line\n550 5.7.1 second line', expected: { code: 550, enhanced: '5.7.1', text: 'first line second line' } },
  { raw: '421', expected: { code: 421, enhanced: undefined, text: '' } },
  { raw: '554 5.7.001 padded', expected: { code: 554, enhanced: '5.7.1', text: 'padded' } },
  { raw: 'garbage', expected: undefined },
  { raw: '', expected: undefined },
  { raw: '6000 nope', expected: undefined },
];

for (const row of rows) {
  test(`parseReply ${JSON.stringify(row.raw)}`, () => {
    assert.deepEqual(parseReply(row.raw), row.expected);
  });
}

test('formatRemoteReply writes one line', () => {
  assert.equal(formatRemoteReply({ code: 550, enhanced: '5.1.1', text: 'no such user' }), '550 5.1.1 no such user');
  assert.equal(formatRemoteReply({ code: 451, enhanced: undefined, text: 'later' }), '451 later');
});
