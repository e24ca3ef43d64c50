// Table and property tests of the DATA reader: the end-of-data line
// (RFC 5321 §4.1.1.4: only CRLF "." CRLF — the SMTP-smuggling defence),
// dot-unstuffing (§4.5.2), the size limit, and bytes after the terminator.
// Every case is also fed in every 2-way split, byte by byte and (for short
// inputs) in every 3-way split: the result must not depend on how TCP cut it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataReader } from './data-reader.js';
import { seededRandom as prng } from '../../test/helpers/seeded-random.js';

interface Outcome {
  readonly done: boolean;
  /** latin1 text of the message; null when over the size limit; undefined while not done. */
  readonly message: string | null | undefined;
  /** latin1 text of everything after the end-of-data line, incl. chunks never pushed. */
  readonly rest: string | undefined;
}

/** Pushes chunks the way the session does: stop at the end, keep what is left as "rest". */
function feed(maxBytes: number, chunks: readonly Buffer[]): Outcome {
  const reader = new DataReader(maxBytes);
  for (let i = 0; i < chunks.length; i++) {
    const progress = reader.push(chunks[i] as Buffer);
    if (progress.done) {
      const rest = Buffer.concat([progress.rest, ...chunks.slice(i + 1)]);
      return { done: true, message: progress.message === undefined ? null : progress.message.toString('latin1'), rest: rest.toString('latin1') };
    }
  }
  return { done: false, message: undefined, rest: undefined };
}

const bin = (s: string): Buffer => Buffer.from(s, 'latin1');

function splits2(input: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  for (let i = 0; i <= input.length; i++) out.push([input.subarray(0, i), input.subarray(i)]);
  return out;
}

function splits3(input: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  for (let i = 0; i <= input.length; i++) {
    for (let j = i; j <= input.length; j++) out.push([input.subarray(0, i), input.subarray(i, j), input.subarray(j)]);
  }
  return out;
}

function bytewise(input: Buffer): Buffer[] {
  return [...input].map((b) => Buffer.from([b]));
}

/** Asserts the outcome of every way of cutting `input` equals the one-chunk outcome. */
function assertChunkingInvariant(input: Buffer, maxBytes: number, label: string): Outcome {
  const whole = feed(maxBytes, [input]);
  assert.deepEqual(feed(maxBytes, bytewise(input)), whole, `${label}: byte by byte`);
  for (const chunks of splits2(input)) assert.deepEqual(feed(maxBytes, chunks), whole, `${label}: split at ${chunks[0]?.length}`);
  if (input.length <= 40) {
    for (const chunks of splits3(input)) assert.deepEqual(feed(maxBytes, chunks), whole, `${label}: split at ${chunks[0]?.length}/${(chunks[0]?.length ?? 0) + (chunks[1]?.length ?? 0)}`);
  }
  return whole;
}

// [what, input after the DATA command line, expected message (null = too big), expected rest]
const DONE_CASES: [string, string, string | null, string][] = [
  ['empty message', '.\r\n', '', ''],
  ['one empty line', '\r\n.\r\n', '\r\n', ''],
  ['one line', 'a\r\n.\r\n', 'a\r\n', ''],
  ['pipelined commands after the end are the rest', 'a\r\n.\r\nMAIL FROM:<x@y>\r\nRCPT', 'a\r\n', 'MAIL FROM:<x@y>\r\nRCPT'],
  ['a second whole message after the end is the rest', 'a\r\n.\r\nb\r\n.\r\n', 'a\r\n', 'b\r\n.\r\n'],
  ['stuffed dot on the first line', '..a\r\n.\r\n', '.a\r\n', ''],
  ['stuffed dot alone on a line is a "." line', 'a\r\n..\r\n.\r\n', 'a\r\n.\r\n', ''],
  ['only the first dot is removed', 'a\r\n...b\r\n.\r\n', 'a\r\n..b\r\n', ''],
  ['a dot inside a line is kept', 'a.b\r\n .\r\n.\r\n', 'a.b\r\n .\r\n', ''],
  ['LF "." LF does not end the data', 'a\n.\nb\r\n.\r\n', 'a\n.\nb\r\n', ''],
  ['CR "." CR does not end the data', 'a\r.\rb\r\n.\r\n', 'a\r.\rb\r\n', ''],
  ['LF "." CRLF does not end the data', 'a\n.\r\nb\r\n.\r\n', 'a\n.\r\nb\r\n', ''],
  ['CR "." CRLF does not end the data', 'a\r.\r\nb\r\n.\r\n', 'a\r.\r\nb\r\n', ''],
  // RFC 5321 §4.5.2: a line starting with "." that is not just "." loses the dot,
  // whatever follows; CRLF "." LF is such a line, never the end.
  ['CRLF "." LF is a stuffed line, not the end', 'a\r\n.\nb\r\n.\r\n', 'a\r\n\nb\r\n', ''],
  ['CRLF "." CR x is a stuffed line', 'a\r\n.\rx\r\n.\r\n', 'a\r\n\rx\r\n', ''],
  ['smuggling payload stays content', 'a\r\n\n.\nMAIL FROM:<e@v>\r\nDATA\r\nevil\r\n.\r\nQUIT\r\n', 'a\r\n\n.\nMAIL FROM:<e@v>\r\nDATA\r\nevil\r\n', 'QUIT\r\n'],
  ['CRLF CRLF "." CRLF', 'a\r\n\r\n.\r\n', 'a\r\n\r\n', ''],
  ['8-bit bytes pass untouched', 'caf\xe9 \xff\x00\r\n.\r\n', 'caf\xe9 \xff\x00\r\n', ''],
  ['no final CRLF before the dot is impossible: ".x" then end', '.x\r\n.\r\n', 'x\r\n', ''],
];

for (const [what, input, message, rest] of DONE_CASES) {
  test(`data reader: ${what}`, () => {
    const outcome = assertChunkingInvariant(bin(input), 1_000_000, what);
    assert.deepEqual(outcome, { done: true, message, rest });
  });
}

const NOT_DONE_CASES: [string, string][] = [
  ['nothing yet', ''],
  ['no terminator', 'a\r\nb\r\n'],
  ['terminator without its final LF', 'a\r\n.\r'],
  ['terminator without its CRLF', 'a\r\n.'],
  ['bare LF terminator', 'a\n.\n'],
  ['bare CR terminator', 'a\r.\r'],
  ['LF "." CRLF', 'a\n.\r\n'],
  ['"." CRLF not at a line start', 'a.\r\n'],
];

for (const [what, input] of NOT_DONE_CASES) {
  test(`data reader: not the end: ${what}`, () => {
    const outcome = assertChunkingInvariant(bin(input), 1_000_000, what);
    assert.deepEqual(outcome, { done: false, message: undefined, rest: undefined });
  });
}

test('data reader: a message of exactly the limit is kept; one byte more is refused but the end is still found', () => {
  // The limit is on the un-stuffed message: "..bc\r\n" is 5 bytes once un-stuffed.
  assert.deepEqual(assertChunkingInvariant(bin('abc\r\n.\r\nNOOP\r\n'), 5, 'at limit'), { done: true, message: 'abc\r\n', rest: 'NOOP\r\n' });
  assert.deepEqual(assertChunkingInvariant(bin('..bc\r\n.\r\n'), 5, 'stuffed at limit'), { done: true, message: '.bc\r\n', rest: '' });
  assert.deepEqual(assertChunkingInvariant(bin('abcd\r\n.\r\nNOOP\r\n'), 5, 'over'), { done: true, message: null, rest: 'NOOP\r\n' });
  const big = bin('x'.repeat(5000) + '\r\n'.repeat(10) + '..y\r\n.\r\nQUIT\r\n');
  assert.deepEqual(feed(1000, [big]), { done: true, message: null, rest: 'QUIT\r\n' });
  assert.deepEqual(feed(1000, bytewise(big)), { done: true, message: null, rest: 'QUIT\r\n' });
});

test('data reader: size counts the un-stuffed message, also beyond the limit', () => {
  const reader = new DataReader(4);
  assert.equal(reader.push(bin('..ab\r\n')).done, false);
  assert.equal(reader.size, 3, 'the CRLF may still be the start of the end line, so it is not counted yet');
  assert.equal(reader.push(bin('xyz')).done, false);
  assert.equal(reader.size, 8);
  const end = reader.push(bin('\r\n.\r\n'));
  assert.equal(end.done, true);
  assert.equal(end.done && end.message, undefined);
  assert.equal(reader.size, 10);
});

test('data reader: the message does not share memory with the pushed chunks', () => {
  const chunk = bin('hello\r\n.\r\n');
  const progress = new DataReader(100).push(chunk);
  assert.ok(progress.done && progress.message);
  chunk.fill(0x41);
  assert.equal(progress.message.toString('latin1'), 'hello\r\n');
});

// ---- property test against a line-by-line reference ----------------------------

/** RFC 5321 §4.1.1.4/§4.5.2 read literally: lines end at CRLF only. */
function reference(input: string, maxBytes: number): Outcome {
  let out = '';
  let pos = 0;
  for (;;) {
    const eol = input.indexOf('\r\n', pos);
    if (eol === -1) return { done: false, message: undefined, rest: undefined };
    const line = input.slice(pos, eol);
    if (line === '.') return { done: true, message: out.length > maxBytes ? null : out, rest: input.slice(eol + 2) };
    out += (line.startsWith('.') ? line.slice(1) : line) + '\r\n';
    pos = eol + 2;
  }
}


test('data reader: random inputs of CR, LF, "." and text agree with the reference, however they are cut', () => {
  const random = prng(5321);
  const alphabet = ['\r', '\n', '.', 'a', '\r\n', '\r\n.', '\r\n.\r\n'];
  for (let n = 0; n < 3000; n++) {
    let input = '';
    const parts = 1 + Math.floor(random() * 14);
    for (let i = 0; i < parts; i++) input += alphabet[Math.floor(random() * alphabet.length)];
    const maxBytes = Math.floor(random() * 12);
    const expected = reference(input, maxBytes);
    const buf = bin(input);
    assert.deepEqual(feed(maxBytes, [buf]), expected, `one chunk: ${JSON.stringify(input)} max ${maxBytes}`);
    assert.deepEqual(feed(maxBytes, bytewise(buf)), expected, `byte by byte: ${JSON.stringify(input)}`);
    const cut = Math.floor(random() * (buf.length + 1));
    assert.deepEqual(feed(maxBytes, [buf.subarray(0, cut), buf.subarray(cut)]), expected, `cut at ${cut}: ${JSON.stringify(input)}`);
  }
});
