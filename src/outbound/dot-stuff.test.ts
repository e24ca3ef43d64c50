import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataChunks } from './dot-stuff.js';

function wire(message: string | Buffer, chunkSize?: number): string {
  const m = typeof message === 'string' ? Buffer.from(message, 'latin1') : message;
  return Buffer.concat([...dataChunks(m, chunkSize)].flat()).toString('latin1');
}

test('lines starting with "." get one more; the end line follows the last CRLF (RFC 5321 §4.5.2, §4.1.1.4)', () => {
  assert.equal(wire('Subject: x\r\n\r\n.hidden\r\nline\r\n..two\r\n.\r\nend\r\n'), 'Subject: x\r\n\r\n..hidden\r\nline\r\n...two\r\n..\r\nend\r\n.\r\n');
  // A dot at the very start of the message, and a dot that is not at a line start.
  assert.equal(wire('.first\r\na.b\r\n'), '..first\r\na.b\r\n.\r\n');
});

test('a message without a final line end gets one before the end line; an empty one is just "."', () => {
  assert.equal(wire('no newline'), 'no newline\r\n.\r\n');
  assert.equal(wire(''), '.\r\n');
  assert.equal(wire('.'), '..\r\n.\r\n');
});

/** A chunk's bytes: a Buffer, or a group written together in one system call. */
function size(chunk: Buffer | readonly Buffer[]): number {
  return Buffer.isBuffer(chunk) ? chunk.length : chunk.reduce((n, b) => n + b.length, 0);
}

test('a message that fits the chunk size is one write (one system call), the message not copied', () => {
  const m = Buffer.from('Subject: ok\r\n\r\nbody\r\n');
  const chunks = [...dataChunks(m)];
  assert.equal(chunks.length, 1);
  assert.equal(Buffer.concat(chunks.flat()).toString(), 'Subject: ok\r\n\r\nbody\r\n.\r\n');
  const group = chunks[0] as readonly Buffer[];
  assert.ok(!Buffer.isBuffer(group) && group[0]?.buffer === m.buffer, 'a view of the message, not a copy');
  // With a line to stuff the message is copied into one Buffer.
  const stuffed = [...dataChunks(Buffer.from('a\r\n.b\r\n'))];
  assert.equal(stuffed.length, 1);
  assert.ok(Buffer.isBuffer(stuffed[0]));
});

test('any chunk size gives the same bytes, every chunk within the size', () => {
  const lines: string[] = [];
  for (let i = 0; i < 500; i++) lines.push(i % 7 === 0 ? `.dot line ${i}` : `line ${i} ${'x'.repeat(i % 50)}`);
  const message = Buffer.from(lines.join('\r\n') + '\r\n');
  const whole = wire(message);
  for (const max of [5, 6, 64, 1000, 4096, 1 << 20]) {
    const chunks = [...dataChunks(message, max)];
    assert.ok(chunks.every((c) => size(c) <= max && size(c) > 0), `size ${max}`);
    assert.equal(Buffer.concat(chunks.flat()).toString('latin1'), whole, `size ${max}`);
  }
  const noDots = Buffer.from(lines.map((l) => l.replace(/^\./, '')).join('\r\n') + '\r\n');
  for (const max of [5, 100, 4096]) {
    const chunks = [...dataChunks(noDots, max)];
    assert.ok(chunks.every((c) => size(c) <= max && size(c) > 0));
    assert.equal(Buffer.concat(chunks.flat()).toString('latin1'), noDots.toString('latin1') + '.\r\n');
  }
});

test('a chunk size smaller than an end line is refused', () => {
  assert.throws(() => [...dataChunks(Buffer.from('x'), 4)], RangeError);
});
