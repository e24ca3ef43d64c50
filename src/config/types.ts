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
}

export interface ListenersConfig {
  /** Port 587: STARTTLS, AUTH required (RFC 6409). */
  readonly submission: ListenerConfig;
  /** Port 465: implicit TLS, AUTH required (RFC 8314). */
  readonly submissions: ListenerConfig;
  /** Port 25: relay only for trusted networks, no AUTH needed from them. */
  readonly relay: RelayListenerConfig;
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
}

export interface QueueConfig {
  readonly retry: RetrySchedule;
  /** How often the scheduler looks for due messages it was not told about. */
  readonly pollIntervalMs: number;
}

export interface LogConfig {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Write logs to this file instead of standard output. */
  readonly file: string | undefined;
}

export interface DomainsConfig {
  /** How long a rotated-out DKIM key stays published (but unused) before it may be removed. */
  readonly rotationOverlapMs: number;
}

export interface DoctorConfig {
  /** DNS blocklist zones to check the outbound addresses against. */
  readonly blocklists: readonly string[];
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
  readonly delivery: DeliveryConfig;
  readonly queue: QueueConfig;
  readonly log: LogConfig;
  readonly domains: DomainsConfig;
  readonly doctor: DoctorConfig;
}
