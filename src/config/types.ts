// The validated, frozen configuration. `schema.ts` is the one source of its
// defaults, validation and reference documentation; modules receive only
// their own slice (e.g. `DeliveryConfig`), never the loader.
import type { RetrySchedule } from '../core/retry.js';

export type OutboundTlsPolicy = 'none' | 'opportunistic' | 'required';

export interface ListenerConfig {
  readonly enabled: boolean;
  readonly host: string;
  readonly port: number;
}

export interface RelayListenerConfig extends ListenerConfig {
  /** CIDR blocks allowed to relay without AUTH (Postfix: mynetworks). */
  readonly trustedNetworks: readonly string[];
  /**
   * Sender patterns (`a@b`, `*@b`, `*`) the trusted clients may use in MAIL FROM
   * and From; empty = any address of a registered sending domain.
   */
  readonly maySendAs: readonly string[];
}

export interface ListenersConfig {
  /** Port 587: STARTTLS, AUTH required (RFC 6409). */
  readonly submission: ListenerConfig;
  /** Port 465: implicit TLS, AUTH required (RFC 8314). */
  readonly submissions: ListenerConfig;
  /** Port 25: relay only for trusted networks, no AUTH needed from them. */
  readonly relay: RelayListenerConfig;
  /** The HTTP API (and later the web console): TLS with the server certificate unless bound to loopback. */
  readonly http: ListenerConfig;
}

export interface TlsConfig {
  /** PEM certificate chain; with keyFile unset too, a self-signed one is generated in dataDir. */
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
}

export interface LimitsConfig {
  readonly maxMessageBytes: number;
  readonly maxRecipients: number;
  readonly maxConnections: number;
  readonly socketTimeoutMs: number;
  /** Simultaneous sessions from one client address (IPv6: one /64). */
  readonly maxConnectionsPerClient: number;
  /** New connections from one client address per minute. */
  readonly connectionRatePerClient: number;
  /** Client addresses the two per-client limits do not apply to (loopback is not exempt unless listed). */
  readonly clientLimitExemptNetworks: readonly string[];
  /** A whole command line must arrive within this (Postfix: smtpd_per_request_deadline). */
  readonly commandDeadlineMs: number;
  /** The whole message after DATA must arrive within this. */
  readonly dataDeadlineMs: number;
  /** More Received fields than this: a mail loop (RFC 5321 §6.3), refused. */
  readonly maxReceivedHeaders: number;
}

export interface AuthConfig {
  /** Delay before answering a failed AUTH; doubles with each failure in the session. */
  readonly tarpitDelayMs: number;
  /** Failed AUTH attempts after which the session is closed. */
  readonly maxFailuresPerSession: number;
  /** Failures from one client address within failureWindow before AUTH from it is refused. */
  readonly maxFailuresPerClient: number;
  /** Failures for one login name within failureWindow before AUTH for it is refused. */
  readonly maxFailuresPerLogin: number;
  readonly failureWindowMs: number;
  /** How long AUTH stays refused (454 4.7.0) after a limit is passed. */
  readonly blockDurationMs: number;
  /** Offer CRAM-MD5 (RFC 2195): needs a recoverable, encrypted copy of each password. */
  readonly cramMd5: boolean;
}

/** 0 = no limit of this kind. */
export interface QuotaLimits {
  readonly messagesPerHour: number;
  readonly messagesPerDay: number;
  readonly recipientsPerMessage: number;
}

export interface QuotasConfig {
  /** Default limits of each user (override per user with `hikyaku user set`). */
  readonly user: QuotaLimits;
  /** Default limits of each app password (0 = its user's). */
  readonly appPassword: QuotaLimits;
  /** Limits per sending domain (the envelope sender's domain), shared by all its users. */
  readonly domain: Omit<QuotaLimits, 'recipientsPerMessage'>;
  /** The length of the "hour" and "day" windows (shorten only for tests). */
  readonly hourWindowMs: number;
  readonly dayWindowMs: number;
}

export interface BrakeConfig {
  readonly enabled: boolean;
  /** Hold a credential's mail when its rate in one window exceeds factor × its own normal… */
  readonly factor: number;
  /** …and at least this many messages. */
  readonly floor: number;
  readonly windowMs: number;
  /** How many past windows make up "normal". */
  readonly historyWindows: number;
  /** Also mail the alert to this address. */
  readonly alertAddress: string | undefined;
}

export interface SuppressionConfig {
  /** How long a hard-bounced recipient stays suppressed; undefined = for ever. */
  readonly expireAfterMs: number | undefined;
}

export interface SmarthostConfig {
  readonly host: string;
  readonly port: number;
  /** 'implicit' = TLS from the first byte (465); 'starttls' = required STARTTLS; 'none' = plain. */
  readonly tls: 'implicit' | 'starttls' | 'none';
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** Only mail for these recipient domains goes through the smarthost; empty = all mail. */
  readonly domains: readonly string[];
  /** Extra CA certificate(s) (PEM) to trust for the smarthost, e.g. a private relay. */
  readonly caFile: string | undefined;
  /** Verify the smarthost's certificate (default true). */
  readonly verifyCertificate: boolean;
}

export interface DeliveryConfig {
  /** DNS servers as "ip" or "ip:port"; empty = the system's resolvers. */
  readonly resolvers: readonly string[];
  /** TCP port of remote MX hosts: 25 in production. */
  readonly mxPort: number;
  readonly tls: OutboundTlsPolicy;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly dnsTimeoutMs: number;
  readonly maxConnectionsPerDestination: number;
  readonly maxMessagesPerConnection: number;
  readonly idleConnectionTimeoutMs: number;
  readonly maxConcurrentDeliveries: number;
  /** Local address to send from (Postfix: smtp_bind_address); undefined = the system chooses. */
  readonly sourceAddress: string | undefined;
  readonly smarthost: SmarthostConfig | undefined;
  /** RFC 8461 when sending; always set by the parser, absent (= off) in hand-made test configs. */
  readonly mtaSts?: MtaStsConfig | undefined;
  /** RFC 7672 when sending; always set by the parser, absent (= off) in hand-made test configs. */
  readonly dane?: DaneConfig | undefined;
}

export interface DaneConfig {
  readonly enabled: boolean;
  /** A DNSSEC-validating resolver, "ip" or "ip:port". */
  readonly resolver: string;
  readonly timeoutMs: number;
}

export interface MtaStsConfig {
  readonly enabled: boolean;
  /** Extra CA (PEM file) for policy hosts and verified MX certificates. */
  readonly caFile: string | undefined;
  readonly fetchTimeoutMs: number;
  readonly policyPort: number;
  readonly recheckIntervalMs: number;
}

export interface TlsReportsConfig {
  readonly enabled: boolean;
  readonly organizationName: string | undefined;
  readonly contactInfo: string | undefined;
}

export interface QueueConfig {
  readonly retry: RetrySchedule;
  /** How often the scheduler looks for due messages it was not told about. */
  readonly pollIntervalMs: number;
  /** PostgreSQL store: how long a delivery claim lasts without renewal. */
  readonly claimLeaseMs: number;
}

export interface LogConfig {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Write logs to this file instead of standard output. */
  readonly file: string | undefined;
  /** auto: readable coloured lines on a terminal, JSON otherwise (files, pipes, journald). */
  readonly format: 'auto' | 'json' | 'pretty';
}

export interface DomainsConfig {
  /** How long a rotated-out DKIM key stays published (but unused) before it may be removed. */
  readonly rotationOverlapMs: number;
  /** The running server activates a pending DKIM key by itself once its record is published. */
  readonly autoActivate: boolean;
  /** How often the running server looks up the records of pending DKIM keys. */
  readonly autoActivateIntervalMs: number;
}

export interface DoctorConfig {
  /** DNS blocklist zones to check the outbound addresses against. */
  readonly blocklists: readonly string[];
  /** How often the running server runs the doctor and records the result for `hikyaku status`; undefined = off. */
  readonly intervalMs: number | undefined;
}

/** When `hikyaku status` calls for attention about the queue (src/status/assess.ts). */
export interface StatusConfig {
  /** The oldest queued message older than this: warning (exit 1). */
  readonly queueAgeWarningMs: number;
  /** The oldest queued message older than this: critical (exit 2). */
  readonly queueAgeCriticalMs: number;
}

/** The events a webhook can ask for (src/webhooks/). */
export type WebhookEventType = 'accepted' | 'delivered' | 'deferred' | 'bounced' | 'expired';

/** One HTTP endpoint that is POSTed the delivery events it asks for, signed with its secret. */
export interface WebhookConfig {
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  /** HMAC-SHA256 key of the Hikyaku-Signature header (at least 16 characters). */
  readonly secret: string;
}

export interface HistoryConfig {
  /** Days a message stays in history.db after acceptance; 0 = no history kept. */
  readonly retentionDays: number;
}

export interface BulkConfig {
  /**
   * Public https:// address at which receivers reach this server's HTTP
   * listener (directly or through a reverse proxy); one-click unsubscribe
   * links are made under it. undefined = bulk mail gets no List-Unsubscribe.
   */
  readonly unsubscribeUrl: string | undefined;
}

export interface MetricsConfig {
  /** Serve GET /metrics on the HTTP listener. */
  readonly enabled: boolean;
  /** Bearer token required to scrape; undefined = none. */
  readonly token: string | undefined;
}

/** Mail-client autoconfiguration on the HTTP listener (src/autoconfig/). */
export interface AutoconfigConfig {
  /** Serve Thunderbird autoconfig, Autodiscover and the Apple profile. */
  readonly enabled: boolean;
  /** The SMTP host name clients are told; undefined = hostname. */
  readonly smtpHost: string | undefined;
  /** The incoming (IMAP) server of the mailboxes, which Hikyaku does not serve; undefined = none advertised. */
  readonly imapHost: string | undefined;
  /** Its port: 993 means implicit TLS, any other STARTTLS. */
  readonly imapPort: number;
}

export interface Config {
  /** Our name: EHLO/greeting, Received headers, Message-ID, DSN Reporting-MTA. */
  readonly hostname: string;
  readonly dataDir: string;
  /**
   * Public addresses this server sends from: used for SPF/PTR advice and the doctor.
   * Empty = the machine's non-loopback interface addresses.
   */
  readonly outboundAddresses: readonly string[];
  readonly listeners: ListenersConfig;
  readonly tls: TlsConfig;
  readonly limits: LimitsConfig;
  readonly auth: AuthConfig;
  readonly quotas: QuotasConfig;
  readonly brake: BrakeConfig;
  readonly suppression: SuppressionConfig;
  readonly delivery: DeliveryConfig;
  readonly queue: QueueConfig;
  readonly log: LogConfig;
  readonly domains: DomainsConfig;
  readonly doctor: DoctorConfig;
  /** Delivery event webhooks; empty = none (and no cost). */
  readonly webhooks: readonly WebhookConfig[];
  readonly metrics: MetricsConfig;
  readonly history: HistoryConfig;
  readonly bulk: BulkConfig;
  readonly status: StatusConfig;
  /** TLS-RPT (RFC 8460). */
  readonly tlsReports: TlsReportsConfig;
  readonly deliverability: DeliverabilityConfig;
  /** The queue store: 'embedded' (SQLite) or a postgres:// URL. */
  readonly store: string;
  readonly autoconfig: AutoconfigConfig;
}

/** One provider group as configured (the same shape as src/deliverability/providers.yaml). */
export interface DeliverabilityGroupConfig {
  readonly name: string;
  readonly description?: string | undefined;
  readonly mx: readonly string[];
  readonly connections?: number | undefined;
  readonly messagesPerConnection?: number | undefined;
  readonly perMinute?: number | undefined;
  readonly perHour?: number | undefined;
}

export interface DeliverabilityConfig {
  readonly enabled: boolean;
  /** Added to / overriding the shipped groups. */
  readonly groups: readonly DeliverabilityGroupConfig[];
  readonly coolingPeriodMs: number;
  readonly recoveryStepMs: number;
  readonly suspendPeriodMs: number;
  /** The "minute" of the per-minute limits; 60 s except in tests. */
  readonly rateIntervalMs: number;
  readonly warmup: WarmupConfig;
}

export interface WarmupConfig {
  readonly enabled: boolean;
  /** Messages per group on the first day. */
  readonly firstDay: number;
  /** Each day's allowance is the previous one times this. */
  readonly growth: number;
  /** 24 h except in tests. */
  readonly dayMs: number;
}
