// One SMTP session with one server address, on nodemailer's SMTPConnection.
// This module gathers facts (SessionFailure, RecipientResult) and decides
// nothing: classify.ts turns them into outcomes.
//
// nodemailer reports some things only through private fields (the advertised
// SIZE, the per-recipient RCPT errors when DATA fails, the TLS socket); they
// are read through `Internals` below, defensively, against nodemailer 7.x.
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { rootCertificates, TLSSocket, type ConnectionOptions } from 'node:tls';
import { isIP, type Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';
import type { DeliveryStage, RelayInfo, RemoteReply } from '../core/outcome.js';
import type { RecipientResult, SessionFailure } from './classify.js';
import { parseReply } from './parse-reply.js';

/**
 * 'none': never STARTTLS. 'opportunistic': STARTTLS when offered, any
 * certificate (RFC 7435 §3). 'required': STARTTLS must be offered and
 * succeed. 'implicit': TLS from the first byte (RFC 8314 §3.3).
 */
export type ClientTlsMode = 'none' | 'opportunistic' | 'required' | 'implicit';

export interface SmtpClientOptions {
  readonly ip: string;
  readonly port: number;
  /** The name we were routed to (MX host or smarthost): SNI, certificate name check, logs. */
  readonly hostName: string;
  /** Our EHLO name. */
  readonly heloName: string;
  readonly tls: ClientTlsMode;
  /** Check the certificate chain and name; otherwise accept any certificate (opportunistic TLS). */
  readonly verifyCertificate: boolean;
  /** Extra CA certificate(s), PEM, trusted in addition to the system roots. */
  readonly ca: string | undefined;
  readonly auth: { readonly username: string; readonly password: string } | undefined;
  readonly localAddress: string | undefined;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
}

export interface Transaction {
  /** '' for the null reverse-path. */
  readonly mailFrom: string;
  /** Distinct addresses without CR, LF, '<' or '>'. */
  readonly rcptTo: readonly string[];
  /** Canonical CRLF, not dot-stuffed (DataStream stuffs it). */
  readonly message: Buffer;
}

/** Thrown by `SmtpClient.connect` only. */
export class SmtpSessionError extends Error {
  readonly failure: SessionFailure;
  constructor(failure: SessionFailure) {
    super(`SMTP session failed: ${failure.type}`);
    this.name = 'SmtpSessionError';
    this.failure = failure;
  }
}

type SmtpError = SMTPConnection.SMTPError & { rejectedErrors?: SmtpError[]; recipient?: string };

interface Internals {
  _socket?: Socket | false;
  _maxAllowedSize?: number;
  _envelope?:
    | { to?: string[]; rcptQueue?: string[]; accepted?: string[]; rejected?: string[]; rejectedErrors?: SmtpError[] }
    | false;
  upgrading?: boolean;
  lastServerResponse?: string | false;
}

type OpResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: SmtpError | undefined };

export class SmtpClient {
  readonly options: SmtpClientOptions;
  private readonly conn: SMTPConnection;
  private closed = false;
  private sawServiceClosing = false;
  private phase: 'connecting' | 'auth' | 'ready' | 'transaction' = 'connecting';
  private transactions = 0;
  private readonly closeListeners: (() => void)[] = [];
  private tlsInfo: RelayInfo['tls'];

  private constructor(options: SmtpClientOptions) {
    this.options = options;
    const tlsOptions: ConnectionOptions = {
      rejectUnauthorized: options.verifyCertificate,
      minVersion: 'TLSv1.2',
    };
    // Node's `ca` replaces the default roots; keep them and add the extra CA.
    if (options.ca !== undefined) tlsOptions.ca = [...rootCertificates, options.ca];
    const connOptions: SMTPConnection.Options & { servername?: string } = {
      host: options.ip,
      port: options.port,
      name: options.heloName,
      secure: options.tls === 'implicit',
      ignoreTLS: options.tls === 'none',
      // 'required' is enforced below, after EHLO: nodemailer's requireTLS would
      // send STARTTLS even when not offered and blur "not offered" into "refused".
      requireTLS: false,
      opportunisticTLS: options.tls === 'opportunistic',
      tls: tlsOptions,
      connectionTimeout: options.connectTimeoutMs,
      greetingTimeout: options.commandTimeoutMs,
      socketTimeout: options.commandTimeoutMs,
      logger: false,
    };
    // SNI carries a host name only (RFC 6066 §3), never an address literal.
    if (isIP(options.hostName) === 0) connOptions.servername = options.hostName;
    if (options.localAddress !== undefined) connOptions.localAddress = options.localAddress;
    this.conn = new SMTPConnection(connOptions);
    // Without a listener an 'error' on an idle connection would crash the process.
    this.conn.on('error', () => undefined);
    this.conn.on('end', () => {
      this.closed = true;
      for (const listener of this.closeListeners.splice(0)) listener();
    });
  }

  /** Connect, EHLO, STARTTLS per policy, AUTH if configured. Throws SmtpSessionError. */
  static async connect(options: SmtpClientOptions): Promise<SmtpClient> {
    const client = new SmtpClient(options);
    await client.open();
    return client;
  }

  private async open(): Promise<void> {
    const connected = await this.op<void>((done) => this.conn.connect((err) => done(err)));
    if (!connected.ok) throw new SmtpSessionError(this.sessionFailure(connected.error));
    this.tlsInfo = readTlsInfo(this.internals()._socket);
    if (this.options.tls === 'required' && this.tlsInfo === undefined) {
      await this.quit();
      throw new SmtpSessionError({ type: 'tls-unavailable' });
    }
    const auth = this.options.auth;
    if (auth !== undefined) {
      this.phase = 'auth';
      const login = await this.op<void>((done) =>
        this.conn.login({ credentials: { user: auth.username, pass: auth.password } }, (err) => done(err)),
      );
      if (!login.ok) {
        const failure = this.sessionFailure(login.error);
        if (login.error?.response !== undefined) await this.quit();
        else this.close();
        throw new SmtpSessionError(failure);
      }
    }
    this.phase = 'ready';
  }

  /** Where we are connected, for the log line. `host` is the name we connected for. */
  get relay(): RelayInfo {
    return { host: this.options.hostName, ip: this.options.ip, port: this.options.port, tls: this.tlsInfo };
  }

  /** RFC 1870: the SIZE the server announced; undefined when none (or 0, "no limit"). */
  get maxMessageSize(): number | undefined {
    const size = this.internals()._maxAllowedSize;
    return typeof size === 'number' && size > 0 ? size : undefined;
  }

  /** Transactions started on this connection. */
  get messageCount(): number {
    return this.transactions;
  }

  /** Still open and not told by the server that it is closing (421, RFC 5321 §3.8). */
  get usable(): boolean {
    return !this.closed && !this.sawServiceClosing;
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /**
   * One mail transaction: MAIL, RCPT for each recipient, DATA. One result per
   * recipient; never throws for anything the server does.
   */
  async send(tx: Transaction): Promise<Map<string, RecipientResult>> {
    const results = new Map<string, RecipientResult>();
    const limit = this.maxMessageSize;
    if (limit !== undefined && tx.message.length > limit) {
      // RFC 1870 §6.2: do not send what the server said it will not take.
      for (const rcpt of tx.rcptTo) results.set(rcpt, { type: 'too-big', size: tx.message.length, limit });
      return results;
    }
    if (!this.usable) {
      const failure: SessionFailure = { type: 'lost', stage: 'mail', timedOut: false, message: 'connection already closed' };
      for (const rcpt of tx.rcptTo) results.set(rcpt, { type: 'interrupted', failure });
      return results;
    }

    this.transactions++;
    this.phase = 'transaction';
    const envelope: SMTPConnection.Envelope = {
      from: tx.mailFrom,
      to: [...tx.rcptTo],
      // RFC 1870 §3: announce the size so the server can refuse before DATA.
      size: tx.message.length,
      // RFC 6152: declare 8-bit content when the server supports it.
      use8BitMime: has8bit(tx.message),
    };
    const sent = await this.op<SMTPConnection.SentMessageInfo>((done) =>
      this.conn.send(envelope, tx.message, (err, info) => done(err, info)),
    );

    // Per-recipient RCPT refusals nodemailer collected, whatever happened later.
    const rcptErrors: SmtpError[] = sent.ok ? ((sent.value.rejectedErrors ?? []) as SmtpError[]) : this.rcptErrorsSoFar(sent.error);
    for (const e of rcptErrors) {
      const reply = e.response === undefined ? undefined : this.reply(e.response);
      if (e.recipient !== undefined && reply !== undefined) results.set(e.recipient, { type: 'rejected', stage: 'rcpt', reply });
    }

    if (sent.ok) {
      const reply = this.reply(sent.value.response) ?? { code: 250, enhanced: undefined, text: sent.value.response };
      for (const rcpt of sent.value.accepted) if (!results.has(rcpt)) results.set(rcpt, { type: 'accepted', reply });
    } else {
      const err = sent.error;
      const reply = err?.response === undefined ? undefined : this.reply(err.response);
      const stage = commandStage(err?.command);
      let rest: RecipientResult;
      if (reply !== undefined && (stage === 'mail' || stage === 'data')) {
        rest = { type: 'rejected', stage, reply };
      } else {
        rest = { type: 'interrupted', failure: this.sessionFailure(err) };
      }
      for (const rcpt of tx.rcptTo) if (!results.has(rcpt)) results.set(rcpt, rest);
    }
    // Anything nodemailer did not account for (should not happen) is a protocol failure, never dropped.
    for (const rcpt of tx.rcptTo) {
      if (!results.has(rcpt)) {
        results.set(rcpt, { type: 'interrupted', failure: { type: 'protocol', stage: 'rcpt', message: 'no reply recorded for this recipient' } });
      }
    }
    this.phase = 'ready';
    return results;
  }

  /** RSET (RFC 5321 §4.1.1.5) before reusing the connection; false (and closed) if it fails. */
  async reset(): Promise<boolean> {
    if (!this.usable) return false;
    const r = await this.op<void>((done) => this.conn.reset((err) => done(err)));
    if (!r.ok) this.close();
    return r.ok;
  }

  /** QUIT and wait for the server to close, at most commandTimeoutMs. */
  async quit(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.close();
        resolve();
      }, this.options.commandTimeoutMs);
      this.onClose(() => {
        clearTimeout(timer);
        resolve();
      });
      try {
        this.conn.quit();
      } catch {
        this.close();
      }
    });
  }

  /** Drop the connection without QUIT. */
  close(): void {
    if (!this.closed) this.conn.close();
  }

  /**
   * Run one nodemailer operation; settles on its callback or, if the
   * connection fails first (nodemailer then emits 'error' and never calls
   * back), on the connection's 'error' or 'end'.
   */
  private op<T>(start: (done: (err: SmtpError | null | undefined, value?: T) => void) => void): Promise<OpResult<T>> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: OpResult<T>): void => {
        if (settled) return;
        settled = true;
        this.conn.off('error', onError);
        this.conn.off('end', onEnd);
        resolve(result);
      };
      const onError = (err: SmtpError): void => finish({ ok: false, error: err });
      const onEnd = (): void => finish({ ok: false, error: undefined });
      this.conn.on('error', onError);
      this.conn.on('end', onEnd);
      if (this.closed) return finish({ ok: false, error: undefined });
      try {
        start((err, value) => {
          if (err) finish({ ok: false, error: err });
          else finish({ ok: true, value: value as T });
        });
      } catch (err) {
        finish({ ok: false, error: err as SmtpError });
      }
    });
  }

  private reply(raw: string): RemoteReply | undefined {
    const reply = parseReply(raw);
    if (reply?.code === 421) this.sawServiceClosing = true;
    return reply;
  }

  private internals(): Internals {
    return this.conn as unknown as Internals;
  }

  private rcptErrorsSoFar(err: SmtpError | undefined): SmtpError[] {
    if (err?.rejectedErrors !== undefined) return err.rejectedErrors;
    const envelope = this.internals()._envelope;
    return envelope ? (envelope.rejectedErrors ?? []) : [];
  }

  /** Where the session was when it broke, for the log and the DSN. */
  private currentStage(): DeliveryStage {
    const i = this.internals();
    if (this.phase === 'transaction') {
      const env = i._envelope;
      if (!env || !env.to) return 'mail';
      const answered = (env.accepted?.length ?? 0) + (env.rejected?.length ?? 0);
      if (answered >= env.to.length) return 'data';
      if (answered > 0 || (env.rcptQueue?.length ?? env.to.length) < env.to.length) return 'rcpt';
      return 'mail';
    }
    if (this.phase === 'auth') return 'auth';
    if (this.phase === 'ready') return 'mail';
    if (i.upgrading) return 'tls';
    if (this.conn.stage === 'init') return this.options.tls === 'implicit' ? 'tls' : 'connect';
    if (i.lastServerResponse === false || i.lastServerResponse === undefined) return 'greeting';
    return 'ehlo';
  }

  /** A nodemailer error (or a silent close) as a SessionFailure. */
  private sessionFailure(err: SmtpError | undefined): SessionFailure {
    const stage = this.currentStage();
    if (err === undefined) return { type: 'lost', stage, timedOut: false, message: 'connection closed' };
    const message = err.message;
    if (err.response !== undefined && err.response !== '') {
      const reply = this.reply(err.response);
      if (reply === undefined) return { type: 'protocol', stage, message: `unexpected reply ${JSON.stringify(err.response.slice(0, 200))}` };
      const commanded = commandStage(err.command);
      // 'CONN' errors with a reply: the greeting, or a reply sent just before the server hung up.
      const replyStage = commanded ?? (/^Invalid greeting/.test(message) ? 'greeting' : stage);
      if (replyStage === 'greeting' || replyStage === 'ehlo' || replyStage === 'tls' || replyStage === 'auth') {
        return { type: 'reply', stage: replyStage, reply };
      }
      return { type: 'protocol', stage: replyStage, message: `unexpected reply ${JSON.stringify(err.response.slice(0, 200))}` };
    }
    const errnoName = systemErrorName(err);
    if (err.code === 'ETIMEDOUT' && /^Connection timeout/.test(message)) {
      return { type: 'connect', errno: 'ETIMEDOUT', message: 'connection timed out' };
    }
    if (err.syscall === 'connect' || (stage === 'connect' && errnoName !== undefined)) {
      return { type: 'connect', errno: errnoName ?? 'ECONNECTION', message };
    }
    if (err.code === 'ETLS' || (stage === 'tls' && errnoName === undefined) || isTlsError(err)) {
      return { type: 'tls-failed', message };
    }
    if (err.code === 'EAUTH') {
      // No reply involved: e.g. missing credentials. Our configuration.
      return { type: 'local', status: '4.3.5', message: `authentication not possible: ${message}` };
    }
    if (err.code === 'EPROTOCOL') return { type: 'protocol', stage, message };
    const timedOut = err.code === 'ETIMEDOUT';
    if (stage === 'connect') return { type: 'connect', errno: timedOut ? 'ETIMEDOUT' : 'ECONNECTION', message };
    return { type: 'lost', stage, timedOut, message };
  }
}

function commandStage(command: string | undefined): DeliveryStage | undefined {
  if (command === undefined) return undefined;
  if (command === 'EHLO' || command === 'HELO' || command === 'LHLO') return 'ehlo';
  if (command === 'STARTTLS') return 'tls';
  if (command.startsWith('AUTH')) return 'auth';
  if (command === 'MAIL FROM') return 'mail';
  if (command === 'RCPT TO') return 'rcpt';
  if (command === 'DATA') return 'data';
  return undefined;
}

function systemErrorName(err: SmtpError): string | undefined {
  if (typeof err.errno === 'number' && err.errno < 0) {
    try {
      return getSystemErrorName(err.errno);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function isTlsError(err: Error): boolean {
  const e = err as Error & { library?: unknown; reason?: unknown };
  return e.library !== undefined || /certificate|SSL|TLS|handshake/i.test(err.message);
}

function readTlsInfo(socket: Socket | false | undefined): RelayInfo['tls'] {
  if (!(socket instanceof TLSSocket)) return undefined;
  const version = socket.getProtocol();
  const cipher = socket.getCipher();
  if (!version || !cipher) return undefined;
  return { version, cipher: cipher.name };
}

function has8bit(message: Buffer): boolean {
  for (const b of message) if (b > 0x7f) return true;
  return false;
}
