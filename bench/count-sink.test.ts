// The benchmark's own tools, over real loopback sockets: the count sink must
// count exactly the messages it answered 250 for, wherever the reads split
// the stream, and the load client must report what it sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startCountSink, type CountSink } from './count-sink.js';
import { buildBody, runLoad } from './load-client.js';

async function withSink(t: { after: (fn: () => Promise<void>) => void }): Promise<CountSink> {
  const sink = await startCountSink('127.0.0.1', 0);
  t.after(() => sink.close());
  return sink;
}

/** A raw client that writes the given pieces one by one and collects reply lines. */
async function converse(port: number, pieces: readonly string[], replyLines: number): Promise<string[]> {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  socket.setEncoding('latin1');
  let text = '';
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.split('\r\n').length - 1 >= replyLines) resolve();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  for (const piece of pieces) {
    socket.write(piece);
    // Let each piece arrive as its own read on the server side.
    await new Promise((r) => setTimeout(r, 5));
  }
  await done;
  socket.destroy();
  return text.split('\r\n').filter((l) => l !== '');
}

test('pipelined commands and a terminator split across reads: one message counted', async (t) => {
  const sink = await withSink(t);
  const lines = await converse(
    sink.port,
    ['EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n', 'Subject: x\r\n\r\nbody\r', '\n', '.', '\r', '\nQUIT\r\n'],
    11,
  );
  assert.deepEqual(
    lines.map((l) => l.slice(0, 4)),
    ['220 ', '250-', '250-', '250-', '250-', '250 ', '250 ', '250 ', '354 ', '250 ', '221 '],
  );
  assert.equal(sink.count(), 1);
});

test('a dot-stuffed line is not the end; an empty message is one message', async (t) => {
  const sink = await withSink(t);
  const lines = await converse(
    sink.port,
    ['HELO a\r\nMAIL FROM:<>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n', 'line\r\n..\r\nmore\r\n.\r\n', 'MAIL FROM:<>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n', '.\r\nQUIT\r\n'],
    11,
  );
  assert.deepEqual(
    lines.map((l) => l.slice(0, 3)),
    ['220', '250', '250', '250', '354', '250', '250', '250', '354', '250', '221'],
  );
  assert.equal(sink.count(), 2);
});

test('the load client sends N messages over S sessions, M per session, and the sink counts them', async (t) => {
  const sink = await withSink(t);
  const result = await runLoad({
    host: '127.0.0.1',
    port: sink.port,
    messages: 31,
    sessions: 3,
    messageBytes: 1000,
    messagesPerSession: 2,
    replyTimeoutMs: 10_000,
    timeLimitMs: 30_000,
  });
  assert.equal(result.accepted, 31);
  assert.equal(result.refused, 0);
  assert.deepEqual(result.errors, []);
  assert.equal(result.dotMs.length, 31);
  assert.equal(result.sessionMs.length, 16); // 15 sessions of 2, one of 1
  assert.ok(result.lastAcceptMs > result.startMs);
  assert.deepEqual(await sink.waitFor(31, 5_000), { count: 31, reached: true });
});

test('buildBody: exact size, CRLF lines, final dot', () => {
  for (const size of [0, 1, 2, 3, 78, 100, 4096]) {
    const body = buildBody(size);
    assert.equal(body.length, size - (size % 78 < 3 ? size % 78 : 0) + 3, `size ${size}`);
    assert.ok(body.subarray(-3).equals(Buffer.from('.\r\n')));
    assert.ok(!body.toString('latin1').slice(0, -3).split('\r\n').slice(0, -1).some((l) => l.startsWith('.')));
  }
});
