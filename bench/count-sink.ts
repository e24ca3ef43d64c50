// A minimal, fast counting SMTP sink: accepts every message and throws it
// away, counting the messages whose final dot it answered with 250. It takes
// many messages per connection and pipelined commands (RFC 2920: replies are
// written once per read, in order). It is the next hop of the server under
// test, and the target of the baseline.
//
// Run as a child process (`node dist/bench/count-sink.js`), it talks to its
// parent over IPC (see SinkRequest / SinkEvent), so that its CPU time and
// memory are its own and it never competes with the load client's event loop.
import { createServer, type Server, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';

const TERMINATOR = Buffer.from('\r\n.\r\n');
const EHLO_REPLY = '250-sink.bench.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 0\r\n250 ENHANCEDSTATUSCODES\r\n';

export interface CountSink {
  readonly port: number;
  readonly server: Server;
  /** Messages answered 250 since the start (or the last reset). */
  count(): number;
  reset(): void;
  /** Resolves with the count once it reaches `n`, or when `timeoutMs` passes. */
  waitFor(n: number, timeoutMs: number): Promise<{ count: number; reached: boolean }>;
  close(): Promise<void>;
}

export async function startCountSink(host = '127.0.0.1', port = 0): Promise<CountSink> {
  let messages = 0;
  const waiters: { n: number; resolve: (reached: boolean) => void; timer: NodeJS.Timeout }[] = [];
  const counted = (): void => {
    messages++;
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w && messages >= w.n) {
        waiters.splice(i, 1);
        clearTimeout(w.timer);
        w.resolve(true);
      }
    }
  };
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveSession(socket, counted);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog: 4096 }, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    server,
    count: () => messages,
    reset: () => {
      messages = 0;
    },
    waitFor: (n, timeoutMs) =>
      new Promise((resolve) => {
        if (messages >= n) return resolve({ count: messages, reached: true });
        const timer = setTimeout(() => {
          const i = waiters.findIndex((w) => w.timer === timer);
          if (i >= 0) waiters.splice(i, 1);
          resolve({ count: messages, reached: false });
        }, timeoutMs);
        waiters.push({ n, timer, resolve: (reached) => resolve({ count: messages, reached }) });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One connection's state machine: command lines, or DATA until CRLF.CRLF. */
function serveSession(socket: Socket, counted: () => void): void {
  let inData = false;
  // In command mode: bytes of an unfinished line. In DATA: the last (up to 4)
  // bytes seen, because the terminator may straddle two reads.
  let pending: Buffer = Buffer.alloc(0);
  socket.on('error', () => {});
  socket.write('220 sink.bench.example ESMTP counting sink\r\n');
  socket.on('data', (chunk: Buffer) => {
    let out = '';
    let buf = chunk;
    for (;;) {
      if (inData) {
        const end = findTerminator(pending, buf);
        if (end < 0) {
          const joined = buf.length >= 4 ? buf : Buffer.concat([pending, buf]);
          pending = Buffer.from(joined.subarray(Math.max(0, joined.length - 4)));
          break;
        }
        buf = buf.subarray(end);
        pending = Buffer.alloc(0);
        inData = false;
        out += '250 2.0.0 Ok: counted\r\n';
        counted();
        continue;
      }
      const nl = buf.indexOf(10);
      if (nl < 0) {
        pending = pending.length ? Buffer.concat([pending, buf]) : Buffer.from(buf);
        break;
      }
      const lineBytes = pending.length ? Buffer.concat([pending, buf.subarray(0, nl)]) : buf.subarray(0, nl);
      pending = Buffer.alloc(0);
      buf = buf.subarray(nl + 1);
      const verb = lineBytes.toString('latin1', 0, 4).toUpperCase();
      if (verb === 'DATA') {
        out += '354 End data with <CR><LF>.<CR><LF>\r\n';
        inData = true;
        // The CRLF that ended the DATA line counts as the terminator's first
        // CRLF: an empty message is just ".\r\n" (RFC 5321 §4.1.1.4).
        pending = Buffer.from('\r\n');
      } else if (verb === 'QUIT') {
        socket.end(out + '221 2.0.0 Bye\r\n');
        return;
      } else if (verb === 'EHLO') out += EHLO_REPLY;
      else out += verb === 'HELO' ? '250 sink.bench.example\r\n' : '250 2.0.0 Ok\r\n';
    }
    if (out) socket.write(out);
  });
}

/**
 * Where the data after CRLF.CRLF starts in `buf`, given the `tail` bytes that
 * came before it; -1 when the terminator has not arrived yet.
 */
function findTerminator(tail: Buffer, buf: Buffer): number {
  if (tail.length > 0) {
    const seam = Buffer.concat([tail, buf.subarray(0, TERMINATOR.length - 1)]);
    const i = seam.indexOf(TERMINATOR);
    if (i >= 0) return i + TERMINATOR.length - tail.length;
  }
  const i = buf.indexOf(TERMINATOR);
  return i < 0 ? -1 : i + TERMINATOR.length;
}

/** Parent → sink child. */
export type SinkRequest = { type: 'reset' } | { type: 'count'; id: number } | { type: 'wait'; id: number; n: number; timeoutMs: number };

/** Sink child → parent. */
export type SinkEvent = { type: 'ready'; port: number } | { type: 'count'; id: number; count: number; reached: boolean };

async function runAsChild(): Promise<void> {
  const arg = process.argv[2] ?? '127.0.0.1:0';
  const [host, port] = arg.split(':');
  const sink = await startCountSink(host, Number(port ?? 0));
  const send = (event: SinkEvent): void => void process.send?.(event);
  process.on('message', (request: SinkRequest) => {
    if (request.type === 'reset') sink.reset();
    else if (request.type === 'count') send({ type: 'count', id: request.id, count: sink.count(), reached: true });
    else void sink.waitFor(request.n, request.timeoutMs).then(({ count, reached }) => send({ type: 'count', id: request.id, count, reached }));
  });
  // The parent's death (or its explicit disconnect) ends the sink.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: sink.port });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runAsChild();
