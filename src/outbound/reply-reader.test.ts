import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyFormatError, ReplyReader, type RawReply } from './reply-reader.js';

function drain(reader: ReplyReader): RawReply[] {
  const out: RawReply[] = [];
  for (let r = reader.shift(); r !== undefined; r = reader.shift()) out.push(r);
  return out;
}

const EHLO = '250-mx.test greets you\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n';

test('a multi-line reply is one reply; its lines and raw text are kept', () => {
  const reader = new ReplyReader();
  reader.push(Buffer.from(EHLO));
  const [reply, ...rest] = drain(reader);
  assert.deepEqual(rest, []);
  assert.equal(reply?.code, 250);
  assert.deepEqual(reply?.lines, ['mx.test greets you', 'PIPELINING', 'SIZE 1000', '8BITMIME']);
  assert.equal(reply?.raw, '250-mx.test greets you\n250-PIPELINING\n250-SIZE 1000\n250 8BITMIME');
  assert.equal(reader.empty, true);
});

test('several replies in one packet (a pipelined group) come out in order', () => {
  const reader = new ReplyReader();
  reader.push(Buffer.from('250 2.0.0 reset\r\n250 2.1.0 sender ok\r\n550-5.1.1 no\r\n550 5.1.1 such user\r\n354 go ahead\r\n'));
  assert.deepEqual(
    drain(reader).map((r) => [r.code, r.raw]),
    [
      [250, '250 2.0.0 reset'],
      [250, '250 2.1.0 sender ok'],
      [550, '550-5.1.1 no\n550 5.1.1 such user'],
      [354, '354 go ahead'],
    ],
  );
});

test('the same replies fed one byte at a time give the same result, and nothing before a reply is complete', () => {
  const text = `220 hello\r\n${EHLO}221 bye\r\n`;
  const whole = new ReplyReader();
  whole.push(Buffer.from(text));
  const expected = drain(whole);
  const reader = new ReplyReader();
  const got: RawReply[] = [];
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i++) {
    reader.push(bytes.subarray(i, i + 1));
    const out = drain(reader);
    // A reply appears exactly when its last line's LF arrives.
    if (out.length > 0) assert.equal(bytes[i], 0x0a);
    got.push(...out);
  }
  assert.deepEqual(got, expected);
  assert.equal(got.length, 3);
  assert.equal(reader.empty, true);
});

test('a partial line or a partial multi-line reply is held back', () => {
  const reader = new ReplyReader();
  reader.push(Buffer.from('250-first\r\n250 sec'));
  assert.equal(reader.shift(), undefined);
  assert.equal(reader.empty, false);
  reader.push(Buffer.from('ond\r\n'));
  assert.deepEqual(reader.shift()?.lines, ['first', 'second']);
});

test('bare LF line ends and a bare code ("421") are accepted', () => {
  const reader = new ReplyReader();
  reader.push(Buffer.from('250 ok\n421\r\n'));
  assert.deepEqual(drain(reader).map((r) => [r.code, r.lines]), [
    [250, ['ok']],
    [421, ['']],
  ]);
});

test('UTF-8 reply text is decoded (RFC 6531 servers)', () => {
  const reader = new ReplyReader();
  const bytes = Buffer.from('550 5.1.1 ユーザー不明\r\n');
  // Split inside a multi-byte character.
  reader.push(bytes.subarray(0, 12));
  reader.push(bytes.subarray(12));
  assert.equal(reader.shift()?.raw, '550 5.1.1 ユーザー不明');
});

test('a line that is not a reply line, or one without end, is an error', () => {
  for (const bad of ['hello\r\n', '25 short\r\n', '250_x\r\n', 'abc def\r\n']) {
    assert.throws(() => new ReplyReader().push(Buffer.from(bad)), ReplyFormatError, bad);
  }
  const reader = new ReplyReader();
  assert.throws(() => reader.push(Buffer.alloc(70 * 1024, 0x41)), ReplyFormatError);
  // The same, trickling in: refused once the held-back bytes pass the limit.
  const trickle = new ReplyReader();
  trickle.push(Buffer.from('250 '));
  assert.throws(() => {
    for (let i = 0; i < 70; i++) trickle.push(Buffer.alloc(1024, 0x41));
  }, ReplyFormatError);
});
