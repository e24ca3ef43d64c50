import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCrlfCanonical, toCrlf } from './canonical.js';
import { randomSource } from '../../test/helpers/seeded-random.js';

test('already-CRLF message is returned as the same Buffer instance', () => {
  const msg = Buffer.from('Subject: a\r\n\r\nline 1\r\nline 2\r\n');
  assert.equal(toCrlf(msg), msg);
  assert.equal(isCrlfCanonical(msg), true);
});

test('empty message and message without line endings are canonical', () => {
  const empty = Buffer.alloc(0);
  assert.equal(toCrlf(empty), empty);
  const one = Buffer.from('no line ending');
  assert.equal(toCrlf(one), one);
});

test('bare LF becomes CRLF', () => {
  assert.equal(toCrlf(Buffer.from('a\nb\n\nc')).toString(), 'a\r\nb\r\n\r\nc');
});

test('bare CR becomes CRLF, including a trailing CR', () => {
  assert.equal(toCrlf(Buffer.from('a\rb\r\rc\r')).toString(), 'a\r\nb\r\n\r\nc\r\n');
});

test('mixed endings: CRLF kept as one ending, bare CR and LF converted', () => {
  const input = Buffer.from('h: 1\r\nh: 2\nh: 3\r\r\nbody\n\rend\r\n');
  // "\r\r\n" is a bare CR then a CRLF; "\n\r" is a bare LF then a bare CR.
  assert.equal(toCrlf(input).toString(), 'h: 1\r\nh: 2\r\nh: 3\r\n\r\nbody\r\n\r\nend\r\n');
});

test('leading LF and 8-bit bytes survive unchanged apart from the ending', () => {
  const input = Buffer.concat([Buffer.from('\n'), Buffer.from('日本語\n', 'utf8'), Buffer.from([0xff, 0x0a])]);
  const out = toCrlf(input);
  assert.deepEqual(out, Buffer.concat([Buffer.from('\r\n'), Buffer.from('日本語\r\n', 'utf8'), Buffer.from([0xff, 0x0d, 0x0a])]));
  assert.equal(isCrlfCanonical(out), true);
});

/** The rule, byte by byte: CRLF stays, a bare CR or a bare LF becomes CRLF. */
function referenceToCrlf(input: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const byte = input[i] as number;
    if (byte === 0x0d && input[i + 1] === 0x0a) {
      out.push(0x0d, 0x0a);
      i++;
    } else if (byte === 0x0d || byte === 0x0a) {
      out.push(0x0d, 0x0a);
    } else {
      out.push(byte);
    }
  }
  return Buffer.from(out);
}

test('generated mixes of endings and text agree with the byte-by-byte rule', () => {
  const alphabet = [0x0d, 0x0a, 0x0d, 0x0a, 0x61, 0x20, 0xff, 0x00];
  const random = randomSource(11);
  for (let round = 0; round < 5000; round++) {
    const input = Buffer.from(Array.from({ length: random(24) }, () => alphabet[random(alphabet.length)] as number));
    const expected = referenceToCrlf(input);
    const out = toCrlf(input);
    assert.deepEqual(out, expected, JSON.stringify(input.toString('latin1')));
    assert.equal(isCrlfCanonical(input), expected.equals(input));
    if (expected.equals(input)) assert.equal(out, input, 'canonical input is returned as it is');
  }
});

test('an LF-only 4 KiB message: every line ending becomes CRLF, the text is untouched', () => {
  const lines = Array.from({ length: 60 }, (_, i) => `line ${i} ${'x'.repeat(i)}`);
  const out = toCrlf(Buffer.from(lines.join('\n') + '\n'));
  assert.equal(out.toString(), lines.join('\r\n') + '\r\n');
});

