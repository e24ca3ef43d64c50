// The SMTP listeners: submission (587, STARTTLS), submissions (465, implicit
// TLS) and the optional relay listener (25, trusted networks).
import type { Config, ListenerConfig } from '../config/types.js';
import type { Intake } from '../intake/intake.js';
import type { Logger } from '../log/logger.js';
import { trustedNetworkList, type ListenerKind } from './relay-policy.js';
import { SessionPolicy, type SaslAccounts } from './session-policy.js';
import { saslMechanisms } from './sasl.js';
import type { SendingPolicy } from '../policy/sending-policy.js';
import { describeListenError } from './listen-errors.js';
import { listenSmtp, type ClientLimiter } from './smtp-listener.js';
import type { SessionObserver } from './smtp-session.js';
import { serverTlsOptions } from '../tls/tls-options.js';


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
  readonly sending: SendingPolicy;
  readonly saslAccounts: SaslAccounts;
  readonly intake: Intake;
  readonly logger: Logger;
  /** Per-client connection limits, shared by every listener (one address cannot dodge them by port). */
  readonly clientLimiter?: ClientLimiter;
  /** How long a graceful stop lets sessions finish before answering 421. */
  readonly closeTimeoutMs?: number;
  /** An observer per listener of its sessions (metrics); optional. */
  readonly sessionObserver?: ((kind: ListenerKind) => SessionObserver) | undefined;
}

export async function startListeners(deps: ListenerDeps): Promise<RunningListener[]> {
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
  const policy = new SessionPolicy({
    listener: kind,
    trustedNetworks: trustedNetworkList(config.listeners.relay.trustedNetworks),
    maxRecipients: config.limits.maxRecipients,
    sending: deps.sending,
    saslAccounts: deps.saslAccounts,
    mechanisms: saslMechanisms({ cramMd5: config.auth.cramMd5 }),
    hostname: config.hostname,
    tarpitDelayMs: config.auth.tarpitDelayMs,
    maxAuthFailuresPerSession: config.auth.maxFailuresPerSession,
    intake: deps.intake,
    logger,
  });
  let listener;
  try {
    listener = await listenSmtp({
      host: listenerConfig.host,
      port: listenerConfig.port,
      implicitTls: kind === 'submissions',
      tlsOptions: serverTlsOptions(config.tls, certificates.current()),
      hostname: config.hostname,
      maxMessageBytes: config.limits.maxMessageBytes,
      maxConnections: config.limits.maxConnections,
      socketTimeoutMs: config.limits.socketTimeoutMs,
      commandDeadlineMs: config.limits.commandDeadlineMs,
      dataDeadlineMs: config.limits.dataDeadlineMs,
      clientLimiter: deps.clientLimiter,
      closeTimeoutMs: deps.closeTimeoutMs ?? 10_000,
      policy,
      logger,
      observer: deps.sessionObserver?.(kind),
    });
  } catch (err) {
    throw new Error(describeListenError(err as NodeJS.ErrnoException, kind, listenerConfig), { cause: err });
  }
  const running = listener;
  certificates.onChange((next) => {
    running.updateTls(serverTlsOptions(config.tls, next));
    logger.info({ listener: kind }, 'TLS certificate reloaded');
  });
  logger.info({ listener: kind, host: listenerConfig.host, port: running.port }, 'listening');
  return { kind, host: listenerConfig.host, port: running.port, close: () => running.close() };
}
