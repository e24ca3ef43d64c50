// Shared set-up for the outbound socket tests: a complete DeliveryConfig,
// a silent logger, and receiving sinks on 127.0.0.2, .3, ... sharing one
// port (the deliverer connects to every MX on the same `mxPort`).
import type { TestContext } from 'node:test';
import { pino, type Logger } from 'pino';
import type { DeliveryConfig } from '../../src/config/types.js';
import type { RecipientOutcome } from '../../src/core/outcome.js';
import { createDeliverer, type Deliverer, type DeliveryRequest } from '../../src/outbound/deliverer.js';
import { startDnsServer, type TestDnsServer, type Zone } from '../helpers/dns-server.js';
import { startSmtpSink, type SmtpSink, type SmtpSinkOptions } from '../helpers/smtp-sink.js';

export const HOSTNAME = 'out.hikyaku.test';

export const silentLogger: Logger = pino({ level: 'silent' });

export function deliveryConfig(dns: TestDnsServer, mxPort: number, over: Partial<DeliveryConfig> = {}): DeliveryConfig {
  return {
    resolvers: [dns.address],
    mxPort,
    tls: 'opportunistic',
    connectTimeoutMs: 5_000,
    commandTimeoutMs: 5_000,
    dnsTimeoutMs: 300,
    maxConnectionsPerDestination: 4,
    maxMessagesPerConnection: 100,
    idleConnectionTimeoutMs: 10_000,
    maxConcurrentDeliveries: 10,
    sourceAddress: undefined,
    smarthost: undefined,
    ...over,
  };
}

export async function dnsServer(t: TestContext, zone: Zone): Promise<TestDnsServer> {
  const dns = await startDnsServer(zone);
  t.after(() => dns.close());
  return dns;
}

/**
 * Sinks on the given loopback hosts, all on one port: the first listens on
 * port 0 (or `port`) and the others take its port.
 */
export async function sinks(t: TestContext, specs: (SmtpSinkOptions & { host: string })[], port = 0): Promise<SmtpSink[]> {
  const out: SmtpSink[] = [];
  for (const spec of specs) {
    const sink = await startSmtpSink({ ...spec, port: out[0]?.port ?? port });
    t.after(() => sink.close());
    out.push(sink);
  }
  return out;
}

export function deliverer(t: TestContext, config: DeliveryConfig): Deliverer {
  const d = createDeliverer(config, { hostname: HOSTNAME, logger: silentLogger });
  t.after(() => d.close());
  return d;
}

let seq = 0;
export function request(rcptTo: string[], message: string | Buffer = 'Subject: test\r\n\r\nHello\r\n', mailFrom = 'sender@hikyaku.test'): DeliveryRequest {
  seq++;
  return { id: `TEST${seq}`, mailFrom, rcptTo, message: typeof message === 'string' ? Buffer.from(message) : message };
}

/** Compact view of outcomes for deepEqual: kind and status per recipient. */
export function summary(outcomes: readonly RecipientOutcome[]): [string, string, string][] {
  return outcomes.map((o) => [o.rcptTo, o.kind, o.kind === 'delivered' ? (o.remoteReply.enhanced ?? String(o.remoteReply.code)) : o.failure.status]);
}
