// What MTA-STS and TLS-RPT cost on direct (MX) delivery when a domain
// publishes no policy, the common case: the deliverer with both on
// (a _mta-sts TXT lookup per domain, remembered for recheckInterval; one
// tlsrpt.db count per new session) against the same build with both off, in
// one run, alternating rounds. Real sockets: the test DNS server and a
// receiving sink with STARTTLS on loopback; connections are reused as in
// production (maxMessagesPerConnection 100).
//
//   node dist/bench/secure-transport-micro.js [messages] [rounds]   (default 3000, 3)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { DeliveryConfig } from '../src/config/types.js';
import { createDeliverer } from '../src/outbound/deliverer.js';
import { TlsReportStore } from '../src/tlsrpt/tlsrpt-store.js';
import { startDnsServer } from '../test/helpers/dns-server.js';
import { startSmtpSink } from '../test/helpers/smtp-sink.js';

const messages = Number(process.argv[2] ?? 3000);
const rounds = Number(process.argv[3] ?? 3);
const CONCURRENCY = 20;
const DOMAINS = 20;

const zone: Record<string, { MX?: { preference: number; exchange: string }[]; A?: string[] }> = { 'mx.bench.test': { A: ['127.0.0.2'] } };
for (let i = 0; i < DOMAINS; i++) zone[`d${i}.bench.test`] = { MX: [{ preference: 10, exchange: 'mx.bench.test' }] };
const dns = await startDnsServer(zone);
const sink = await startSmtpSink({ host: '127.0.0.2' });
const dir = mkdtempSync(join(tmpdir(), 'hikyaku-secure-bench-'));
const logger = pino({ level: 'silent' });
const message = Buffer.from(`From: <a@bench.test>\r\nSubject: bench\r\n\r\n${'x'.repeat(4000)}\r\n`);

function config(secure: boolean): DeliveryConfig {
  return {
    resolvers: [dns.address],
    mxPort: sink.port,
    tls: 'opportunistic',
    connectTimeoutMs: 5000,
    commandTimeoutMs: 5000,
    dnsTimeoutMs: 1000,
    maxConnectionsPerDestination: CONCURRENCY,
    maxMessagesPerConnection: 100,
    idleConnectionTimeoutMs: 5000,
    maxConcurrentDeliveries: CONCURRENCY,
    sourceAddress: undefined,
    smarthost: undefined,
    mtaSts: { enabled: secure, caFile: undefined, fetchTimeoutMs: 5000, policyPort: 443, recheckIntervalMs: 300_000 },
  };
}

async function round(secure: boolean): Promise<number> {
  const store = secure ? TlsReportStore.open(dir) : undefined;
  const d = createDeliverer(config(secure), { hostname: 'bench.test', logger, dataDir: dir, tlsReport: store });
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < messages) {
        const n = next++;
        const [o] = await d.deliver({ id: `B${n}`, mailFrom: 'a@bench.test', rcptTo: [`u${n}@d${n % DOMAINS}.bench.test`], message, eightBit: false });
        if (o?.kind !== 'delivered') throw new Error(`not delivered: ${JSON.stringify(o)}`);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await d.close();
  store?.close();
  sink.messages.length = 0;
  return messages / seconds;
}

const off: number[] = [];
const on: number[] = [];
await round(false); // warm-up: certificates, JIT
for (let r = 0; r < rounds; r++) {
  off.push(await round(false));
  on.push(await round(true));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
console.log(`messages/s, MTA-STS + TLS-RPT off: ${off.map((x) => x.toFixed(0)).join(' ')} (median ${median(off).toFixed(0)})`);
console.log(`messages/s, MTA-STS + TLS-RPT on:  ${on.map((x) => x.toFixed(0)).join(' ')} (median ${median(on).toFixed(0)})`);
console.log(`ratio on/off (medians): ${(median(on) / median(off)).toFixed(3)}`);
await sink.close();
await dns.close();
rmSync(dir, { recursive: true, force: true });
