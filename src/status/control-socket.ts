// The running server's control socket, <dataDir>/control.sock (mode 0600, in
// the 0700 data directory: the server's own user and root only), through
// which `hikyaku status` asks the running server how it is. One request line
// ("status"), one JSON line back, then the connection closes. A separate
// socket from sendmail.sock, which is group-accessible by design (mail
// submission for web applications) while the status names addresses and
// errors meant for the administrator.
import { createConnection, type Server } from 'node:net';
import { listenUnixSocket, removeSocketFile } from '../storage/unix-socket.js';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { StatusReport } from './status-report.js';

export const CONTROL_SOCKET = 'control.sock';
export const CONTROL_SOCKET_MODE = 0o600;
const MAX_REQUEST_BYTES = 256;

export function controlSocketPath(dataDir: string): string {
  return join(dataDir, CONTROL_SOCKET);
}

export interface RunningControlSocket {
  readonly path: string;
  close(): Promise<void>;
}

export async function startControlSocket(dataDir: string, status: () => StatusReport, logger: Logger): Promise<RunningControlSocket> {
  const path = controlSocketPath(dataDir);
  const server: Server = await listenUnixSocket(path, CONTROL_SOCKET_MODE, (socket) => {
    let request = '';
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      request += chunk.toString('utf8');
      if (request.length > MAX_REQUEST_BYTES) return void socket.end(JSON.stringify({ error: 'request too long' }) + '\n');
      const end = request.indexOf('\n');
      if (end < 0) return;
      const command = request.slice(0, end).trim();
      if (command !== 'status') return void socket.end(JSON.stringify({ error: `unknown request "${command}" (known: status)` }) + '\n');
      try {
        socket.end(JSON.stringify(status()) + '\n');
      } catch (err) {
        logger.error({ err }, 'control socket: could not gather the status');
        socket.end(JSON.stringify({ error: `could not gather the status: ${(err as Error).message}` }) + '\n');
      }
    });
  });
  server.on('error', (err) => logger.error({ err }, 'control socket error'));
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        removeSocketFile(path);
      }),
  };
}

/** Why the running server could not be asked: not running (no socket, refused), no permission, or no answer. */
export class ControlUnreachable extends Error {
  constructor(
    readonly reason: 'not-running' | 'permission' | 'no-answer',
    message: string,
  ) {
    super(message);
    this.name = 'ControlUnreachable';
  }
}

export function requestStatus(dataDir: string, timeoutMs = 10_000): Promise<StatusReport> {
  const path = controlSocketPath(dataDir);
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let answer = '';
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new ControlUnreachable('no-answer', `${path}: no answer within ${timeoutMs} ms`));
    });
    socket.on('connect', () => socket.write('status\n'));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'EACCES' || err.code === 'EPERM' ? 'permission' : err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? 'not-running' : 'no-answer';
      reject(new ControlUnreachable(reason, `${path}: ${err.code ?? err.message}`));
    });
    socket.on('end', () => {
      try {
        const parsed = JSON.parse(answer) as StatusReport | { error: string };
        if ('error' in parsed) reject(new ControlUnreachable('no-answer', `${path}: ${parsed.error}`));
        else resolve(parsed);
      } catch {
        reject(new ControlUnreachable('no-answer', `${path}: the answer is not a status report`));
      }
    });
  });
}
