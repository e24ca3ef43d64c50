// Tests of the BDAT chunk reader (RFC 3030): the command's argument, exactly
// <size> octets taken whatever they hold, the rest left for the next command,
// in every split of the input; dropped chunks keep nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BdatMessage, ChunkReader, parseBdat } from './bdat-reader.js';

test('parseBdat: size and LAST; a size that is not 1*DIGIT or past 2^53 cannot be used', () => {
  assert.deepEqual(parseBdat('0 LAST'), { ok: true, size: 0, last: true });
  assert.deepEqual(parseBdat('100'), { ok: true, size: 100, last: false });
  assert.deepEqual(parseBdat('100 last'), { ok: true, size: 100, last: true });
  assert.deepEqual(parseBdat('0012  LAST'), { ok: true, size: 12, last: true });
  assert.deepEqual(parseBdat('10000000000'), { ok: true, size: 10_000_000_000, last: false });
  // The size parsed: the octets can still be skipped, but the command is wrong.
  assert.deepEqual(parseBdat('100 FIRST'), { ok: false, size: 100 });
  assert.deepEqual(parseBdat('100 LAST now'), { ok: false, size: 100 });
  for (const bad of ['', 'LAST', '-1', '+5', '1e3', '0x10', '12a', '9007199254740992', '99999999999999999', '5x']) {
    assert.deepEqual(parseBdat(bad), { ok: false, size: undefined }, JSON.stringify(bad));
  }
  assert.deepEqual(parseBdat('9007199254740991'), { ok: true, size: 9007199254740991, last: false });
});

/** Feeds `input` cut at `cuts` into chunks of the given sizes; returns the message and what followed. */
function read(sizes: readonly number[], input: Buffer, cuts: readonly number[]): { message: string; rest: string } {
  const message = new BdatMessage();
  const pieces: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    pieces.push(input.subarray(from, cut));
    from = cut;
  }
  let rest = '';
  let chunk = 0;
  let reader: ChunkReader | undefined = sizes.length > 0 ? new ChunkReader(sizes[0]!, message) : undefined;
  for (const piece of pieces) {
    let left: Buffer | undefined = piece;
    while (left !== undefined && left.length > 0) {
      if (reader === undefined) {
        rest += left.toString('latin1');
        break;
      }
      const progress = reader.push(left);
      if (!progress.done) break;
      left = progress.rest;
      chunk++;
      reader = chunk < sizes.length ? new ChunkReader(sizes[chunk]!, message) : undefined;
    }
  }
  assert.equal(reader, undefined, 'every chunk complete');
  return { message: message.message().toString('latin1'), rest };
}

test('chunks are taken octet for octet, whatever they hold, in every 2-way split and byte by byte', () => {
  const content = 'Subject: x\r\n\r\nline\r\n.\r\nMAIL FROM:<evil@x>\r\n..dot\nbare LF\rbare CR\0NUL\r\n';
  const sizes = [10, 0, content.length - 10];
  const input = Buffer.from(content + 'QUIT\r\n', 'latin1');
  for (let cut = 0; cut <= input.length; cut++) {
    assert.deepEqual(read(sizes, input, [cut]), { message: content, rest: 'QUIT\r\n' }, `cut at ${cut}`);
  }
  const everyByte = Array.from({ length: input.length - 1 }, (_, i) => i + 1);
  assert.deepEqual(read(sizes, input, everyByte), { message: content, rest: 'QUIT\r\n' });
});

test('a large chunk fed in odd pieces is kept whole (blocks of at most 64 KiB)', () => {
  const size = 200_000;
  const content = Buffer.alloc(size);
  for (let i = 0; i < size; i++) content[i] = (i * 7) & 0xff;
  const message = new BdatMessage();
  const reader = new ChunkReader(size, message);
  let at = 0;
  let step = 1;
  for (;;) {
    const progress = reader.push(content.subarray(at, Math.min(size, at + step)));
    at = Math.min(size, at + step);
    step = (step * 3 + 1) % 70_000;
    if (progress.done) break;
  }
  assert.equal(message.size, size);
  assert.ok(message.message().equals(content));
});

test('a dropped chunk (no message) keeps nothing and still ends exactly at its size', () => {
  const reader = new ChunkReader(10_000_000_000, undefined);
  const block = Buffer.alloc(1024 * 1024, 0x41);
  for (let i = 0; i < 100; i++) assert.deepEqual(reader.push(block), { done: false });
  const small = new ChunkReader(5, undefined);
  const progress = small.push(Buffer.from('12345RSET\r\n'));
  assert.equal(progress.done, true);
  assert.equal(progress.done && progress.rest?.toString(), 'RSET\r\n');
  assert.deepEqual(new ChunkReader(3, undefined).push(Buffer.from('abc')), { done: true, rest: undefined });
});
