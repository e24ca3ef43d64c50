// One inbound SMTP session (RFC 5321 server side, with ESMTP PIPELINING,
// SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, STARTTLS, AUTH and
// CHUNKING; the BDAT chunks are read by bdat-reader.ts).
//
// Why our own and not smtp-server: smtp-server is correct but heavy for
// a server whose whole job is taking many short sessions: per connection it
// builds a parser stream, a data stream, several emitters and a random
// session id, it writes every reply with its own syscall, it derives
// enhanced status codes from the basic code (a policy 554 went out as
// 5.6.0), and it holds each new connection 100 ms before the greeting.
// We wrapped it for the codes and the pause, but a CPU profile of the
// benchmark still put a third of the main thread's time in it. This session
// is one object per connection; replies to pipelined commands go out in one
// write; every reply comes from core/replies.ts.
//
// What it decides itself: the order of commands, syntax, sizes, STARTTLS and
// the SASL exchange. What it asks the policy (session-policy.ts): whether
// the credentials are right, who may send and relay, and storing the message.
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { RecipientParams, Submitter } from '../core/envelope.js';
import { wireReply, smtpReply, type SmtpReply } from '../core/smtp-reply.js';
import { replies } from '../core/replies.js';
import type { Logger } from '../log/logger.js';
import { DataReader } from './data-reader.js';
import { parseEnvId, parseRet, recipientParams } from './dsn-params.js';
import { hasNonAscii, parsePathArgument, splitCommand } from './command-line.js';
import { mailboxKey } from '../core/mailbox.js';
import {
  decodeBase64,
  LOGIN_PASSWORD_PROMPT,
  LOGIN_USERNAME_PROMPT,
  parsePlain,
  saslMechanism,
} from './sasl.js';
import type { ScramServer } from './sasl-scram.js';
import type { AuthResult, SessionFacts, SessionPolicy } from './session-policy.js';
import type { Principal } from '../users/principal.js';
import type { Sender } from '../policy/sender.js';
import { BdatMessage, ChunkReader, parseBdat } from './bdat-reader.js';

export interface SessionContext {
  readonly hostname: string;
  readonly maxMessageBytes: number;
  readonly socketTimeoutMs: number;
  /** A whole command line must arrive within this (Postfix: smtpd_per_request_deadline). */
  readonly commandDeadlineMs: number;
  /** The whole message after DATA must arrive within this. */
  readonly dataDeadlineMs: number;
  readonly policy: SessionPolicy;
  /** The current TLS context (it changes when the certificate is reloaded). */
  readonly secureContext: () => SecureContext;
  readonly logger: Logger;
  /** Told of refused AUTH (metrics); optional. */
  readonly observer?: SessionObserver | undefined;
}

/** What a listener reports of its sessions (main.ts passes the metrics' observer); each call must be cheap. */
export interface SessionObserver {
  opened(): void;
  /** `tlsVersion`: the session's TLS protocol (TLSv1.3…) when it ended, undefined for a plain-text session. */
  closed(tlsVersion: string | undefined): void;
  authFailed(mechanism: string): void;
}

// RFC 4954 §4: an AUTH line may be up to 12288 octets; nothing we read is longer.
const MAX_LINE = 12_288 + 2;
// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets with its CRLF.
const MAX_COMMAND_LINE = 512;
// RFC 5321 §4.5.3.1.4 lets extensions lengthen MAIL and RCPT (RFC 3461's
// ORCPT alone may add 500 characters); 2048 is Postfix's line_length_limit.
const MAX_PATH_COMMAND_LINE = 2048;
// Postfix's smtpd_recipient_overshoot_limit: recipients over the limit get
// 452 4.5.3 (the client sends them in a next transaction) and count as
// errors only past this many, so a legitimate big list never ends the session.
const MAX_RECIPIENT_OVERSHOOT = 1000;
// Postfix's smtpd_hard_error_limit: a client that keeps getting errors is
// broken or probing; stop talking to it.
const MAX_ERRORS = 20;
// Input read while a reply is pending (pipelining) is bounded.
const MAX_BUFFERED_INPUT = 1024 * 1024;
// A closed session whose last reply the client does not read (no progress
// for this long) is destroyed, so that it cannot hold a stop open.
export const CLOSING_TIMEOUT_MS = 5_000;
// RFC 5321 §4.5.3.1.1/2 and a safety margin.
const MAX_HELO = 255;
const BAD_COMMAND_CHARACTER = /[\0\r]/;
const MAIL_KEYWORD = /^FROM\s*:/i;
const RCPT_KEYWORD = /^TO\s*:/i;
// Clients that are not SMTP at all (a browser, a proxy probe): close at once.
const FORBIDDEN = new Set(['GET', 'POST', 'HEAD', 'PUT', 'CONNECT']);

type AuthStep =
  | { readonly mechanism: 'PLAIN' }
  | { readonly mechanism: 'LOGIN'; readonly login: string | undefined }
  // RFC 5802 §5: client-first, then client-final, then (RFC 4954 §4: the
  // server's last message goes out as a challenge) an empty response.
  | { readonly mechanism: 'SCRAM-SHA-256'; readonly exchange: ScramServer | undefined; readonly done: AuthResult | undefined }
  | { readonly mechanism: 'CRAM-MD5'; readonly challenge: string };

interface Transaction {
  readonly mailFrom: string;
  readonly rcptTo: string[];
  /** MAIL FROM had SMTPUTF8 (RFC 6531 §3.4): UTF-8 addresses allowed. */
  readonly smtputf8: boolean;
  /** MAIL FROM had REQUIRETLS (RFC 8689 §4.1). */
  readonly requireTls?: boolean;
  /** RFC 3461 RET and ENVID from MAIL. */
  readonly ret: 'FULL' | 'HDRS' | undefined;
  readonly envId: string | undefined;
  /** RFC 3461 NOTIFY/ORCPT per recipient (as written in RCPT), made at the first RCPT that has them. */
  rcptParams: Map<string, RecipientParams> | undefined;
  /** Identity keys of rcptTo (made at the second recipient): one mailbox is delivered once. */
  keys: Set<string> | undefined;
  /** Recipients refused for being over a limit (452 4.5.3). */
  overshoot: number;
}

export class SmtpSession {
  readonly #ctx: SessionContext;
  #socket: Socket;
  readonly #remoteAddress: string;
  readonly #trusted: boolean;
  #secure: boolean;
  #tls: { readonly version: string; readonly cipher: string } | undefined;
  #helo = '';
  #esmtp = false;
  #user: string | undefined;
  #principal: Principal | undefined;
  /** The policy's view of who sends; null = nobody may; undefined = not made yet. */
  #sender: Sender | null | undefined;
  #transaction: Transaction | undefined;
  #reader: DataReader | undefined;
  /** The BDAT chunk being read, and what to do once its last octet is in. */
  #chunk: { readonly reader: ChunkReader; readonly done: () => void } | undefined;
  /** The message of the transaction's BDAT chunks so far (stale once #transaction is another), and the data deadline. */
  #bdat: { readonly transaction: Transaction; readonly message: BdatMessage; readonly deadlineAtMs: number } | undefined;
  #authStep: AuthStep | undefined;
  /** Bytes received and not yet handled (a partial line, or commands pipelined behind a pending reply). */
  #input: Buffer | undefined;
  #discardingLongLine = false;
  /** Waiting for something asynchronous (AUTH check, storing, TLS handshake); input waits. */
  #busy = false;
  /** Storing a message: the one wait a shutdown must not cut short (the client would retry, a duplicate). */
  #storing = false;
  /** The TLS socket while a STARTTLS handshake is under way. */
  #handshake: TLSSocket | undefined;
  #out = '';
  /** Replies are backed up (the client is not reading them): its input waits until they drain. */
  #draining = false;
  #errors = 0;
  #authFailures = 0;
  /** The mechanism of the last AUTH command, for the observer. */
  #authMechanism = '';
  /**
   * When the command line under way, or the message after DATA, must be
   * complete (epoch ms; 0 = nothing under way). Checked as bytes arrive, so
   * it costs no timer: a client that drips bytes is cut off at its next
   * byte past the deadline, and one that goes silent meets the idle timeout.
   */
  #deadlineAtMs = 0;
  #shuttingDown = false;
  #closed = false;
  readonly #onClosed: (session: SmtpSession) => void;
  readonly #facts: SessionFacts;

  constructor(socket: Socket, ctx: SessionContext, options: { readonly secure: boolean; readonly onClosed: (session: SmtpSession) => void }) {
    this.#ctx = ctx;
    this.#socket = socket;
    this.#secure = options.secure;
    this.#onClosed = options.onClosed;
    this.#remoteAddress = socket.remoteAddress ?? '';
    this.#trusted = ctx.policy.isTrusted(this.#remoteAddress);
    if (options.secure) this.#tls = tlsFacts(socket as TLSSocket);
    // One facts object per session; its getters read the live state.
    const session = this;
    this.#facts = {
      get remoteAddress() {
        return session.#remoteAddress;
      },
      get secure() {
        return session.#secure;
      },
      get trustedClient() {
        return session.#trusted;
      },
      get helo() {
        return session.#helo;
      },
      get user() {
        return session.#user;
      },
      get principal() {
        return session.#principal;
      },
      get sender() {
        // Made once per login (or once for a trusted client), not per command.
        if (session.#sender === undefined) {
          const principal = session.#principal;
          if (principal !== undefined) session.#sender = { kind: 'user', principal, clientIp: session.#remoteAddress };
          else session.#sender = session.#trusted ? { kind: 'trusted', clientIp: session.#remoteAddress } : null;
        }
        return session.#sender ?? undefined;
      },
      submitter: () => this.#submitter(),
    };
    this.#attach(socket);
    this.#reply(greetingFor(ctx));
    this.#flush();
  }

  /** The TLS protocol in use (TLSv1.3…), undefined in plain text. */
  get tlsVersion(): string | undefined {
    return this.#tls?.version;
  }

  /** A stop was asked: idle sessions end now with 421; a transaction under way may finish first. */
  shutdown(): void {
    this.#shuttingDown = true;
    if (this.#idle) this.#close(replies.shuttingDown);
  }

  /** Nothing under way: no transaction, no DATA, no wait. */
  get #idle(): boolean {
    return !this.#busy && this.#transaction === undefined && this.#reader === undefined && this.#chunk === undefined;
  }

  /** The stop's grace time is over: end now, unless a message is being stored (its reply is owed). */
  forceClose(): void {
    this.#shuttingDown = true;
    // Mid-handshake, TLS owns the socket: no plaintext 421 can go out.
    if (this.#handshake !== undefined) return void this.#handshake.destroy();
    if (!this.#storing) this.#close(replies.shuttingDown);
  }

  #attach(socket: Socket): void {
    socket.setNoDelay(true);
    socket.setTimeout(this.#ctx.socketTimeoutMs);
    socket.on('data', this.#onData);
    socket.on('timeout', this.#onTimeout);
    socket.on('error', this.#onError);
    socket.once('close', this.#onClose);
  }

  #detach(socket: Socket): void {
    socket.off('data', this.#onData);
    socket.off('timeout', this.#onTimeout);
    socket.off('close', this.#onClose);
    socket.setTimeout(0);
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#closed) return;
    if ((this.#deadlineAtMs !== 0 || this.#bdat !== undefined) && this.#late()) return this.#deadlinePassed();
    this.#input = this.#input === undefined ? chunk : Buffer.concat([this.#input, chunk]);
    if (this.#busy) {
      // Pipelined input behind a pending reply: bounded, the client has to wait for us.
      if (this.#input.length > MAX_BUFFERED_INPUT) this.#socket.pause();
      return;
    }
    this.#process();
  };

  /** A BDAT transaction has the data deadline from its first chunk to its last, the commands between them included. */
  #late(): boolean {
    const now = Date.now();
    return (this.#deadlineAtMs !== 0 && now > this.#deadlineAtMs) || (this.#bdat !== undefined && now > this.#bdat.deadlineAtMs);
  }

  readonly #onTimeout = (): void => {
    // Closed already, but the last reply never went out: give up on it.
    if (this.#closed) return void this.#socket.destroy();
    if (this.#storing) return; // our own slowness, not the client's
    this.#close(replies.timeout);
  };

  readonly #onError = (err: NodeJS.ErrnoException): void => {
    // A client that vanishes mid-session is normal traffic; log at debug only.
    this.#ctx.logger.debug({ err, clientIp: this.#remoteAddress }, 'SMTP connection error');
  };

  readonly #onClose = (): void => {
    if (this.#closed) return;
    this.#closed = true;
    // A client gone while its message is being stored: the session is over
    // only when the store is (a stop must not close the queue under it).
    if (!this.#storing) this.#onClosed(this);
  };

  readonly #onDrain = (): void => {
    this.#draining = false;
    if (!this.#busy && !this.#closed) this.#socket.resume();
  };

  /** Handles buffered input until it runs out or something asynchronous starts. */
  #process(): void {
    let lineDone = false;
    // During a stop, no new command is taken once the session is idle again.
    while (!this.#busy && !this.#closed && this.#input !== undefined && !(this.#shuttingDown && this.#idle)) {
      const input = this.#input;
      if (this.#reader !== undefined) {
        this.#input = undefined;
        const progress = this.#reader.push(input);
        if (!progress.done) break;
        this.#reader = undefined;
        this.#deadlineAtMs = 0;
        lineDone = true;
        if (progress.rest.length > 0) this.#input = progress.rest;
        this.#endOfData(progress.message);
        continue;
      }
      if (this.#chunk !== undefined) {
        const chunk = this.#chunk;
        this.#input = undefined;
        const progress = chunk.reader.push(input);
        if (!progress.done) break;
        this.#chunk = undefined;
        this.#input = progress.rest;
        lineDone = true;
        chunk.done();
        continue;
      }
      const lf = input.indexOf(0x0a);
      if (lf === -1) {
        if (this.#discardingLongLine) {
          // More of a line already answered with 500: one reply per line.
          this.#input = undefined;
        } else if (input.length > MAX_LINE) {
          this.#input = undefined;
          this.#discardingLongLine = true;
          this.#lineTooLong();
        }
        break;
      }
      this.#input = lf + 1 < input.length ? input.subarray(lf + 1) : undefined;
      if (this.#discardingLongLine) {
        this.#discardingLongLine = false;
        continue;
      }
      if (lf + 1 > MAX_LINE) {
        this.#lineTooLong();
        continue;
      }
      lineDone = true;
      const crlf = lf > 0 && input[lf - 1] === 0x0d;
      try {
        this.#line(input.toString('utf8', 0, crlf ? lf - 1 : lf), lf + 1, crlf);
      } catch (err) {
        // A bug of ours must cost this command, not the process and every other session.
        this.#ctx.logger.error({ err, clientIp: this.#remoteAddress }, 'unexpected error handling a command');
        this.#authStep = undefined;
        this.#error(replies.localError);
      }
    }
    this.#watchDeadline(lineDone);
    // A transaction that ended (RSET, EHLO, a refused DATA) during a stop leaves an idle session.
    if (this.#shuttingDown && this.#idle) this.#close(replies.shuttingDown);
    // The socket was paused while a reply was pending; what is left now is at
    // most a partial line, so read on (unless our replies are backed up).
    if (!this.#busy && !this.#closed && !this.#draining && this.#socket.isPaused()) this.#socket.resume();
    this.#flush();
  }

  /** RFC 4954 §4: a too-long line during AUTH also ends the exchange (500 5.5.6 means it failed). */
  #lineTooLong(): void {
    if (this.#authStep !== undefined) {
      this.#authStep = undefined;
      return this.#error(replies.authLineTooLong);
    }
    this.#error(replies.lineTooLong);
  }

  /**
   * The command deadline runs from the first byte of a command line until its
   * end; DATA has its own (started in #data). A client dripping one byte at
   * a time resets the idle timeout but not these.
   */
  #watchDeadline(lineDone: boolean): void {
    if (this.#reader !== undefined || this.#chunk !== undefined || this.#closed) return;
    const partial = !this.#busy && (this.#input !== undefined || this.#discardingLongLine);
    if (!partial) this.#deadlineAtMs = 0;
    else if (this.#deadlineAtMs === 0 || lineDone) this.#deadlineAtMs = Date.now() + this.#ctx.commandDeadlineMs;
    // RSET, EHLO, STARTTLS or a new MAIL ended the BDAT transaction: let its octets go.
    if (this.#bdat !== undefined && this.#bdat.transaction !== this.#transaction) this.#bdat = undefined;
  }

  #deadlinePassed(): void {
    this.#deadlineAtMs = 0;
    if (this.#storing) return;
    this.#ctx.logger.info({ event: 'deadline', clientIp: this.#remoteAddress, inData: this.#reader !== undefined || this.#chunk !== undefined }, 'command or data deadline passed');
    this.#close(replies.commandDeadline);
  }

  /** `octets`: the line's length on the wire with its line end; `crlf`: it ended in CRLF, not a bare LF. */
  #line(line: string, octets: number, crlf: boolean): void {
    if (this.#authStep !== undefined) return this.#authResponse(line);
    // RFC 5321 §2.3.8: CR and LF only as CRLF; NUL is no character of SMTP.
    // Before the verb, so that no command is taken from a line built to be read two ways.
    if (!crlf || BAD_COMMAND_CHARACTER.test(line)) return this.#error(replies.badCharacterInCommand);
    const { verb, argument } = splitCommand(line);
    if (octets > MAX_COMMAND_LINE && !(octets <= MAX_PATH_COMMAND_LINE && (verb === 'MAIL' || verb === 'RCPT')) && verb !== 'AUTH') {
      return this.#error(replies.commandTooLong);
    }
    switch (verb) {
      case 'EHLO':
      case 'HELO':
        return this.#hello(verb, argument);
      case 'MAIL':
        return this.#mail(argument);
      case 'RCPT':
        return this.#rcpt(argument);
      case 'DATA':
        return this.#data(argument);
      case 'BDAT':
        return this.#bdatCommand(argument);
      case 'RSET':
        this.#transaction = undefined;
        return this.#reply(replies.ok);
      case 'NOOP':
        return this.#reply(replies.ok);
      case 'QUIT':
        return this.#close(replies.bye, { clientDone: true });
      case 'STARTTLS':
        return this.#startTls(argument);
      case 'AUTH':
        return this.#auth(argument);
      case 'HELP':
        return this.#reply(replies.help);
      case 'VRFY':
        return this.#error(replies.vrfyDisabled);
      case 'EXPN':
      case 'ETRN':
      case 'TURN':
        return this.#error(replies.notImplemented);
      default:
        if (FORBIDDEN.has(verb)) return this.#close(replies.unknownCommand);
        return this.#error(replies.unknownCommand);
    }
  }

  #hello(verb: 'EHLO' | 'HELO', argument: string): void {
    const name = argument.split(' ')[0] ?? '';
    if (name === '' || name.length > MAX_HELO) return this.#error(replies.heloSyntax);
    // RFC 5321 §4.1.4: EHLO/HELO resets the state as RSET does.
    this.#transaction = undefined;
    this.#helo = name;
    this.#esmtp = verb === 'EHLO';
    this.#reply(verb === 'EHLO' ? this.#ehloReply() : replies.helo(this.#ctx.hostname, name));
  }

  #ehloReply(): SmtpReply {
    return this.#secure ? ehloReplies(this.#ctx).secure : ehloReplies(this.#ctx).plain;
  }

  #mail(argument: string): void {
    if (this.#helo === '') return this.#error(replies.sendHeloFirst);
    if (this.#transaction !== undefined) return this.#error(replies.nestedMail);
    const path = parsePathArgument(argument, 'FROM');
    if (path === undefined) return this.#error(badPath(argument, MAIL_KEYWORD, replies.badSenderAddress, replies.mailSyntax));
    let smtputf8 = false;
    let requireTls = false;
    let ret: 'FULL' | 'HDRS' | undefined;
    let envId: string | undefined;
    for (const [key, value] of path.params) {
      if (key === 'SIZE') {
        if (value === true || !/^\d{1,15}$/.test(value)) return this.#error(replies.mailSyntax);
        if (Number(value) > this.#ctx.maxMessageBytes) return this.#error(replies.messageTooBig);
      } else if (key === 'BODY') {
        if (value === true || !/^(7BIT|8BITMIME)$/i.test(value)) return this.#error(replies.badBodyType);
      } else if (key === 'SMTPUTF8' && value === true) {
        smtputf8 = true;
      } else if (key === 'RET') {
        // RFC 3461 §4.3, §4.4 (dsn-params.ts); a repeated keyword never gets here (badPath names it).
        const parsed = parseRet(value);
        if (!parsed.ok) return this.#error(parsed.reply);
        ret = parsed.value;
      } else if (key === 'ENVID') {
        const parsed = parseEnvId(value);
        if (!parsed.ok) return this.#error(parsed.reply);
        envId = parsed.value;
      } else if (key === 'REQUIRETLS') {
        // RFC 8689 §4.1: a flag, accepted only over TLS (it is advertised only then).
        if (value !== true) return this.#error(replies.badRequireTls);
        if (!this.#secure) return this.#error(replies.requireTlsNeedsTls);
        requireTls = true;
      } else if (key === 'AUTH') {
        // RFC 4954 §5: the submitter's identity for a relayed message; we
        // keep the authenticated user ourselves, so it is accepted and unused.
      } else {
        return this.#error(replies.unsupportedParameter);
      }
    }
    if (!smtputf8 && hasNonAscii(path.address)) return this.#error(replies.utf8AddressNeedsSmtputf8);
    // Policy after syntax: a malformed command is told so, not that its sender is not allowed.
    const denied = this.#ctx.policy.checkSender(path.address, this.#facts);
    if (denied) return this.#error(denied);
    this.#transaction = { mailFrom: path.address, rcptTo: [], smtputf8, ret, envId, rcptParams: undefined, keys: undefined, overshoot: 0, ...(requireTls ? { requireTls } : {}) };
    this.#reply(replies.senderOk);
  }

  #rcpt(argument: string): void {
    const transaction = this.#transaction;
    if (transaction === undefined) return this.#error(replies.needMail);
    const path = parsePathArgument(argument, 'TO');
    if (path === undefined) return this.#error(badPath(argument, RCPT_KEYWORD, replies.badRecipientAddress, replies.rcptSyntax));
    if (path.address === '') return this.#error(replies.badRecipientAddress('empty path'));
    // RFC 3461 §4.1, §4.2: NOTIFY and ORCPT (dsn-params.ts); anything else is unsupported.
    const dsn = path.params.size === 0 ? undefined : recipientParams(path.params);
    if (dsn !== undefined && !dsn.ok) return this.#error(dsn.reply);
    if (!transaction.smtputf8 && hasNonAscii(path.address)) return this.#error(replies.utf8AddressNeedsSmtputf8);
    const { rcptTo } = transaction;
    if (rcptTo.length > 0) {
      // One mailbox, however it is written, is one recipient (Postfix's cleanup does the same).
      transaction.keys ??= new Set(rcptTo.map(mailboxKey));
      if (transaction.keys.has(mailboxKey(path.address))) return this.#reply(replies.recipientOk);
    }
    const denied = this.#ctx.policy.checkRecipient(path.address, transaction.mailFrom, rcptTo.length, this.#facts);
    if (denied) {
      // Over a limit (452) or suppressed (550 5.1.1): the client did nothing
      // wrong, and the rest of its list must still go; counted as errors only
      // past a large overshoot.
      if ((denied.code === 452 || denied.enhanced === '5.1.1') && ++transaction.overshoot <= MAX_RECIPIENT_OVERSHOOT) return this.#reply(denied);
      return this.#error(denied);
    }
    rcptTo.push(path.address);
    transaction.keys?.add(mailboxKey(path.address));
    if (dsn?.value !== undefined) (transaction.rcptParams ??= new Map()).set(path.address, dsn.value);
    this.#reply(replies.recipientOk);
  }

  #data(argument: string): void {
    if (argument !== '') return this.#error(replies.noArguments);
    const transaction = this.#transaction;
    if (transaction === undefined) return this.#error(replies.needMail);
    if (transaction.rcptTo.length === 0) return this.#error(replies.needRcpt);
    if (this.#bdat?.transaction === transaction) return this.#error(replies.dataAfterBdat);
    this.#reader = new DataReader(this.#ctx.maxMessageBytes);
    this.#deadlineAtMs = Date.now() + this.#ctx.dataDeadlineMs;
    this.#reply(replies.startData);
  }

  /**
   * RFC 3030 §2, §3: "BDAT <size> [LAST]" is followed by <size> octets, which
   * are read whatever the reply (an error too is given only after them, and
   * they are never taken as commands). A chunk that fails (syntax, 552) fails
   * the transaction; the ones after it get 503. LAST stores the message the
   * way DATA's end does (#endOfData).
   */
  #bdatCommand(argument: string): void {
    const command = parseBdat(argument);
    if (command.size === undefined) {
      this.#reply(replies.bdatSyntax);
      return this.#close(replies.bdatLostSync);
    }
    const { size } = command;
    const last = command.ok && command.last;
    const transaction = this.#transaction;
    let refusal: SmtpReply | undefined;
    let bdat = this.#bdat?.transaction === transaction ? this.#bdat : undefined;
    if (!command.ok) refusal = replies.bdatSyntax;
    else if (transaction === undefined) refusal = replies.needMail;
    else if (transaction.rcptTo.length === 0) refusal = replies.needRcpt;
    else {
      bdat ??= { transaction, message: new BdatMessage(), deadlineAtMs: Date.now() + this.#ctx.dataDeadlineMs };
      if (bdat.message.size + size > this.#ctx.maxMessageBytes) refusal = replies.messageTooBig;
    }
    if (refusal !== undefined && refusal !== replies.needRcpt) {
      // The chunk is lost, so is the message: its kept octets are let go at once.
      this.#transaction = undefined;
      bdat = undefined;
    }
    this.#bdat = bdat;
    const message = refusal === undefined ? bdat?.message : undefined;
    const done = (): void => {
      // The 503s to chunks pipelined behind a failed one are the protocol's
      // way (RFC 3030 §3), not the client's errors: a message sent in many
      // chunks must not end the session at the error limit.
      if (refusal === replies.needMail) return this.#reply(refusal);
      if (refusal !== undefined) return this.#error(refusal);
      if (!last) return this.#reply(replies.chunkReceived(size));
      this.#bdat = undefined;
      this.#endOfData(message?.message() ?? EMPTY);
    };
    if (size === 0) return done();
    this.#chunk = { reader: new ChunkReader(size, message), done };
    this.#deadlineAtMs = bdat?.deadlineAtMs ?? Date.now() + this.#ctx.dataDeadlineMs;
  }

  #endOfData(message: Buffer | undefined): void {
    const transaction = this.#transaction;
    this.#transaction = undefined;
    if (transaction === undefined) return; // cannot happen: DATA needs a transaction
    // During a stop, #process ends the session once it is idle again.
    if (message === undefined) return this.#error(replies.messageTooBig);
    this.#busy = true;
    this.#storing = true;
    this.#flush();
    const { smtputf8, ret, envId, rcptParams, requireTls } = transaction;
    const params =
      smtputf8 || ret || envId !== undefined || rcptParams || requireTls === true
        ? { smtputf8, ret, envId, recipients: rcptParams, ...(requireTls === true ? { requireTls } : {}) }
        : undefined;
    this.#ctx.policy.deliverMessage(transaction.mailFrom, transaction.rcptTo, message, this.#facts, params).then((reply) => {
      this.#storing = false;
      if (this.#closed) return this.#onClosed(this); // the client left meanwhile (see #onClose)
      // Postfix's smtpd_hard_error_limit counts errors "without delivering mail": a delivered message starts over.
      if (reply.code === 250) this.#errors = 0;
      this.#reply(reply);
      this.#resume();
    });
  }

  #startTls(argument: string): void {
    if (this.#secure) return this.#error(replies.tlsAlreadyActive);
    if (argument !== '') return this.#error(replies.noArguments);
    this.#reply(replies.readyToStartTls);
    this.#flush();
    // RFC 3207 §4.2 / CVE-2011-0411: anything the client pipelined after
    // STARTTLS arrived in the clear and must not be taken as said over TLS.
    this.#input = undefined;
    this.#busy = true;
    const plain = this.#socket;
    this.#detach(plain);
    const secure = new TLSSocket(plain, { isServer: true, secureContext: this.#ctx.secureContext() });
    this.#handshake = secure;
    secure.setTimeout(this.#ctx.socketTimeoutMs);
    const failed = (err: Error): void => {
      this.#ctx.logger.debug({ err, clientIp: this.#remoteAddress }, 'STARTTLS handshake failed');
      secure.destroy();
    };
    const slow = (): void => {
      secure.destroy();
    };
    // 'on', not 'once': a second error event without a listener would be thrown.
    secure.on('error', failed);
    secure.once('timeout', slow);
    secure.once('close', this.#onClose);
    secure.once('secure', () => {
      this.#handshake = undefined;
      secure.off('error', failed);
      secure.off('timeout', slow);
      secure.off('close', this.#onClose);
      this.#socket = secure;
      this.#draining = false; // a 'drain' pending on the plain socket no longer matters
      this.#secure = true;
      this.#tls = tlsFacts(secure);
      // RFC 3207 §4.2: forget everything learnt before TLS.
      this.#helo = '';
      this.#esmtp = false;
      this.#user = undefined;
      this.#principal = undefined;
      this.#sender = undefined;
      this.#transaction = undefined;
      this.#attach(secure);
      this.#resume();
    });
  }

  #auth(argument: string): void {
    const [name = '', initial] = argument.split(' ');
    if (!this.#secure) return this.#error(replies.tlsRequired);
    if (!this.#esmtp) return this.#error(replies.sendHeloFirst);
    if (this.#user !== undefined) return this.#error(replies.alreadyAuthenticated);
    if (this.#transaction !== undefined) return this.#error(replies.authDuringTransaction);
    const mechanism = saslMechanism(name, this.#ctx.policy.mechanisms);
    if (mechanism === undefined) return this.#error(replies.authMechanismUnknown);
    this.#authMechanism = mechanism;
    if (mechanism === 'CRAM-MD5') {
      // RFC 2195: the server speaks first; there is no initial response.
      if (initial !== undefined) return this.#error(replies.authCancelled);
      const challenge = this.#ctx.policy.cramChallenge();
      this.#authStep = { mechanism, challenge };
      return this.#reply(replies.authChallenge(Buffer.from(challenge).toString('base64')));
    }
    this.#authStep = firstStep(mechanism);
    if (initial === undefined) {
      return this.#reply(replies.authChallenge(mechanism === 'LOGIN' ? LOGIN_USERNAME_PROMPT : ''));
    }
    // RFC 4954 §4: "=" is an empty initial response.
    this.#authResponse(initial === '=' ? '' : initial);
  }

  #authResponse(line: string): void {
    const step = this.#authStep;
    if (step === undefined) return;
    if (line === '*') {
      this.#authStep = undefined;
      return this.#error(replies.authCancelled);
    }
    const decoded = decodeBase64(line.trim());
    if (decoded === undefined) {
      this.#authStep = undefined;
      return this.#error(replies.authBadBase64);
    }
    if (step.mechanism === 'LOGIN' && step.login === undefined) {
      this.#authStep = { mechanism: 'LOGIN', login: decoded };
      return this.#reply(replies.authChallenge(LOGIN_PASSWORD_PROMPT));
    }
    if (step.mechanism === 'SCRAM-SHA-256') return this.#scramResponse(step, decoded);
    this.#authStep = undefined;
    if (step.mechanism === 'CRAM-MD5') return this.#authDone(this.#ctx.policy.cramFinish(step.challenge, decoded, this.#facts));
    const credentials = step.mechanism === 'PLAIN' ? parsePlain(decoded) : { login: step.login ?? '', password: decoded };
    if (credentials === undefined) return this.#error(replies.authFailed);
    this.#busy = true;
    this.#flush();
    this.#ctx.policy.authenticate(credentials.login, credentials.password, this.#facts).then((result) => this.#authDone(result, true));
  }

  #scramResponse(step: Extract<AuthStep, { mechanism: 'SCRAM-SHA-256' }>, decoded: string): void {
    if (step.done !== undefined) {
      // The client's (empty) answer to our server-final message.
      this.#authStep = undefined;
      return this.#authDone(step.done);
    }
    if (step.exchange === undefined) {
      const begun = this.#ctx.policy.scramBegin(decoded, this.#facts);
      if (!('exchange' in begun)) {
        this.#authStep = undefined;
        return this.#authDone(begun);
      }
      this.#authStep = { mechanism: 'SCRAM-SHA-256', exchange: begun.exchange, done: undefined };
      return this.#reply(replies.authChallenge(Buffer.from(begun.serverFirst).toString('base64')));
    }
    const finished = this.#ctx.policy.scramFinish(step.exchange, decoded, this.#facts);
    if (!('principal' in finished) || finished.serverFinal === undefined) {
      this.#authStep = undefined;
      return this.#authDone(finished);
    }
    this.#authStep = { mechanism: 'SCRAM-SHA-256', exchange: step.exchange, done: finished };
    this.#reply(replies.authChallenge(Buffer.from(finished.serverFinal).toString('base64')));
  }

  /**
   * A failed AUTH is answered late, later with each failure (a tarpit: a
   * guesser gets a few tries a minute, not hundreds a second), and the
   * session ends after a few; the counts across sessions are the policy's.
   */
  #authDone(result: AuthResult, fromPromise = false): void {
    // Called from a promise the session is busy and must be resumed; called
    // from within #process (SCRAM, CRAM-MD5) it must not re-enter it.
    if ('principal' in result) {
      this.#principal = result.principal;
      this.#sender = undefined;
      this.#user = result.principal.user;
      this.#reply(replies.authSucceeded);
      if (fromPromise) this.#resume();
      return;
    }
    if (!result.failed) {
      this.#error(result.reply);
      if (fromPromise) this.#resume();
      return;
    }
    const failures = ++this.#authFailures;
    this.#ctx.observer?.authFailed(this.#authMechanism);
    this.#busy = true;
    setTimeout(() => {
      if (this.#closed) return this.#resume();
      this.#error(result.reply);
      if (failures >= this.#ctx.policy.maxAuthFailuresPerSession) this.#close(replies.authTooManyFailures);
      this.#resume();
    }, this.#ctx.policy.tarpitDelayMs(failures));
  }

  #resume(): void {
    this.#busy = false;
    if (this.#closed) return;
    if (this.#shuttingDown && this.#idle) return this.#close(replies.shuttingDown);
    this.#process();
  }

  #submitter(): Submitter {
    // RFC 3848 with-protocol types; "SMTP" after HELO (RFC 5321 §4.4).
    const protocol = this.#esmtp ? `ESMTP${this.#secure ? 'S' : ''}${this.#user !== undefined ? 'A' : ''}` : 'SMTP';
    return {
      clientIp: this.#remoteAddress,
      // No reverse lookup per connection (it would cost a DNS query per
      // session); the Received header carries the address literal.
      clientHostname: '',
      helo: this.#helo,
      user: this.#user,
      credential: this.#principal?.credentialName,
      protocol,
      tls: this.#tls,
      via: this.#ctx.policy.listener,
    };
  }

  #reply(reply: SmtpReply): void {
    this.#out += wireReply(reply);
  }

  #error(reply: SmtpReply): void {
    this.#reply(reply);
    if (++this.#errors >= MAX_ERRORS) this.#close(replies.tooManyErrors);
  }

  #flush(): void {
    if (this.#out === '' || this.#closed) return;
    const out = this.#out;
    this.#out = '';
    if (!this.#socket.write(out) && !this.#draining) {
      // The client sends commands but does not read the replies: stop
      // reading until it does, or the replies pile up in memory unbounded.
      this.#draining = true;
      this.#socket.pause();
      this.#socket.once('drain', this.#onDrain);
    }
  }

  /**
   * Sends the last reply and ends the session. `clientDone` (after QUIT): the
   * client has nothing more to say, so a plain socket whose reply is already
   * with the kernel is closed at once. Otherwise (errors, timeouts, a stop)
   * the client may still be sending: closing with unread input would make
   * the kernel send a reset, and the client might never read our 421.
   */
  #close(reply: SmtpReply, { clientDone = false } = {}): void {
    if (this.#closed) return;
    this.#reply(reply);
    this.#flush();
    this.#closed = true;
    this.#input = undefined;
    const socket = this.#socket;
    // After QUIT, waiting for the client's FIN would cost a callback (and a
    // client that resets instead, an error object) for nothing. Otherwise our
    // side is shut (after the reply, and TLS close_notify) and the client's
    // input is read and dropped until it closes, or the closing timeout.
    if (clientDone && !(socket instanceof TLSSocket) && socket.writableLength === 0) socket.destroy();
    else {
      socket.end();
      socket.setTimeout(Math.min(CLOSING_TIMEOUT_MS, this.#ctx.socketTimeoutMs)); // see #onTimeout
    }
    this.#onClosed(this);
  }
}

/** Why a MAIL/RCPT argument did not parse: a repeated parameter (RFC 3461 §4), a bad path, or no "FROM:"/"TO:". */
function badPath(argument: string, keyword: RegExp, badAddress: (problem: string) => SmtpReply, syntax: SmtpReply): SmtpReply {
  if (!keyword.test(argument)) return syntax;
  const seen = new Set<string>();
  for (const param of argument.slice(argument.lastIndexOf('>') + 1).split(' ')) {
    const key = param.split('=')[0]?.toUpperCase() ?? '';
    if (key === '') continue;
    if (seen.has(key)) return replies.repeatedParameter(key.slice(0, 20));
    seen.add(key);
  }
  return badAddress(pathProblem(argument));
}

/** Why a path that follows "FROM:"/"TO:" could not be read (the address parser never saw it). */
function pathProblem(argument: string): string {
  return (argument.match(/(?<!\\)"/g)?.length ?? 0) % 2 === 1 ? 'unbalanced quotes' : 'malformed path';
}

function firstStep(mechanism: 'PLAIN' | 'LOGIN' | 'SCRAM-SHA-256'): AuthStep {
  if (mechanism === 'PLAIN') return { mechanism };
  if (mechanism === 'LOGIN') return { mechanism, login: undefined };
  return { mechanism, exchange: undefined, done: undefined };
}

function tlsFacts(socket: TLSSocket): { version: string; cipher: string } {
  return { version: socket.getProtocol() ?? 'TLS', cipher: socket.getCipher()?.name ?? 'unknown' };
}

const EMPTY = Buffer.alloc(0);

const greetingCache = new WeakMap<SessionContext, SmtpReply>();

/** One greeting object per listener, so its wire form is cached (see wireReply). */
function greetingFor(ctx: SessionContext): SmtpReply {
  let greeting = greetingCache.get(ctx);
  if (greeting === undefined) {
    greeting = replies.greeting(ctx.hostname);
    greetingCache.set(ctx, greeting);
  }
  return greeting;
}

const ehloCache = new WeakMap<SessionContext, { plain: SmtpReply; secure: SmtpReply }>();

/** The EHLO reply before and after TLS: AUTH only over TLS (RFC 4954 §4), STARTTLS only before. */
function ehloReplies(ctx: SessionContext): { plain: SmtpReply; secure: SmtpReply } {
  let cached = ehloCache.get(ctx);
  if (cached === undefined) {
    const common = [ctx.hostname, 'PIPELINING', `SIZE ${ctx.maxMessageBytes}`, '8BITMIME', 'SMTPUTF8', 'DSN', 'ENHANCEDSTATUSCODES'];
    cached = {
      // No BINARYMIME: intake canonicalises line endings, which would change a binary body.
      plain: smtpReply(250, undefined, [...common, 'CHUNKING', 'STARTTLS']),
      // RFC 8689 §4.1: REQUIRETLS offered only once TLS is up (AUTH stays the last line, as before).
      secure: smtpReply(250, undefined, [...common, 'CHUNKING', 'REQUIRETLS', `AUTH ${ctx.policy.mechanisms.join(' ')}`]),
    };
    ehloCache.set(ctx, cached);
  }
  return cached;
}
