// A complete Config for tests of the domain command and signer: only the
// fields those read matter; the rest are the schema's defaults.
import type { Config } from '../../src/config/types.js';
import { parseConfig } from '../../src/config/load.js';
import { defaultRetrySchedule } from '../../src/core/retry.js';

export function testConfig(dataDir: string, overrides: { hostname?: string; outboundAddresses?: string[]; smarthostHost?: string } = {}): Config {
  const defaults = parseConfig(null, { baseDir: dataDir });
  return {
    ...defaults,
    hostname: overrides.hostname ?? 'mail.example.net',
    dataDir,
    outboundAddresses: overrides.outboundAddresses ?? ['203.0.113.25'],
    listeners: {
      submission: { enabled: false, host: '127.0.0.1', port: 0 },
      submissions: { enabled: false, host: '127.0.0.1', port: 0 },
      relay: { enabled: false, host: '127.0.0.1', port: 0, trustedNetworks: [], maySendAs: [] },
      http: { enabled: false, host: '127.0.0.1', port: 0 },
    },
    tls: { certFile: undefined, keyFile: undefined, minVersion: 'TLSv1.2' },
    limits: { ...defaults.limits, maxMessageBytes: 10_000_000, maxRecipients: 100, maxConnections: 10, socketTimeoutMs: 60_000 },
    delivery: {
      resolvers: [],
      mxPort: 25,
      tls: 'opportunistic',
      connectTimeoutMs: 10_000,
      commandTimeoutMs: 10_000,
      dnsTimeoutMs: 5_000,
      maxConnectionsPerDestination: 2,
      maxMessagesPerConnection: 10,
      idleConnectionTimeoutMs: 1_000,
      maxConcurrentDeliveries: 4,
      sourceAddress: undefined,
      smarthost:
        overrides.smarthostHost === undefined
          ? undefined
          : {
              host: overrides.smarthostHost,
              port: 587,
              tls: 'starttls',
              username: undefined,
              password: undefined,
              domains: [],
              caFile: undefined,
              verifyCertificate: true,
            },
    },
    queue: { retry: defaultRetrySchedule, pollIntervalMs: 60_000 },
    log: { level: 'silent', file: undefined, format: 'json' },
    domains: { rotationOverlapMs: 7 * 24 * 3600_000, autoActivate: true, autoActivateIntervalMs: 600_000 },
    doctor: { blocklists: [] },
    metrics: { enabled: false, token: undefined },
  };
}
