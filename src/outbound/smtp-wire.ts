// The byte level of an outbound SMTP connection: one TCP (later TLS) socket,
// commands written as whole strings, replies counted and handed out in
// order. It knows how many replies it is owed (a pipelined group of n
// commands is owed n, RFC 2920 §3.1), so a reply nobody asked for (a 421
// sent to an idle connection, RFC 5321 §3.8) is recognised instead of being
// taken for the answer to the next command.
//
// One timer per connection, refreshed whenever we start waiting for the
// server (a reply, room in the send buffer, a TLS handshake): cheaper than a
// timer per command, and idle pooled connections are left alone.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket, type ConnectionOptions } from 'node:tls';
import { ReplyFormatError, ReplyReader, type RawReply } from './reply-reader.js';

/** Why the connection can no longer be used. */
export interface WireEnd {
  /** 'closed': the server closed, reset or sent 421; 'timeout': no answer in time; 'protocol': not SMTP. */
  readonly kind: 'closed' | 'timeout' | 'protocol';
  readonly message: string;
}

/** The replies asked for, fewer when the connection ended first (`end` says why). */
export interface ReadResult {
  readonly replies: readonly RawReply[];
  readonly end: WireEnd | undefined;
}

export interface WireOptions {
  readonly ip: string;
  readonly port: number;
  readonly localAddress: string | undefined;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
}

/** The TCP connection could not be made. */
export class ConnectError extends Error {
  readonly errno: string;
  constructor(errno: string, message: string) {
    super(message);
    this.name = 'ConnectError';
    this.errno = errno;
  }
}

export class SmtpWire {
  private socket: Socket;
  private readonly reader = new ReplyReader();
  private readonly timer: NodeJS.Timeout;
  private readonly commandTimeoutMs: number;
  /** Replies the server owes us: the greeting, then one per command written. */
  private owed = 1;
  private readonly inbox: RawReply[] = [];
  private wanted = 0;
  private onReplies: ((result: ReadResult) => void) | undefined;
  private onDrainOrEnd: (() => void) | undefined;
  private onHandshake: ((error: string | undefined) => void) | undefined;
  private ending: WireEnd | undefined;
  private lastError: Error | undefined;
  private closed = false;
  private quitting = false;
  private readonly closeListeners: (() => void)[] = [];

  /** Open the TCP connection. Rejects with ConnectError. */
  static connect(options: WireOptions): Promise<SmtpWire> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({
        host: options.ip,
        port: options.port,
        // Our writes are whole commands or whole messages: never hold them back for Nagle.
        noDelay: true,
        ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      });
      const timer = setTimeout(() => {
        socket.off('error', onError);
        socket.on('error', () => undefined);
        socket.destroy();
        reject(new ConnectError('ETIMEDOUT', 'connection timed out'));
      }, options.connectTimeoutMs);
      const onError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        reject(new ConnectError(err.code ?? 'ECONNECTION', err.message));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new SmtpWire(socket, options.commandTimeoutMs));
      });
    });
  }

  private constructor(socket: Socket, commandTimeoutMs: number) {
    this.socket = socket;
    this.commandTimeoutMs = commandTimeoutMs;
    this.timer = setTimeout(this.onTimer, commandTimeoutMs);
    this.timer.unref();
    this.attach(socket);
  }

  /** False once the connection is closed, closing, timed out or out of step. */
  get open(): boolean {
    return this.ending === undefined;
  }

  /** Why the connection ended; undefined while it is open. */
  get ended(): WireEnd | undefined {
    return this.ending;
  }

  /** The negotiated TLS version and cipher, when TLS is up. */
  get tls(): { version: string; cipher: string } | undefined {
    const s = this.socket;
    if (!(s instanceof TLSSocket)) return undefined;
    const version = s.getProtocol();
    const cipher = s.getCipher();
    return version && cipher ? { version, cipher: cipher.name } : undefined;
  }

  /** The TLS socket once TLS is up, for the certificate check (certificate-check.ts). */
  get tlsSocket(): TLSSocket | undefined {
    return this.socket instanceof TLSSocket ? this.socket : undefined;
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** Write `text` (one or more complete command lines) in one write; the server owes `replies` replies for it. */
  send(text: string, replies: number): void {
    if (this.ending !== undefined) return;
    this.owed += replies;
    this.socket.write(text);
  }

  /**
   * Write the message data (after 354) chunk by chunk, waiting for the
   * socket to drain between chunks; the server owes one reply for it.
   * Resolves when everything is handed to the socket, or the connection ended.
   */
  async sendData(chunks: Iterable<Buffer | readonly Buffer[]>): Promise<void> {
    if (this.ending !== undefined) return;
    this.owed += 1;
    let flowing = true;
    for (const chunk of chunks) {
      if (!flowing) {
        await new Promise<void>((resolve) => {
          this.onDrainOrEnd = resolve;
          this.timer.refresh();
          this.socket.once('drain', this.drained);
        });
      }
      if (this.ending !== undefined) return;
      if (Buffer.isBuffer(chunk)) {
        flowing = this.socket.write(chunk);
        continue;
      }
      // A group (dot-stuff.ts: the message's last part and the end line): one writev.
      this.socket.cork();
      for (const piece of chunk) flowing = this.socket.write(piece);
      this.socket.uncork();
    }
  }

  /** The next `n` replies owed, in order. Never rejects. */
  read(n: number): Promise<ReadResult> {
    if (this.inbox.length >= n) return Promise.resolve({ replies: this.inbox.splice(0, n), end: undefined });
    if (this.ending !== undefined) return Promise.resolve({ replies: this.inbox.splice(0), end: this.ending });
    this.wanted = n;
    this.timer.refresh();
    return new Promise((resolve) => {
      this.onReplies = resolve;
    });
  }

  /**
   * Start TLS on this connection (after "220" to STARTTLS, or at once for
   * implicit TLS). Resolves to undefined when the handshake succeeded, or
   * the reason it failed (the connection is then closed).
   */
  startTls(options: ConnectionOptions): Promise<string | undefined> {
    if (this.ending !== undefined) return Promise.resolve(this.ending.message);
    // Anything the server sent after its "220" would be read as if it came
    // through TLS: the STARTTLS command injection of CVE-2011-0411. Refuse.
    if (!this.reader.empty || this.inbox.length > 0) {
      this.end({ kind: 'protocol', message: 'data received before the TLS handshake' });
      return Promise.resolve('server sent data before the TLS handshake');
    }
    const plain = this.socket;
    plain.off('data', this.onData);
    plain.off('close', this.onSocketClose);
    const secure = tlsConnect({ ...options, socket: plain });
    this.socket = secure;
    // Errors of the TCP socket below surface on the TLS socket; never let one go unhandled.
    secure.on('error', this.onError);
    secure.on('close', this.onSocketClose);
    return new Promise((resolve) => {
      const finish = (error: string | undefined): void => {
        if (this.onHandshake === undefined) return;
        this.onHandshake = undefined;
        secure.off('secureConnect', onSecure);
        if (error !== undefined) {
          this.end({ kind: 'closed', message: error });
          resolve(error);
          return;
        }
        secure.on('data', this.onData);
        resolve(undefined);
      };
      const onSecure = (): void => finish(undefined);
      this.onHandshake = finish;
      // A failed handshake closes the socket: onSocketClose → end() settles it with the error seen.
      secure.once('secureConnect', onSecure);
      this.timer.refresh();
    });
  }

  /** QUIT (RFC 5321 §4.1.1.10), then close once the server answered or closed; at most commandTimeoutMs. */
  quit(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.onClose(resolve));
    if (this.ending === undefined) {
      this.quitting = true;
      this.send('QUIT\r\n', 1);
      const timer = setTimeout(() => this.destroy(), this.commandTimeoutMs);
      this.onClose(() => clearTimeout(timer));
    } else {
      this.destroy();
    }
    return done;
  }

  /** Close at once, without QUIT. */
  destroy(): void {
    this.end({ kind: 'closed', message: 'connection closed by us' });
  }

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onSocketClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.reader.push(chunk);
    } catch (err) {
      if (!(err instanceof ReplyFormatError)) throw err;
      this.end({ kind: 'protocol', message: err.message });
      return;
    }
    for (let reply = this.reader.shift(); reply !== undefined; reply = this.reader.shift()) {
      if (this.owed === 0) {
        // A reply to nothing we sent: the server is closing (421) or we are out of step.
        const why = reply.code === 421 ? 'closed' : 'protocol';
        this.end({ kind: why, message: `unexpected reply ${JSON.stringify(reply.raw.slice(0, 200))}` });
        return;
      }
      this.owed--;
      if (this.quitting) {
        this.destroy();
        return;
      }
      this.inbox.push(reply);
      if (reply.code === 421) {
        // RFC 5321 §3.8: the server is closing the connection; nothing after this counts.
        this.end({ kind: 'closed', message: 'the server is closing the connection (421)' });
        return;
      }
    }
    if (this.onReplies !== undefined && this.inbox.length >= this.wanted) {
      const resolve = this.onReplies;
      this.onReplies = undefined;
      resolve({ replies: this.inbox.splice(0, this.wanted), end: undefined });
    }
  };

  private readonly onError = (err: Error): void => {
    this.lastError = err;
  };

  private readonly onSocketClose = (): void => {
    this.end({ kind: 'closed', message: this.lastError?.message ?? 'connection closed by the server' });
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    for (const listener of this.closeListeners.splice(0)) listener();
  };

  private readonly drained = (): void => {
    const resolve = this.onDrainOrEnd;
    this.onDrainOrEnd = undefined;
    resolve?.();
  };

  private readonly onTimer = (): void => {
    // Only a wait of ours can time out; an idle pooled connection is the pool's business.
    if (this.onReplies === undefined && this.onDrainOrEnd === undefined && this.onHandshake === undefined) return;
    const waited = this.onHandshake !== undefined ? 'the TLS handshake' : this.onReplies !== undefined ? 'a reply' : 'the server to read';
    this.end({ kind: 'timeout', message: `timed out after ${this.commandTimeoutMs} ms waiting for ${waited}` });
  };

  /** Stop using the connection: settle every wait, close the socket. */
  private end(why: WireEnd): void {
    if (this.ending !== undefined) return;
    this.ending = why;
    this.socket.destroy();
    const replies = this.onReplies;
    this.onReplies = undefined;
    replies?.({ replies: this.inbox.splice(0), end: why });
    this.drained();
    this.onHandshake?.(why.kind === 'timeout' ? 'TLS handshake timed out' : why.message);
  }
}
