// The DNS server of the MX scenarios (hikyaku-mx, hikyaku-mx-shaped): the
// load client's recipient domain gets one MX, BENCH_MX_HOST, at 127.0.0.1,
// where the count sink listens. The test suite's authoritative server
// (test/helpers/dns-server.ts), run inside the benchmark process.
import { startDnsServer, type TestDnsServer } from '../test/helpers/dns-server.js';
import { BENCH_MX_HOST } from './hikyaku-process.js';
import { RECIPIENT } from './load-client.js';

export function startMxDns(): Promise<TestDnsServer> {
  const domain = RECIPIENT.slice(RECIPIENT.indexOf('@') + 1);
  return startDnsServer({
    [domain]: { MX: [{ preference: 10, exchange: BENCH_MX_HOST }] },
    [BENCH_MX_HOST]: { A: ['127.0.0.1'] },
  });
}
