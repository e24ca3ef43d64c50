// One listening SMTP socket (plain, or implicit TLS for port 465) and the
// sessions on it: the connection limit, certificate reload and a graceful
// stop that never cuts a message off between its final dot and our reply.
import { createServer as createPlainServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type SecureContextOptions, type TLSSocket } from 'node:tls';
import { wireReply, type SmtpReply } from '../core/smtp-reply.js';
import { OncePer } from '../log/once-per.js';
import { replies } from '../core/replies.js';
import type { Logger } from '../log/logger.js';
import { CLOSING_TIMEOUT_MS, SmtpSession, type SessionContext, type SessionObserver } from './smtp-session.js';
import type { SessionPolicy } from './session-policy.js';

export interface SmtpListenerOptions {
  readonly host: string;
  readonly port: number;
  /** Port 465 style: TLS from the first byte (RFC 8314). */
  readonly implicitTls: boolean;
  readonly tlsOptions: SecureContextOptions;
  readonly hostname: string;
  readonly maxMessageBytes: number;
  readonly maxConnections: number;
  readonly socketTimeoutMs: number;
  readonly commandDeadlineMs: number;
  readonly dataDeadlineMs: number;
  /** Per-client-address limits on simultaneous and new connections. */
  readonly clientLimiter: ClientLimiter | undefined;
  /** How long a stop lets transactions under way finish before answering 421. */
  readonly closeTimeoutMs: number;
  readonly policy: SessionPolicy;
  readonly logger: Logger;
  /** Told of every session and refused AUTH (metrics); optional. */
  readonly observer?: SessionObserver | undefined;
}

/** Admits or refuses a new connection from a client address (policy/connection-limiter.ts). */
export interface ClientLimiter {
  open(ip: string, nowMs: number): { readonly ok: true; release(): void } | { readonly ok: false; readonly reason: 'concurrency' | 'rate' };
}

export interface SmtpListener {
  readonly port: number;
  /** Use a new certificate for connections from now on. */
  updateTls(options: SecureContextOptions): void;
  close(): Promise<void>;
}

export async function listenSmtp(options: SmtpListenerOptions): Promise<SmtpListener> {
  let secureContext = createSecureContext(options.tlsOptions);
  const ctx: SessionContext = {
    hostname: options.hostname,
    maxMessageBytes: options.maxMessageBytes,
    socketTimeoutMs: options.socketTimeoutMs,
    commandDeadlineMs: options.commandDeadlineMs,
    dataDeadlineMs: options.dataDeadlineMs,
    policy: options.policy,
    secureContext: () => secureContext,
    logger: options.logger,
    observer: options.observer,
  };
  const sessions = new Set<SmtpSession>();
  // A flood from one address must not become a flood of log lines.
  const limitLog = new OncePer(60_000);
  const idleWaiters: (() => void)[] = [];
  const forget = (session: SmtpSession): void => {
    sessions.delete(session);
    if (sessions.size === 0) for (const waiter of idleWaiters.splice(0)) waiter();
  };

  const refuse = (socket: Socket, reply: SmtpReply): void => {
    socket.on('error', () => {});
    // end() waits for the client's FIN; one that never sends it must not
    // hold the socket (and a stop, which waits for every socket) for ever.
    socket.setTimeout(Math.min(CLOSING_TIMEOUT_MS, options.socketTimeoutMs), () => socket.destroy());
    socket.end(wireReply(reply));
  };

  /** The per-address limits; a release function, or the refusal. Logged once a minute per address. */
  const admit = (socket: Socket): { release: () => void } | { refusal: SmtpReply } => {
    if (options.clientLimiter === undefined) return { release: () => {} };
    const ip = socket.remoteAddress ?? '';
    const admitted = options.clientLimiter.open(ip, Date.now());
    if (admitted.ok) {
      let released = false;
      return {
        release: () => {
          if (!released) admitted.release();
          released = true;
        },
      };
    }
    if (limitLog.allow(`${admitted.reason} ${ip}`)) {
      options.logger.warn({ event: 'connection-limit', clientIp: ip, limit: admitted.reason }, 'too many connections from one client address (said once a minute per address)');
    }
    return { refusal: admitted.reason === 'rate' ? replies.connectionRateFromClient : replies.tooManyConnectionsFromClient };
  };

  const startSession = (socket: Socket, secure: boolean, release: () => void): void => {
    const { observer } = options;
    const onClosed = (session: SmtpSession): void => {
      release();
      // Once per session (onClosed is idempotent for the rest).
      if (observer !== undefined && sessions.has(session)) observer.closed(session.tlsVersion);
      forget(session);
    };
    observer?.opened();
    sessions.add(new SmtpSession(socket, ctx, { secure, onClosed }));
  };

  let server: Server;
  if (options.implicitTls) {
    // Port 465: the limits apply to the TCP connection, before the TLS
    // handshake, or a client could hold any number of handshakes open.
    // A refused one is closed without a word (it expects TLS, not SMTP).
    let handshaking = 0;
    const admittedRaw = new WeakMap<Socket, () => void>();
    const tlsServer = createTlsServer({
      ...options.tlsOptions,
      handshakeTimeout: Math.min(options.socketTimeoutMs, options.commandDeadlineMs),
    });
    tlsServer.on('connection', (raw: Socket) => {
      const admitted = sessions.size + handshaking >= options.maxConnections ? undefined : admit(raw);
      if (admitted === undefined || 'refusal' in admitted) return void raw.destroy();
      handshaking++;
      let handshakeOver = false;
      const endHandshake = (): void => {
        if (!handshakeOver) handshaking--;
        handshakeOver = true;
      };
      admittedRaw.set(raw, endHandshake);
      // Released when the TCP connection goes, whether or not TLS was ever set up.
      raw.once('close', () => {
        endHandshake();
        admitted.release();
      });
    });
    tlsServer.on('secureConnection', (socket: TLSSocket) => {
      // The TLS socket wraps the raw one; its limits were taken at 'connection'.
      const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
      if (raw !== undefined) admittedRaw.get(raw)?.();
      startSession(socket, true, () => {});
    });
    // Failed handshakes (port scanners, old clients refused by minVersion) are routine.
    tlsServer.on('tlsClientError', (err) => options.logger.debug({ err }, 'TLS handshake failed'));
    server = tlsServer;
  } else {
    server = createPlainServer({ noDelay: true }, (socket) => {
      if (sessions.size >= options.maxConnections) return refuse(socket, replies.tooManyConnections);
      const admitted = admit(socket);
      if ('refusal' in admitted) return refuse(socket, admitted.refusal);
      startSession(socket, false, admitted.release);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => options.logger.warn({ err }, 'SMTP listener error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  return {
    port,
    updateTls(tlsOptions) {
      secureContext = createSecureContext(tlsOptions);
      if (options.implicitTls) (server as ReturnType<typeof createTlsServer>).setSecureContext(tlsOptions);
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of [...sessions]) session.shutdown();
      if (sessions.size > 0) {
        const idle = new Promise<void>((resolve) => idleWaiters.push(resolve));
        const timer = setTimeout(() => {
          for (const session of [...sessions]) session.forceClose();
        }, options.closeTimeoutMs);
        await idle;
        clearTimeout(timer);
      }
      await closed;
    },
  };
}
