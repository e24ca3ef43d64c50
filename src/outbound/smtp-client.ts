// One SMTP session with one server address. This module gathers facts
// (SessionFailure, RecipientResult) and decides nothing: classify.ts turns
// them into outcomes.
//
// Why not nodemailer's SMTPConnection (used here before): it does not
// pipeline. For each message on a reused connection it wrote RSET, MAIL,
// every RCPT and DATA separately, waiting a round trip after each, then
// streamed the body through a Transform in several writes. On loopback a
// socket write costs ~30-100 µs here, since the kernel runs the receiver's
// whole TCP path inside our system call, and the relay benchmark's CPU
// profile (20 sessions, 4 KiB messages, smarthost with connection reuse)
// was dominated by writes. This client sends RSET, MAIL, every RCPT and DATA
// in one write when the server offers PIPELINING (RFC 2920 §3.1: DATA ends
// a group), then the dot-stuffed body with its end line in one more
// (dot-stuff.ts): two writes and two round trips per message. Measured on
// that benchmark: the outbound side's socket-write time fell from ~0.14 to
// ~0.04 ms per message and its whole CPU time from ~0.40 to ~0.16 ms.
// Without PIPELINING it falls back to one command per round trip: the
// client must wait for each reply (RFC 5321 §4.3.1).
// No BDAT out (RFC 3030): dot-stuffing costs ~5-10 µs CPU per 4 KiB and ~100-300 µs per 100 KiB message
// (bench/dot-stuff-micro.ts), ≤1% and ~3-10% of the CPU per message (bench/RESULTS.md): not worth a second path.
import { isAscii } from 'node:buffer';
import { isIP } from 'node:net';
import { rootCertificates, type ConnectionOptions, type DetailedPeerCertificate } from 'node:tls';
import type { EnvelopeParams } from '../core/envelope.js';
import { wireMailbox } from '../core/mailbox.js';
import { encodeXtext } from '../core/xtext.js';
import type { DeliveryStage, RelayInfo } from '../core/outcome.js';
import { pemCertificates } from '../tls/pem-blocks.js';
import { checkCertificate, type CertificateCheck } from './certificate-check.js';
import type { RecipientResult, SessionFailure } from './classify.js';
import { dataChunks } from './dot-stuff.js';
import { NO_EXTENSIONS, parseEhlo, type EhloExtensions } from './ehlo-extensions.js';
import { parseReply } from './parse-reply.js';
import type { RawReply } from './reply-reader.js';
import { ConnectError, SmtpWire, type WireEnd } from './smtp-wire.js';

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
  /**
   * Makes an 8-bit message 7-bit for a server without 8BITMIME (RFC 6152 §3),
   * re-signed; rejects with an Error whose message says why it cannot.
   * Injected by main.ts, which owns the domain store and the DKIM signer: outbound/ knows nothing of keys.
   * Without it, an 8-bit message is sent as it is.
   */
  readonly downgrade?: ((message: Buffer) => Promise<Buffer>) | undefined;
}

export interface Transaction {
  /** '' for the null reverse-path. */
  readonly mailFrom: string;
  /** Distinct addresses without CR, LF, '<' or '>'. */
  readonly rcptTo: readonly string[];
  /** Canonical CRLF, not dot-stuffed (dot-stuff.ts does that). */
  readonly message: Buffer;
  /** RFC 3461 (RET, ENVID, NOTIFY, ORCPT) and RFC 6531 (SMTPUTF8) parameters of the message. */
  readonly params?: EnvelopeParams | undefined;
  /**
   * Has octets over 127: stored at intake, so the deliverer does not scan the
   * message at each attempt. Undefined (callers that do not know): scanned here.
   */
  readonly eightBit?: boolean | undefined;
}

/** Thrown by `SmtpClient.connect` only. */
export class SmtpSessionError extends Error {
  readonly failure: SessionFailure;
  /** For a certificate refused during set-up: why (TLS-RPT result type, secure-route.ts). */
  readonly certificate: CertificateCheck | undefined;
  constructor(failure: SessionFailure, certificate?: CertificateCheck) {
    super(`SMTP session failed: ${failure.type}`);
    this.name = 'SmtpSessionError';
    this.failure = failure;
    this.certificate = certificate;
  }
}

const NON_ASCII = /[^\x00-\x7f]/;
const LINE_BREAK = /[\r\n]/;

/**
 * The RCPT command for a stored address. Addresses are stored as the client
 * wrote them; the wire gets RFC 5321 syntax: taro..yamada@docomo.ne.jp goes
 * out as "taro..yamada"@docomo.ne.jp (Postfix: smtp_quote_rfc821_envelope).
 *
 * To a server that offers DSN (RFC 3461 §5.2.2) the recipient's NOTIFY goes
 * along, and an ORCPT always: the client's own, or else the address as the
 * client wrote it, "rfc822;" + xtext (as Postfix adds one for every
 * recipient). So the next hop's reports name the address the sender knows:
 * for taro..yamada@docomo.ne.jp the unquoted original, while the RCPT
 * mailbox itself is quoted. A UTF-8 address gets no ORCPT of ours: it would
 * need the utf-8 address type (RFC 6533), not worth it for an address the
 * Final-Recipient already names.
 */
function rcptCommand(rcptTo: string, params: EnvelopeParams | undefined, dsn: boolean): string {
  let cmd = `RCPT TO:<${wireMailbox(rcptTo)}>`;
  if (dsn) {
    const p = params?.recipients?.get(rcptTo);
    if (p?.notify !== undefined) cmd += ` NOTIFY=${p.notify}`;
    const orcpt = p?.orcpt ?? (NON_ASCII.test(rcptTo) ? undefined : `rfc822;${rcptTo}`);
    if (orcpt !== undefined) {
      const semi = orcpt.indexOf(';');
      cmd += ` ORCPT=${orcpt.slice(0, semi)};${encodeXtext(orcpt.slice(semi + 1))}`;
    }
  }
  return `${cmd}\r\n`;
}

/** RFC 6531 §3.5: a transaction with a UTF-8 address can only go to a server that offers SMTPUTF8. */
function needsSmtputf8(address: string): boolean {
  return NON_ASCII.test(address);
}

export class SmtpClient {
  readonly options: SmtpClientOptions;
  private readonly wire: SmtpWire;
  private ext: EhloExtensions = NO_EXTENSIONS;
  private tlsInfo: RelayInfo['tls'];
  private certificateCheck: CertificateCheck | undefined;
  /** send() calls so far: from the second on, RSET opens the transaction. */
  private uses = 0;
  private transactions = 0;

  private constructor(options: SmtpClientOptions, wire: SmtpWire) {
    this.options = options;
    this.wire = wire;
  }

  /** Connect, EHLO, STARTTLS per policy, AUTH if configured. Throws SmtpSessionError. */
  static async connect(options: SmtpClientOptions): Promise<SmtpClient> {
    let wire: SmtpWire;
    try {
      wire = await SmtpWire.connect(options);
    } catch (err) {
      if (err instanceof ConnectError) throw new SmtpSessionError({ type: 'connect', errno: err.errno, message: err.message });
      throw err;
    }
    const client = new SmtpClient(options, wire);
    try {
      await client.open();
    } catch (err) {
      // The failure paths already closed or QUIT the connection; make sure of it for the unexpected.
      if (!(err instanceof SmtpSessionError)) wire.destroy();
      throw err;
    }
    return client;
  }

  /** Where we are connected, for the log line. `host` is the name we connected for. */
  get relay(): RelayInfo {
    return { host: this.options.hostName, ip: this.options.ip, port: this.options.port, tls: this.tlsInfo };
  }

  /** RFC 1870: the SIZE the server announced; undefined when none (or 0, "no limit"). */
  get maxMessageSize(): number | undefined {
    return this.ext.maxSize;
  }

  /** Whether the server's certificate is valid for `hostName`, once TLS is up (checked even when not required). */
  get certificate(): CertificateCheck | undefined {
    return this.certificateCheck;
  }

  /** The server's certificate with its chain (issuerCertificate), once TLS is up: for DANE (dane/tlsa.ts). */
  get peerCertificate(): DetailedPeerCertificate | undefined {
    return this.wire.tlsSocket?.getPeerCertificate(true);
  }

  /** RFC 8689: the server offered REQUIRETLS after TLS. */
  get offersRequireTls(): boolean {
    return this.ext.requireTls === true;
  }

  /** Transactions started on this connection. */
  get messageCount(): number {
    return this.transactions;
  }

  /** Still open and not told by the server that it is closing (421, RFC 5321 §3.8). */
  get usable(): boolean {
    return this.wire.open;
  }

  onClose(listener: () => void): void {
    this.wire.onClose(listener);
  }

  /**
   * One mail transaction: MAIL, RCPT for each recipient, DATA. One result per
   * recipient; never throws for anything the server does. On a connection
   * used before, the transaction starts with RSET (RFC 5321 §4.1.1.5); if the
   * server does not answer that with 2xx (an idle connection it has dropped
   * meanwhile), nothing was sent: the result is undefined, the connection is
   * closed, and the caller should use another one.
   */
  async send(original: Transaction): Promise<Map<string, RecipientResult> | undefined> {
    const results = new Map<string, RecipientResult>();
    let tx = original.eightBit === undefined ? { ...original, eightBit: !isAscii(original.message) } : original;
    if (tx.eightBit && !this.ext.eightBitMime && this.options.downgrade !== undefined) {
      // RFC 6152 §3: no 8-bit data to a server that did not offer 8BITMIME.
      try {
        tx = { ...tx, message: await this.options.downgrade(tx.message), eightBit: false };
      } catch (err) {
        // Deferred, not bounced: another MX, or this one later, may offer 8BITMIME.
        const failure: SessionFailure = { type: 'local', status: '4.6.3', message: `conversion to 7 bits required but not possible: ${(err as Error).message}` };
        for (const rcpt of tx.rcptTo) results.set(rcpt, { type: 'interrupted', failure });
        return results;
      }
    }
    const reused = this.uses++ > 0;
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
    // Callers check this already; a line break here would inject commands.
    if (LINE_BREAK.test(tx.mailFrom) || tx.rcptTo.some((r) => LINE_BREAK.test(r))) throw new Error('address with a line break');
    if (!this.ext.smtpUtf8) {
      // RFC 6531 §3.5: no downgrade of addresses; the recipients that need SMTPUTF8 (all of them for a UTF-8 sender) fail, the rest go.
      const sendable = needsSmtputf8(tx.mailFrom) ? [] : tx.rcptTo.filter((r) => !needsSmtputf8(r));
      if (sendable.length < tx.rcptTo.length) {
        for (const rcpt of tx.rcptTo) if (!sendable.includes(rcpt)) results.set(rcpt, { type: 'no-smtputf8', sender: needsSmtputf8(tx.mailFrom) });
        if (sendable.length === 0) return results;
        tx = { ...tx, rcptTo: sendable };
      }
    }

    this.transactions++;
    const mail = this.mailCommand(tx);
    const n = tx.rcptTo.length;
    let replies: readonly RawReply[];
    let end: WireEnd | undefined;
    if (this.ext.pipelining) {
      // RFC 2920 §3.1: RSET, MAIL and RCPT may be grouped; DATA is the last command of a group.
      let group = reused ? 'RSET\r\n' : '';
      group += mail;
      for (const rcpt of tx.rcptTo) group += rcptCommand(rcpt, tx.params, this.ext.dsn);
      group += 'DATA\r\n';
      const count = (reused ? 1 : 0) + n + 2;
      this.wire.send(group, count);
      ({ replies, end } = await this.wire.read(count));
      if (reused) {
        if (!isPositive(replies[0])) return this.stale();
        replies = replies.slice(1);
      }
    } else {
      if (reused && !isPositive(await this.step('RSET\r\n'))) return this.stale();
      ({ replies, end } = await this.stepwise(tx, mail));
    }
    const accepted = this.envelopeResults(tx, replies, end, results);

    const dataReply = replies[n + 1];
    if (accepted.length === 0) {
      // Nothing to deliver. The server should refuse DATA then (503/554, RFC 5321 §3.3); one that
      // answers 354 all the same gets the end line alone, an empty message whose outcome counts for no one.
      if (dataReply?.code === 354) await this.abortData();
      return results;
    }
    let result: RecipientResult;
    if (dataReply === undefined) {
      result = this.unanswered('data', replies, end);
    } else if (dataReply.code !== 354) {
      result = this.refused('data', dataReply);
    } else {
      await this.wire.sendData(dataChunks(tx.message));
      const final = await this.wire.read(1);
      const reply = final.replies[0];
      if (reply === undefined) result = messageSent(this.unanswered('data', final.replies, final.end));
      else if (isPositive(reply)) result = { type: 'accepted', reply: parseReply(reply.raw) ?? { code: reply.code, enhanced: undefined, text: reply.raw }, ...(this.ext.dsn ? { dsnPassed: true } : {}) };
      else result = this.refused('data', reply);
    }
    for (const rcpt of accepted) results.set(rcpt, result);
    return results;
  }

  /** QUIT and wait for the server to close, at most commandTimeoutMs. */
  quit(): Promise<void> {
    return this.wire.quit();
  }

  /** Drop the connection without QUIT. */
  close(): void {
    this.wire.destroy();
  }

  private async open(): Promise<void> {
    const o = this.options;
    if (o.tls === 'implicit') await this.startTls();
    const greeting = await this.expect(undefined, 'greeting');
    if (greeting.code !== 220) throw this.sessionRefused('greeting', greeting);
    await this.hello();
    if (o.tls === 'opportunistic' || o.tls === 'required') {
      if (this.ext.startTls) {
        const reply = await this.expect('STARTTLS\r\n', 'tls');
        if (reply.code === 220) {
          await this.startTls();
          // RFC 3207 §4.2: forget what the server said before TLS; ask again.
          await this.hello();
        } else if (o.tls === 'required') {
          throw this.sessionRefused('tls', reply);
        }
        // Opportunistic and refused: carry on in plain text, as before the refusal.
      } else if (o.tls === 'required') {
        void this.wire.quit();
        throw new SmtpSessionError({ type: 'tls-unavailable' });
      }
    }
    if (o.auth !== undefined) await this.authenticate(o.auth);
  }

  /** EHLO, or HELO when the server does not know EHLO (RFC 5321 §4.1.1.1, §3.2). */
  private async hello(): Promise<void> {
    const name = this.options.heloName;
    let reply = await this.expect(`EHLO ${name}\r\n`, 'ehlo');
    if (isPositive(reply)) {
      this.ext = parseEhlo(reply.lines);
      return;
    }
    if (reply.code >= 500) {
      reply = await this.expect(`HELO ${name}\r\n`, 'ehlo');
      if (isPositive(reply)) {
        this.ext = NO_EXTENSIONS;
        return;
      }
    }
    throw this.sessionRefused('ehlo', reply);
  }

  private async startTls(): Promise<void> {
    const o = this.options;
    const tls: ConnectionOptions = {
      // The handshake always completes; the certificate is judged below
      // (certificate-check.ts), before any command goes through TLS.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      // The name the certificate is checked against (an address literal is checked as an IP).
      host: o.hostName,
    };
    // SNI carries a host name only (RFC 6066 §3), never an address literal.
    if (isIP(o.hostName) === 0) tls.servername = o.hostName;
    // Node's `ca` replaces the default roots; keep them and add the extra CA.
    if (o.ca !== undefined) tls.ca = [...rootCertificates, ...pemCertificates(o.ca)];
    const error = await this.wire.startTls(tls);
    if (error !== undefined) throw new SmtpSessionError({ type: 'tls-failed', message: error });
    const socket = this.wire.tlsSocket;
    const check: CertificateCheck = socket === undefined ? { verified: false, problem: 'validation-failure', detail: 'no TLS socket' } : checkCertificate(socket, o.hostName);
    this.certificateCheck = check;
    if (o.verifyCertificate && !check.verified) {
      this.wire.destroy();
      throw new SmtpSessionError({ type: 'tls-failed', message: check.detail }, check);
    }
    this.tlsInfo = this.wire.tls;
  }

  /** RFC 4954: AUTH PLAIN (RFC 4616) with an initial response, or AUTH LOGIN when only that is offered. */
  private async authenticate(auth: { readonly username: string; readonly password: string }): Promise<void> {
    const offered = this.ext.auth;
    const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
    let reply: RawReply;
    // A server that does not advertise AUTH may still take it after STARTTLS: try PLAIN.
    if (offered === undefined || offered.has('PLAIN')) {
      const token = b64(`\0${auth.username}\0${auth.password}`);
      reply = await this.expect(`AUTH PLAIN ${token}\r\n`, 'auth');
      // A server that ignores the initial response asks for it with an empty challenge.
      if (reply.code === 334) reply = await this.expect(`${token}\r\n`, 'auth');
    } else if (offered.has('LOGIN')) {
      reply = await this.expect('AUTH LOGIN\r\n', 'auth');
      if (reply.code === 334) reply = await this.expect(`${b64(auth.username)}\r\n`, 'auth');
      if (reply.code === 334) reply = await this.expect(`${b64(auth.password)}\r\n`, 'auth');
    } else {
      void this.wire.quit();
      throw new SmtpSessionError({
        type: 'local',
        status: '4.3.5',
        message: `authentication not possible: the server offers AUTH ${[...offered].join(' ')}, we support PLAIN and LOGIN`,
      });
    }
    if (!isPositive(reply)) throw this.sessionRefused('auth', reply);
  }

  /** Send `line` (or nothing, for the greeting) and wait for one reply; a broken connection throws SmtpSessionError. */
  private async expect(line: string | undefined, stage: DeliveryStage): Promise<RawReply> {
    if (line !== undefined) this.wire.send(line, 1);
    const { replies, end } = await this.wire.read(1);
    const reply = replies[0];
    if (reply !== undefined) return reply;
    throw new SmtpSessionError(brokenOff(stage, end));
  }

  /** A negative reply during set-up: QUIT politely and report it. */
  private sessionRefused(stage: 'greeting' | 'ehlo' | 'tls' | 'auth', raw: RawReply): SmtpSessionError {
    void this.wire.quit();
    const reply = parseReply(raw.raw);
    if (reply === undefined) return new SmtpSessionError({ type: 'protocol', stage, message: unexpected(raw) });
    return new SmtpSessionError({ type: 'reply', stage, reply });
  }

  private mailCommand(tx: Transaction): string {
    let cmd = `MAIL FROM:<${wireMailbox(tx.mailFrom)}>`;
    // RFC 1870 §3: announce the size so the server can refuse before DATA.
    if (this.ext.size) cmd += ` SIZE=${tx.message.length}`;
    // RFC 6152: declare 8-bit content when the server supports it.
    if (this.ext.eightBitMime && tx.eightBit) cmd += ' BODY=8BITMIME';
    // RFC 6531 §3.4: an internationalised address needs SMTPUTF8 when the server offers it; a
    // client's SMTPUTF8 (UTF-8 header fields, RFC 6532) is passed on too.
    if (this.ext.smtpUtf8 && (tx.params?.smtputf8 === true || NON_ASCII.test(tx.mailFrom) || tx.rcptTo.some((r) => NON_ASCII.test(r)))) cmd += ' SMTPUTF8';
    // RFC 3461 §5.2.2: RET and ENVID go on to a server that offers DSN.
    if (this.ext.dsn && tx.params?.ret !== undefined) cmd += ` RET=${tx.params.ret}`;
    if (this.ext.dsn && tx.params?.envId !== undefined) cmd += ` ENVID=${encodeXtext(tx.params.envId)}`;
    // RFC 8689 §4.2.1: the TLS requirement goes on to a server that offers it (the deliverer sends such a message to no other).
    if (tx.params?.requireTls === true && this.ext.requireTls === true) cmd += ' REQUIRETLS';
    return `${cmd}\r\n`;
  }

  /** One command, one reply; undefined when the connection broke. */
  private async step(line: string): Promise<RawReply | undefined> {
    this.wire.send(line, 1);
    return (await this.wire.read(1)).replies[0];
  }

  /** Without PIPELINING: MAIL, each RCPT, DATA, each after the previous reply; stop where going on is pointless. */
  private async stepwise(tx: Transaction, mail: string): Promise<{ replies: RawReply[]; end: WireEnd | undefined }> {
    const replies: RawReply[] = [];
    const next = async (line: string): Promise<RawReply | undefined> => {
      const reply = await this.step(line);
      if (reply !== undefined) replies.push(reply);
      return reply;
    };
    const done = (): { replies: RawReply[]; end: WireEnd | undefined } => ({ replies, end: this.wire.ended });
    if (!isPositive(await next(mail))) return done();
    let anyAccepted = false;
    for (const rcpt of tx.rcptTo) {
      const reply = await next(rcptCommand(rcpt, tx.params, this.ext.dsn));
      if (reply === undefined || !this.wire.open) return done();
      if (isPositive(reply)) anyAccepted = true;
    }
    if (anyAccepted) await next('DATA\r\n');
    return done();
  }

  /** The MAIL and RCPT replies → results for refused recipients; returns the accepted ones. */
  private envelopeResults(tx: Transaction, replies: readonly RawReply[], end: WireEnd | undefined, results: Map<string, RecipientResult>): string[] {
    const mailReply = replies[0];
    if (mailReply === undefined || !isPositive(mailReply)) {
      const result = mailReply === undefined ? this.unanswered('mail', replies, end) : this.refused('mail', mailReply);
      for (const rcpt of tx.rcptTo) results.set(rcpt, result);
      return [];
    }
    const accepted: string[] = [];
    tx.rcptTo.forEach((rcpt, i) => {
      const reply = replies[i + 1];
      if (reply === undefined) results.set(rcpt, this.unanswered('rcpt', replies, end));
      else if (isPositive(reply)) accepted.push(rcpt);
      else results.set(rcpt, this.refused('rcpt', reply));
    });
    return accepted;
  }

  /** A negative (or nonsensical) reply to a transaction command. */
  private refused(stage: 'mail' | 'rcpt' | 'data', raw: RawReply): RecipientResult {
    const reply = parseReply(raw.raw);
    if (reply === undefined) return { type: 'interrupted', failure: { type: 'protocol', stage, message: unexpected(raw) } };
    return { type: 'rejected', stage, reply };
  }

  /**
   * A command that got no reply. When the server said 421 (closing) to an
   * earlier one, that reply stands for the rest too (as Postfix reports it);
   * otherwise the connection broke off.
   */
  private unanswered(stage: 'mail' | 'rcpt' | 'data', replies: readonly RawReply[], end: WireEnd | undefined): RecipientResult {
    const closing = replies.find((r) => r.code === 421);
    const reply = closing === undefined ? undefined : parseReply(closing.raw);
    if (reply !== undefined) return { type: 'rejected', stage, reply };
    return { type: 'interrupted', failure: brokenOff(stage, end ?? this.wire.ended) };
  }

  /** 354 although no recipient was accepted: end the (empty) message at once and ignore its outcome. */
  private async abortData(): Promise<void> {
    this.wire.send('.\r\n', 1);
    await this.wire.read(1);
  }

  /** The reused connection did not take RSET: close it; the caller tries another. */
  private stale(): undefined {
    this.wire.destroy();
    return undefined;
  }
}

function isPositive(reply: RawReply | undefined): boolean {
  return reply !== undefined && reply.code >= 200 && reply.code < 300;
}

function unexpected(raw: RawReply): string {
  return `unexpected reply ${JSON.stringify(raw.raw.slice(0, 200))}`;
}

/** The connection broke (or went silent) at `stage`. */
function brokenOff(stage: DeliveryStage, end: WireEnd | undefined): SessionFailure {
  if (end?.kind === 'protocol') return { type: 'protocol', stage, message: end.message };
  return { type: 'lost', stage, timedOut: end?.kind === 'timeout', message: end?.message ?? 'connection closed' };
}

/** Mark a broken-off end of data: the message was written in full, only its confirmation is missing. */
function messageSent(result: RecipientResult): RecipientResult {
  if (result.type !== 'interrupted' || result.failure.type !== 'lost') return result;
  return { type: 'interrupted', failure: { ...result.failure, messageSent: true } };
}
