// The SMTP listeners: submission (587, STARTTLS), submissions (465, implicit
// TLS) and the optional relay listener (25, trusted networks).
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { Config, ListenerConfig } from '../config/types.js';
import type { Intake } from '../intake/intake.js';
import type { Logger } from '../log/logger.js';
import { trustedNetworkList, type ListenerKind } from './relay-policy.js';
import { sessionHandlers, type Authenticator } from './session-handlers.js';
import { installReplyPolicy } from './smtp-server-replies.js';
import { describeListenError } from './listen-errors.js';
import { serverTlsOptions } from '../tls/tls-options.js';
import { formatReply } from '../core/smtp-reply.js';
import { replies } from '../core/replies.js';

export interface TlsMaterialSource {
  current(): { readonly key: string; readonly cert: string };
  onChange(listener: (material: { readonly key: string; readonly cert: string }) => void): void;
}

export interface RunningListener {
  readonly kind: ListenerKind;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface ListenerDeps {
  readonly config: Config;
  readonly certificates: TlsMaterialSource;
  readonly authenticator: Authenticator;
  readonly intake: Intake;
  readonly logger: Logger;
  /** How long a graceful stop lets sessions finish before answering 421. */
  readonly closeTimeoutMs?: number;
}

export async function startListeners(deps: ListenerDeps): Promise<RunningListener[]> {
  installReplyPolicy();
  const { listeners } = deps.config;
  const wanted: [ListenerKind, ListenerConfig][] = [
    ['submission', listeners.submission],
    ['submissions', listeners.submissions],
    ['relay', listeners.relay],
  ];
  const started: RunningListener[] = [];
  try {
    for (const [kind, listenerConfig] of wanted) {
      if (listenerConfig.enabled) started.push(await startListener(kind, listenerConfig, deps));
    }
  } catch (err) {
    await Promise.all(started.map((l) => l.close()));
    throw err;
  }
  return started;
}

async function startListener(kind: ListenerKind, listenerConfig: ListenerConfig, deps: ListenerDeps): Promise<RunningListener> {
  const { config, certificates, logger } = deps;
  const material = certificates.current();
  const handlers = sessionHandlers({
    listener: kind,
    trustedNetworks: trustedNetworkList(config.listeners.relay.trustedNetworks),
    maxRecipients: config.limits.maxRecipients,
    authenticator: deps.authenticator,
    intake: deps.intake,
    logger,
  });
  const options: SMTPServerOptions & { hikyakuReplies: boolean } = {
    hikyakuReplies: true,
    name: config.hostname,
    banner: 'Hikyaku',
    secure: kind === 'submissions',
    ...serverTlsOptions(config.tls, material),
    size: config.limits.maxMessageBytes,
    authMethods: ['PLAIN', 'LOGIN'],
    // The relay listener serves trusted networks without AUTH; the policy
    // handlers (not smtp-server) decide who may relay on every listener.
    authOptional: kind === 'relay',
    authRequiredMessage: '5.7.0 Authentication required',
    hideENHANCEDSTATUSCODES: false,
    hideDSN: true,
    hideREQUIRETLS: true,
    maxClients: config.limits.maxConnections,
    socketTimeout: config.limits.socketTimeoutMs,
    closeTimeout: deps.closeTimeoutMs ?? 10_000,
    // A PTR lookup per connection would slow every session and use the system
    // resolver; the Received header carries the IP literal instead.
    disableReverseLookup: true,
    // Replies are small writes; never let Nagle's algorithm hold one back waiting for an ACK.
    noDelay: true,
    logger: false,
    ...handlers,
  };
  const server = new SMTPServer(options);
  server.on('error', (err) => logger.warn({ err, listener: kind }, 'SMTP listener error'));
  certificates.onChange((next) => {
    server.updateSecureContext(serverTlsOptions(config.tls, next));
    logger.info({ listener: kind }, 'TLS certificate reloaded');
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new Error(describeListenError(err, kind, listenerConfig), { cause: err }));
    };
    server.server.once('error', onError);
    server.listen(listenerConfig.port, listenerConfig.host, () => {
      server.server.off('error', onError);
      resolve();
    });
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : listenerConfig.port;
  logger.info({ listener: kind, host: listenerConfig.host, port }, 'listening');
  return {
    kind,
    host: listenerConfig.host,
    port,
    close: () => closeGracefully(server),
  };
}

interface OpenConnection {
  session?: { envelope?: { mailFrom?: unknown } };
  send(code: number, text: string): void;
}

/**
 * Stop listening; sessions in the middle of a transaction may finish (up to
 * closeTimeout, then smtp-server answers 421), idle ones get 421 at once so
 * that a stop does not wait on clients that keep a connection open.
 */
function closeGracefully(server: SMTPServer): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const connections = (server as unknown as { connections?: Set<OpenConnection> }).connections ?? new Set<OpenConnection>();
  for (const connection of connections) {
    if (!connection.session?.envelope?.mailFrom) connection.send(421, formatReply(replies.shuttingDown));
  }
  return closed;
}
