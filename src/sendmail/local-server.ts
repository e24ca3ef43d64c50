// The server side of `hikyaku sendmail`: the local socket (dataDir/sendmail.sock)
// and the maildrop pickup (dataDir/maildrop/), both handing each message to
// the sendmail adapter of the sending policy (local-policy.ts) and so to intake.
//
// Who may use them is decided by file permissions, as with Postfix:
//   sendmail.sock  mode 0660: the server's user and the members of its group;
//   maildrop/      mode 3730 (setgid, sticky, group -wx): the same people may
//                  drop files into it but not list or read it; files take the
//                  server's group (setgid) so the server can read them, and
//                  only their owner or the server can remove them (sticky).
// To let www-data send: `usermod -aG hikyaku www-data` (README).
//
// A maildrop file is deleted only once intake has the message on disk. A
// file the policy refuses becomes a bounce to its sender (the null sender:
// the file is moved to maildrop-refused/ with a log line) — never lost. A
// temporary failure leaves the file for the next scan.
import type { Socket } from 'node:net';
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, unlinkSync, watch, type FSWatcher } from 'node:fs';
import { listenUnixSocket } from '../storage/unix-socket.js';
import { readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Intake } from '../intake/intake.js';
import type { Logger } from '../log/logger.js';
import { buildDsn } from '../bounce/dsn.js';
import { formatReply, smtpReply } from '../core/smtp-reply.js';
import { replies } from '../core/replies.js';
import { decodeFrame, encodeReply, frameLength, sendmailPaths } from './frame.js';
import type { LocalSubmission, RefusedRecipient } from './local-policy.js';

export const SOCKET_MODE = 0o660;
export const MAILDROP_MODE = 0o3730;
/** Scanned this often besides fs.watch (which can miss events, e.g. on network file systems). */
const SCAN_INTERVAL_MS = 5_000;
/** A client that sends nothing for this long is cut off. */
const SOCKET_IDLE_MS = 60_000;

export interface LocalServerOptions {
  readonly dataDir: string;
  readonly hostname: string;
  readonly submission: LocalSubmission;
  readonly intake: Intake;
  readonly logger: Logger;
  readonly maxMessageBytes: number;
}

export interface RunningLocalServer {
  readonly socketPath: string;
  /** Starts taking up the maildrop: called once the scheduler runs, so that its messages are delivered at once. */
  startPickup(): void;
  close(): Promise<void>;
}

export async function startLocalServer(o: LocalServerOptions): Promise<RunningLocalServer> {
  const paths = sendmailPaths(o.dataDir);
  const server = await listenSocket(paths.socket, o);
  const pickup = new MaildropPickup(paths.maildrop, paths.refused, o);
  return {
    socketPath: paths.socket,
    startPickup: () => pickup.start(),
    async close() {
      await pickup.stop();
      await server.close();
      try {
        unlinkSync(paths.socket);
      } catch {
        // already gone
      }
    },
  };
}

async function listenSocket(path: string, o: LocalServerOptions): Promise<{ close(): Promise<void> }> {
  // Clients still sending (not yet handed to intake): cut off at close; those being stored get their answer.
  const sending = new Set<Socket>();
  const server = await listenUnixSocket(path, SOCKET_MODE, (socket) => {
    sending.add(socket);
    socket.on('close', () => sending.delete(socket));
    serveClient(socket, o, () => sending.delete(socket));
  });
  server.on('error', (err) => o.logger.error({ err }, 'sendmail socket error'));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sending) s.destroy();
      }),
  };
}

function serveClient(socket: Socket, o: LocalServerOptions, submitting: () => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  let expected: number | undefined;
  socket.setTimeout(SOCKET_IDLE_MS, () => socket.destroy());
  socket.on('error', () => undefined);
  const answer = (line: string): void => {
    done = true;
    socket.end(line);
  };
  socket.on('data', (chunk: Buffer) => {
    if (done) return;
    chunks.push(chunk);
    size += chunk.length;
    // The envelope line and the message: refuse a stream far beyond the size limit instead of buffering it.
    if (size > o.maxMessageBytes + 1_048_576) return answer(encodeReply(replies.messageTooBig));
    // Concatenated once the whole frame is here (its length is in the envelope line), not at every chunk.
    if (expected === undefined) {
      const head = chunks.length === 1 ? chunk : Buffer.concat(chunks);
      chunks.length = 0;
      chunks.push(head);
      expected = frameLength(head);
    }
    if (expected !== undefined && expected >= 0 && size < expected) return;
    const frame = decodeFrame(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    if (frame.state === 'partial') return;
    if (frame.state === 'invalid') return answer(encodeReply(smtpReply(500, '5.5.2', `Bad sendmail request: ${frame.problem}`)));
    done = true;
    submitting();
    socket.pause();
    void o.submission.submit(frame.envelope, frame.message, 'sendmail').then(
      (a) => socket.end(encodeReply(a.reply) + a.refused.map((r) => encodeReply(r.reply)).join('')),
      (err: unknown) => {
        o.logger.error({ err }, 'sendmail socket: submission failed');
        socket.end(encodeReply(replies.localError));
      },
    );
  });
}

class MaildropPickup {
  readonly #dir: string;
  readonly #refusedDir: string;
  readonly #o: LocalServerOptions;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(dir: string, refusedDir: string, o: LocalServerOptions) {
    this.#dir = dir;
    this.#refusedDir = refusedDir;
    this.#o = o;
  }

  start(): void {
    mkdirSync(this.#dir, { recursive: true });
    // mkdir's mode is filtered by the umask and ignored for an existing directory.
    chmodSync(this.#dir, MAILDROP_MODE);
    try {
      this.#watcher = watch(this.#dir, () => this.scan());
      this.#watcher.on('error', (err) => this.#o.logger.warn({ err }, 'maildrop: watch failed; the periodic scan goes on'));
    } catch (err) {
      this.#o.logger.warn({ err }, 'maildrop: cannot watch; scanning every 5 s');
    }
    this.#timer = setInterval(() => this.scan(), SCAN_INTERVAL_MS);
    this.#timer.unref();
    this.scan();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watcher?.close();
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One scan at a time; a request during a scan runs another after it. */
  scan(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.#scanOnce()
      .catch((err: unknown) => this.#o.logger.error({ err }, 'maildrop: scan failed'))
      .finally(() => {
        this.#running = undefined;
        if (this.#again && !this.#stopped) {
          this.#again = false;
          this.scan();
        }
      });
  }

  async #scanOnce(): Promise<void> {
    const names = (await readdir(this.#dir)).filter((n) => !n.startsWith('.')).sort();
    // A group member's client cannot fsync the directory it renamed its file in (it may not read it): done here.
    if (names.length > 0) syncDirectory(this.#dir);
    for (const name of names) {
      if (this.#stopped) return;
      await this.#pickUp(name);
    }
  }

  async #pickUp(name: string): Promise<void> {
    const { logger, submission } = this.#o;
    const path = join(this.#dir, name);
    let data: Buffer;
    let arrivalMs: number;
    try {
      [data, arrivalMs] = await Promise.all([readFile(path), stat(path).then((s) => s.mtimeMs)]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.error({ err, file: name }, 'maildrop: cannot read file; left in place');
      return;
    }
    const frame = decodeFrame(data);
    if (frame.state !== 'complete') {
      await this.#setAside(name, `not a sendmail file (${frame.state === 'invalid' ? frame.problem : 'truncated'})`);
      return;
    }
    const { envelope, message } = frame;
    const answer = await submission.submit(envelope, message, 'maildrop');
    if (answer.reply.code >= 400 && answer.reply.code < 500) {
      logger.warn({ event: 'maildrop-deferred', file: name, reply: formatReply(answer.reply) }, 'maildrop: temporary failure; retried at the next scan');
      return;
    }
    const failed: RefusedRecipient[] =
      answer.reply.code >= 500 ? envelope.rcptTo.map((rcptTo) => answer.refused.find((r) => r.rcptTo === rcptTo) ?? { rcptTo, reply: answer.reply }) : [...answer.refused];
    if (failed.length > 0) {
      logger.warn(
        { event: 'maildrop-refused', file: name, queueId: answer.queueId, mailFrom: envelope.mailFrom, localUser: envelope.localUser, refused: failed.map((f) => ({ rcptTo: f.rcptTo, reply: formatReply(f.reply) })) },
        'maildrop: message refused by the sending policy',
      );
      if (envelope.mailFrom === '') {
        await this.#setAside(name, 'refused, and the null sender cannot get a bounce');
        return;
      }
      try {
        await this.#bounce(name, envelope.mailFrom, message, arrivalMs, failed);
      } catch (err) {
        logger.error({ err, file: name }, 'maildrop: could not queue the bounce; the file is left for the next scan');
        return;
      }
    }
    try {
      await unlink(path);
    } catch (err) {
      logger.error({ err, file: name }, 'maildrop: could not remove a queued file (it would be sent again at the next scan)');
    }
  }

  /** An RFC 3464 report to the sender, through intake like every DSN. */
  async #bounce(name: string, mailFrom: string, message: Buffer, arrivalMs: number, failed: readonly RefusedRecipient[]): Promise<void> {
    const { hostname, intake } = this.#o;
    const nowMs = Date.now();
    const dsn = buildDsn({
      kind: 'failure',
      reportingMta: hostname,
      queueId: name.replace(/[^0-9A-Za-z]/g, ''),
      envId: undefined,
      arrivalDateMs: arrivalMs,
      originalMailFrom: mailFrom,
      originalMessage: message,
      recipients: failed.map((f) => ({
        rcptTo: f.rcptTo,
        action: 'failed' as const,
        status: f.reply.enhanced ?? '5.0.0',
        remoteMta: undefined,
        remoteReply: undefined,
        detail: formatReply(f.reply).replace(/\n/g, ' '),
        lastAttemptAtMs: undefined,
      })),
      nowMs,
    });
    const submitter = { clientIp: '127.0.0.1', clientHostname: '', helo: hostname, user: undefined, protocol: 'LOCAL', tls: undefined, via: 'bounce' };
    const id = await intake.accept({ envelope: dsn.envelope, message: dsn.message, submitter, stamp: false });
    this.#o.logger.info({ event: 'bounce', queueId: id, file: name, to: mailFrom }, 'maildrop: bounce queued for a refused message');
  }

  async #setAside(name: string, why: string): Promise<void> {
    mkdirSync(this.#refusedDir, { recursive: true, mode: 0o700 });
    try {
      await rename(join(this.#dir, name), join(this.#refusedDir, name));
      syncDirectory(this.#refusedDir);
      syncDirectory(this.#dir);
      this.#o.logger.error({ event: 'maildrop-set-aside', file: join(this.#refusedDir, name), reason: why }, 'maildrop: file set aside, not sent');
    } catch (err) {
      this.#o.logger.error({ err, file: name, reason: why }, 'maildrop: could not set a file aside; left in place');
    }
  }
}

/** fsync a directory, so that a rename or an unlink in it is on disk. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
