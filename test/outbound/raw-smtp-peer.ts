// A hand-written receiving SMTP server on node:net for the client tests that
// smtp-server cannot play: no PIPELINING (and a check that the client waits
// for each reply), replies written byte by byte, scripted refusals, 421 and
// hang-ups, and a record of the exact bytes received after DATA.
import type { TestContext } from 'node:test';
import { createServer, type Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';

export interface PeerConnection {
  /** Command lines received, without CRLF, in order. */
  readonly commands: string[];
  /** Message payloads as received on the wire (still dot-stuffed), without the end line ".". */
  readonly payloads: Buffer[];
  /** Bytes received after a 354, payloads and end lines included. */
  dataBytes: number;
  /** Without PIPELINING: a command (or data) that arrived before the reply to the previous command. */
  readonly violations: string[];
  readonly socket: Socket;
}

/**
 * What to answer: a reply text ("250 ok", multi-line with "\r\n"; a 421 is
 * followed by closing the connection, RFC 5321 §3.8), 'hangup' to close
 * without answering, or 'silent' to say nothing and keep the connection.
 */
export type PeerAnswer = string | 'hangup' | 'silent';

export interface RawPeerOptions {
  host: string;
  /** Advertise PIPELINING; when false every early command is recorded as a violation. */
  pipelining: boolean;
  /** Further EHLO keywords, e.g. ['SIZE 1000', '8BITMIME']. */
  extensions?: string[];
  /** Write every reply one byte per write, each in its own event-loop turn. */
  byteByByte?: boolean;
  /**
   * Hold the replies to RSET, MAIL and RCPT until DATA arrives, then write them
   * all (and DATA's) in one write: a client that waits for a reply before
   * sending the rest of a pipelined group never gets one.
   */
  holdUntilData?: boolean;
  /** Answer for a command (upper-case verb first), or undefined for the default. `n` counts connections from 1. */
  answer?: (command: string, conn: PeerConnection, n: number) => PeerAnswer | undefined;
  /** Answer for the end of the message data; default "250 2.0.0 queued". */
  answerData?: (payload: Buffer, conn: PeerConnection) => PeerAnswer | undefined;
}

export interface RawPeer {
  readonly port: number;
  readonly connections: PeerConnection[];
}

const END_OF_DATA = Buffer.from('\r\n.\r\n');

export async function startRawPeer(t: TestContext, options: RawPeerOptions): Promise<RawPeer> {
  const connections: PeerConnection[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    const conn: PeerConnection = { commands: [], payloads: [], dataBytes: 0, violations: [], socket };
    connections.push(conn);
    serve(socket, conn, connections.length, options);
  });
  await new Promise<void>((resolve) => server.listen(0, options.host, resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('raw peer: no TCP address');
  return { port: address.port, connections };
}

function serve(socket: Socket, conn: PeerConnection, n: number, options: RawPeerOptions): void {
  let buffer = Buffer.alloc(0);
  let inData = false;
  let accepted = 0;
  // Replies go out in order even when written byte by byte.
  let writing = Promise.resolve();
  const write = (text: string): void => {
    writing = writing.then(async () => {
      if (socket.destroyed) return;
      if (!options.byteByByte) {
        socket.write(text);
        return;
      }
      for (const byte of Buffer.from(text)) {
        if (socket.destroyed) return;
        socket.write(Buffer.of(byte));
        await nextTurn();
      }
    });
  };
  let held = '';
  const reply = (answer: PeerAnswer): void => {
    if (answer === 'silent') return;
    if (answer === 'hangup') {
      void writing.then(() => socket.destroy());
      return;
    }
    write(`${held}${answer}\r\n`);
    held = '';
    if (answer.startsWith('421')) void writing.then(() => socket.destroy());
  };

  const defaults = (command: string): PeerAnswer => {
    const verb = command.split(' ')[0]?.toUpperCase() ?? '';
    if (verb === 'EHLO') {
      const keywords = [...(options.pipelining ? ['PIPELINING'] : []), ...(options.extensions ?? [])];
      const lines = ['peer.test hello', ...keywords];
      return lines.map((l, i) => `250${i === lines.length - 1 ? ' ' : '-'}${l}`).join('\r\n');
    }
    if (verb === 'HELO' || verb === 'RSET' || verb === 'NOOP') return '250 2.0.0 ok';
    if (verb === 'MAIL') {
      accepted = 0;
      return '250 2.1.0 sender ok';
    }
    if (verb === 'RCPT') return '250 2.1.5 recipient ok';
    if (verb === 'DATA') return accepted > 0 ? '354 go ahead' : '554 5.5.1 no valid recipients';
    if (verb === 'QUIT') return '221 2.0.0 bye';
    return '502 5.5.2 unknown command';
  };

  reply('220 peer.test ESMTP raw peer');
  let finished = false;
  socket.on('data', (chunk: Buffer) => {
    if (finished) return;
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (inData) {
        conn.dataBytes += chunk.length;
        chunk = Buffer.alloc(0);
        // The payload ends with CRLF "." CRLF; an empty payload is just "." CRLF.
        const end = buffer.subarray(0, 3).equals(Buffer.from('.\r\n')) ? -2 : buffer.indexOf(END_OF_DATA);
        if (end === -1) return;
        const payload = end === -2 ? Buffer.alloc(0) : buffer.subarray(0, end + 2);
        buffer = buffer.subarray(end === -2 ? 3 : end + END_OF_DATA.length);
        conn.payloads.push(payload);
        inData = false;
        if (buffer.length > 0 && !options.pipelining) conn.violations.push('command sent before the reply to the message data');
        reply(options.answerData?.(payload, conn) ?? '250 2.0.0 queued');
        continue;
      }
      const lf = buffer.indexOf('\r\n');
      if (lf === -1) return;
      const command = buffer.subarray(0, lf).toString('utf8');
      buffer = buffer.subarray(lf + 2);
      conn.commands.push(command);
      // RFC 2920 §3.1 aside, a client must wait for each reply: anything already
      // buffered behind this command was sent before we answered it.
      if (buffer.length > 0 && !options.pipelining) conn.violations.push(`sent before the reply to ${command}`);
      const answer = options.answer?.(command, conn, n) ?? defaults(command);
      const verb = command.split(' ')[0]?.toUpperCase();
      if (verb === 'RCPT' && answer.startsWith('2')) accepted++;
      if (verb === 'DATA' && answer.startsWith('354')) {
        inData = true;
        chunk = buffer;
      }
      const special = answer === 'hangup' || answer === 'silent' || answer.startsWith('421');
      if (options.holdUntilData && !special && (verb === 'RSET' || verb === 'MAIL' || verb === 'RCPT')) held += `${answer}\r\n`;
      else reply(answer);
      // After a hang-up or a 421 nothing more is read.
      if (answer === 'hangup' || answer.startsWith('421')) {
        finished = true;
        return;
      }
      if (verb === 'QUIT') {
        void writing.then(() => socket.end());
        return;
      }
    }
  });
}
