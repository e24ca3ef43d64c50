// A bare SMTP client for dialog tests: send one line, read one (possibly
// multi-line) reply. Unlike nodemailer it lets a test say things a
// well-behaved client would not (AUTH before STARTTLS, relay attempts…).
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export interface Reply {
  readonly code: number;
  readonly lines: string[];
  /** The whole reply text, lines joined with \n, without codes. */
  readonly text: string;
  /** The enhanced status code of the last line, if any. */
  readonly enhanced: string | undefined;
}

export class SmtpDialog {
  #socket: Socket | TLSSocket;
  #buffer = '';
  #waiters: (() => void)[] = [];
  #closed = false;

  private constructor(socket: Socket | TLSSocket) {
    this.#socket = socket;
    this.#attach(socket);
  }

  static async open(options: { host: string; port: number; localAddress?: string; implicitTls?: boolean }): Promise<SmtpDialog> {
    const socket = await new Promise<Socket | TLSSocket>((resolve, reject) => {
      const s = options.implicitTls
        ? tlsConnect({ host: options.host, port: options.port, rejectUnauthorized: false, ...(options.localAddress ? { localAddress: options.localAddress } : {}) }, () => resolve(s))
        : netConnect({ host: options.host, port: options.port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) }, () => resolve(s));
      s.once('error', reject);
    });
    return new SmtpDialog(socket);
  }

  #attach(socket: Socket | TLSSocket): void {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      this.#wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on('error', () => {});
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  get secure(): boolean {
    return 'encrypted' in this.#socket && this.#socket.encrypted === true;
  }

  get tlsVersion(): string | undefined {
    return 'getProtocol' in this.#socket ? (this.#socket.getProtocol() ?? undefined) : undefined;
  }

  /** The next complete reply from the server. */
  async read(timeoutMs = 5000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = this.#takeReply();
      if (reply) return reply;
      if (this.#closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.#buffer)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms; have ${JSON.stringify(this.#buffer)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  #takeReply(): Reply | undefined {
    const lines: string[] = [];
    let offset = 0;
    for (;;) {
      const end = this.#buffer.indexOf('\r\n', offset);
      if (end < 0) return undefined;
      const line = this.#buffer.slice(offset, end);
      offset = end + 2;
      lines.push(line);
      if (line[3] !== '-') break;
    }
    this.#buffer = this.#buffer.slice(offset);
    const last = lines[lines.length - 1] ?? '';
    const texts = lines.map((l) => l.slice(4));
    const enhanced = /^([245]\.\d{1,3}\.\d{1,3}) /.exec(last.slice(4))?.[1];
    return { code: Number(last.slice(0, 3)), lines: texts, text: texts.join('\n'), enhanced };
  }

  /** Every reply until the server closes the connection. */
  async readUntilClosed(timeoutMs = 10_000): Promise<Reply[]> {
    const got: Reply[] = [];
    for (;;) {
      try {
        got.push(await this.read(timeoutMs));
      } catch (err) {
        if (/connection closed/.test(String(err))) return got;
        throw err;
      }
    }
  }

  async command(line: string): Promise<Reply> {
    this.#socket.write(line + '\r\n');
    return this.read();
  }

  write(data: string | Buffer): void {
    this.#socket.write(data);
  }

  /** STARTTLS and the TLS handshake; the caller sends EHLO again afterwards. */
  async startTls(): Promise<Reply> {
    const reply = await this.command('STARTTLS');
    if (reply.code !== 220) return reply;
    const plain = this.#socket as Socket;
    plain.removeAllListeners('data');
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ socket: plain, rejectUnauthorized: false }, () => resolve(s));
      s.once('error', reject);
    });
    this.#socket = secure;
    this.#attach(secure);
    return reply;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await new Promise<void>((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#socket.end();
      setTimeout(() => {
        this.#socket.destroy();
        resolve();
      }, 1000).unref();
    });
  }
}
