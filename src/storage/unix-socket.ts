// Listening on a unix socket in the data directory, shared by the sendmail
// socket (sendmail/local-server.ts) and the control socket
// (status/control-socket.ts): a socket left by a server that died is removed
// first (two servers cannot both open one data directory's queue, so nothing
// listens on it), and the socket gets its documented mode once bound.
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';

export async function listenUnixSocket(path: string, mode: number, onConnection: (socket: Socket) => void): Promise<Server> {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // none
  }
  const server = createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Created with the umask's mode (its write bit is what connect needs): now the documented one.
  chmodSync(path, mode);
  return server;
}

/** Removes the socket file after close (a later start would remove it anyway). */
export function removeSocketFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
