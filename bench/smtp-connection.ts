// A deliberately small SMTP client connection for measurement: one command at
// a time (no pipelining, no TLS, no AUTH), so that every timing is the
// server's reply to one command, as with Postfix's smtp-source.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface Reply {
  readonly code: number;
  readonly lines: readonly string[];
}

interface Waiter {
  readonly resolve: (reply: Reply) => void;
  readonly reject: (err: Error) => void;
}

export class SmtpConnection {
  private buffered = '';
  private lines: string[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly early: Reply[] = [];
  private failure: Error | undefined;

  private constructor(
    readonly socket: Socket,
    replyTimeoutMs: number,
  ) {
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed by server')));
    // One inactivity timer per socket rather than one timer per reply: it is
    // cheaper, and a silent server is the only way a reply can be late.
    socket.setTimeout(replyTimeoutMs, () => {
      if (this.waiters.length > 0) this.fail(new Error('reply timeout'));
    });
  }

  /** `implicitTls`: port 465 style, TLS from the first byte (api-bench's SMTP-with-TLS way; certificate not checked). */
  static open(host: string, port: number, timeoutMs: number, implicitTls = false): Promise<SmtpConnection> {
    return new Promise((resolve, reject) => {
      const socket = implicitTls ? tlsConnect({ host, port, rejectUnauthorized: false }) : connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect timeout to ${host}:${port}`));
      }, timeoutMs);
      socket.once(implicitTls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new SmtpConnection(socket, timeoutMs));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /**
   * After a 220 to STARTTLS: the same session over TLS (certificate not
   * checked: the bench's server has a generated one). This object must not
   * be used afterwards.
   */
  startTls(timeoutMs: number): Promise<SmtpConnection> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('error');
    plain.removeAllListeners('close');
    plain.setTimeout(0);
    return new Promise((resolve, reject) => {
      const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
      secure.once('secureConnect', () => {
        secure.removeAllListeners('error');
        resolve(new SmtpConnection(secure, timeoutMs));
      });
      secure.once('error', reject);
    });
  }

  /** The next complete reply (the greeting, or the answer to what was sent). */
  reply(): Promise<Reply> {
    const ready = this.early.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Send one command line (or a whole message) and wait for its reply. */
  async send(data: string | Buffer): Promise<Reply> {
    const pending = this.reply();
    this.socket.write(data);
    return pending;
  }

  /** Send a command; throw unless the reply's first digit is `klass`. */
  async command(line: string, klass: number): Promise<Reply> {
    const reply = await this.send(line + '\r\n');
    expectClass(reply, klass, line.split(' ')[0] ?? line);
    return reply;
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl).replace(/\r$/, '');
      this.buffered = this.buffered.slice(nl + 1);
      this.lines.push(line);
      // RFC 5321 §4.2.1: the last line of a reply has a space (or nothing)
      // after the code; continuation lines have a hyphen.
      if (line.length >= 3 && line[3] !== '-') {
        const reply: Reply = { code: Number(line.slice(0, 3)), lines: this.lines };
        this.lines = [];
        const waiter = this.waiters.shift();
        if (waiter) waiter.resolve(reply);
        else this.early.push(reply);
      }
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const waiter of this.waiters.splice(0)) waiter.reject(err);
    this.socket.destroy();
  }
}

export function expectClass(reply: Reply, klass: number, what: string): void {
  if (Math.floor(reply.code / 100) !== klass) throw new Error(`unexpected reply to ${what}: ${reply.lines.join(' | ')}`);
}
