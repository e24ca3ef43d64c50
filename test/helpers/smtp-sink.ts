// Scriptable receiving SMTP servers for tests: the remote MX hosts and the
// smarthosts that Hikyaku delivers to. Built on smtp-server, listening on a
// loopback address (127.0.0.2 by default, so tests can tell "the MX" apart
// from Hikyaku itself on 127.0.0.1), and recording every accepted message.
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { makeTestCertificate } from './certs.js';

export interface ReceivedMail {
  mailFrom: string;
  /** The recipients that were accepted with 250. */
  rcptTo: string[];
  /** Exactly the bytes of the message as received (after un-dot-stuffing by smtp-server). */
  raw: Buffer;
  secure: boolean;
  tlsVersion?: string;
  authUser?: string;
  heloName: string;
  connectionId: string;
  /** Address the client connected from. */
  remoteAddress: string;
  /** ESMTP parameters of MAIL FROM (keys upper case; a keyword alone is true). */
  mailParams: Record<string, string | true>;
  /** ESMTP parameters of each accepted RCPT TO, by address. */
  rcptParams: Record<string, Record<string, string | true>>;
}

/** e.g. {code: 451, message: '4.3.0 try later'}; the message goes on the wire as given. */
export interface SinkReply {
  code: number;
  message: string;
}

export interface SmtpSinkOptions {
  /** Default '127.0.0.2'. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Offer STARTTLS with this certificate (default: a test certificate for 'mx.test'); false = no STARTTLS. */
  tls?: { key: string; cert: string } | false;
  /** TLS from the first byte (port-465 style smarthost). */
  implicitTls?: boolean;
  /** Require AUTH PLAIN/LOGIN with these credentials before MAIL. */
  auth?: { username: string; password: string };
  /** Refuse MAIL before STARTTLS (530). */
  requireTls?: boolean;
  /** Advertise SIZE and reject larger messages with 552. */
  size?: number;
  /** A code >= 400 answers every connection with this reply and closes it; a 2xx/3xx only sets the banner text. */
  greeting?: SinkReply;
  /** Server name in the greeting and EHLO reply; default 'mx.test'. */
  name?: string;
  /** Offer DSN (RFC 3461) in the EHLO reply (smtp-server hides it unless told). */
  dsn?: boolean;
  /** Leave SMTPUTF8 (RFC 6531) out of the EHLO reply. */
  hideSMTPUTF8?: boolean;
  /** Offer REQUIRETLS (RFC 8689) in the EHLO reply after TLS (smtp-server hides it unless told). */
  offerRequireTls?: boolean;
  onMailFrom?: (address: string) => SinkReply | undefined;
  /** undefined = 250. */
  onRcptTo?: (address: string) => SinkReply | undefined;
  /** undefined = 250; a 2xx reply is accepted with its message as the text. */
  onData?: (mail: ReceivedMail) => SinkReply | undefined;
}

export interface SmtpSink {
  readonly host: string;
  readonly port: number;
  /** Messages whose DATA was answered 2xx, in order of acceptance. */
  readonly messages: ReceivedMail[];
  /** TCP connections accepted so far. */
  readonly connectionCount: number;
  /** Resolves with all messages so far once there are at least `count`; rejects after `timeoutMs` (default 10 s). */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** The first message that matches, already here or yet to come. */
  waitForMessage(match: (m: ReceivedMail) => boolean): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/** An Error carrying an SMTP reply code the way smtp-server expects it. */
function replyError(reply: SinkReply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}

/** The reply if it refuses (code >= 400); undefined for "accept". */
function failure(reply: SinkReply | undefined): SinkReply | undefined {
  return reply !== undefined && reply.code >= 400 ? reply : undefined;
}

function tlsVersionOf(session: SMTPServerSession): string | undefined {
  return session.tlsOptions ? session.tlsOptions.version : undefined;
}

function authUserOf(session: SMTPServerSession): string | undefined {
  return typeof session.user === 'string' ? session.user : undefined;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const host = options.host ?? '127.0.0.2';
  const name = options.name ?? 'mx.test';
  if (options.implicitTls && options.tls === false) throw new Error('startSmtpSink: implicitTls needs a certificate (tls: false given)');
  const credentials = options.tls === false ? undefined : (options.tls ?? (await makeTestCertificate(['mx.test'])));

  const messages: ReceivedMail[] = [];
  let connectionCount = 0;
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };

  const disabledCommands: string[] = [];
  if (!options.auth) disabledCommands.push('AUTH');
  if (!credentials || options.implicitTls) disabledCommands.push('STARTTLS');

  const greeting = options.greeting;
  const serverOptions: SMTPServerOptions = {
    name,
    logger: false,
    // The reverse lookup of the client would go to the system's resolvers:
    // tests must talk to loopback only.
    disableReverseLookup: true,
    secure: options.implicitTls === true,
    disabledCommands,
    authOptional: !options.auth,
    authMethods: ['PLAIN', 'LOGIN'],
    // Without TLS there is no way to authenticate except in the clear; allow it then.
    allowInsecureAuth: credentials === undefined,
    // close() should not wait smtp-server's default 30 s for idle pooled clients.
    closeTimeout: 200,
    ...(options.dsn ? { hideDSN: false } : {}),
    ...(options.hideSMTPUTF8 ? { hideSMTPUTF8: true } : {}),
    ...(options.offerRequireTls ? { hideREQUIRETLS: false } : {}),
    ...(greeting && greeting.code < 400 ? { banner: greeting.message } : {}),
    ...(credentials ? { key: credentials.key, cert: credentials.cert } : {}),
    ...(options.size !== undefined ? { size: options.size, rejectOversized: true } : {}),

    onConnect(_session, callback) {
      const refusal = failure(greeting);
      if (refusal) return callback(replyError(refusal));
      callback();
    },

    onAuth(auth, _session, callback) {
      const expected = options.auth;
      if (expected && auth.username === expected.username && auth.password === expected.password) {
        return callback(null, { user: auth.username });
      }
      callback(replyError({ code: 535, message: '5.7.8 Authentication credentials invalid' }));
    },

    onMailFrom(address, session, callback) {
      if (options.requireTls && !session.secure) {
        return callback(replyError({ code: 530, message: '5.7.0 Must issue a STARTTLS command first' }));
      }
      const refusal = failure(options.onMailFrom?.(address.address));
      if (refusal) return callback(replyError(refusal));
      callback();
    },

    onRcptTo(address, _session, callback) {
      const refusal = failure(options.onRcptTo?.(address.address));
      if (refusal) return callback(replyError(refusal));
      callback();
    },

    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        // With rejectOversized, smtp-server answers 552 itself whatever we say.
        if (stream.sizeExceeded) return callback(replyError({ code: 552, message: '5.3.4 Message too big' }));
        const mailFrom = session.envelope.mailFrom;
        const tlsVersion = tlsVersionOf(session);
        const authUser = authUserOf(session);
        const mail: ReceivedMail = {
          mailFrom: mailFrom ? mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          secure: session.secure,
          ...(tlsVersion !== undefined ? { tlsVersion } : {}),
          ...(authUser !== undefined ? { authUser } : {}),
          heloName: session.hostNameAppearsAs,
          connectionId: session.id,
          remoteAddress: session.remoteAddress,
          mailParams: mailFrom && mailFrom.args ? { ...mailFrom.args } : {},
          rcptParams: Object.fromEntries(session.envelope.rcptTo.map((r) => [r.address, r.args ? { ...r.args } : {}])),
        };
        let reply: SinkReply | undefined;
        try {
          reply = options.onData?.(mail);
        } catch (err) {
          return callback(err instanceof Error ? err : new Error(String(err)));
        }
        const refusal = failure(reply);
        if (refusal) return callback(replyError(refusal));
        messages.push(mail);
        notify();
        callback(null, reply?.message);
      });
    },
  };

  const server = new SMTPServer(serverOptions);
  // smtp-server logs and survives connection errors; a listener keeps an
  // 'error' event (e.g. a client resetting mid-handshake) from crashing the test.
  server.on('error', () => undefined);
  server.server.on('connection', () => {
    connectionCount++;
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.server.off('error', reject);
      const address = server.server.address();
      if (address === null || typeof address === 'string') return reject(new Error('smtp sink: no TCP address'));
      resolve(address.port);
    });
  });

  let closed: Promise<void> | undefined;
  const sink: SmtpSink = {
    host,
    port,
    messages,
    get connectionCount() {
      return connectionCount;
    },
    waitForMessages(count, timeoutMs = 10_000) {
      if (messages.length >= count) return Promise.resolve([...messages]);
      return new Promise<ReceivedMail[]>((resolve, reject) => {
        const check = (): void => {
          if (messages.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve([...messages]);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `smtp sink ${host}:${port}: waited ${timeoutMs} ms for ${count} message(s), got ${messages.length} ` +
                `(${connectionCount} connection(s))`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
      });
    },
    async waitForMessage(match) {
      for (let n = 1; ; ) {
        const all = await sink.waitForMessages(n);
        const found = all.find(match);
        if (found) return found;
        n = all.length + 1;
      }
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle clients (a pooled delivery connection) would otherwise hold
        // close() for closeTimeout; end them now. Ending goes through
        // smtp-server, which knows whether a TLS handshake is in flight.
        for (const connection of [...server.connections]) connection.close();
      });
      return closed;
    },
  };
  return sink;
}
