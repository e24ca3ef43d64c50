// One run of one scenario: a fresh count sink, a fresh Hikyaku (unless
// baseline), then memory (idle, and with K idle connections), throughput
// (accept, end to end, CPU) and serial latency, in that order.
import { HikyakuProcess } from './hikyaku-process.js';
import { startMxDns } from './mx-dns.js';
import { openIdleConnections, runLoad, SENDER, type LoadOptions, type LoadResult } from './load-client.js';
import type { BenchOptions, ScenarioName } from './options.js';
import { cpuSeconds, mainThreadCpuSeconds, memoryOf, type Memory } from './proc-stats.js';
import { SinkProcess } from './sink-process.js';
import { percentile } from './stats.js';
import { benchDatabase, type BenchDatabase } from './pg-database.js';

export interface Sample {
  readonly scenario: ScenarioName;
  readonly rep: number;
  readonly messages: number;
  readonly accepted: number;
  readonly delivered: number;
  readonly acceptPerSec: number;
  readonly endToEndPerSec: number;
  /** utime+stime of the server under test (the sink, for the baseline) per 10k messages. */
  readonly cpuPer10k: number;
  /** The part of cpuPer10k spent on the main thread (the event loop). */
  readonly mainThreadCpuPer10k: number;
  /** The same for the count sink while Hikyaku relays to it (NaN for the baseline). */
  readonly sinkCpuPer10k: number;
  /** The same for the load client (this process). */
  readonly clientCpuPer10k: number;
  readonly sessionP50Ms: number;
  readonly sessionP99Ms: number;
  readonly dotP50Ms: number;
  readonly dotP99Ms: number;
  readonly idle: Memory;
  readonly withIdleConnections: Memory;
  readonly idleConnections: number;
  readonly pssKiBPerConnection: number;
  readonly errors: readonly string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Where the server under test listens, and which process to measure. */
interface Target {
  readonly port: number;
  readonly pid: number;
}

export async function runScenario(scenario: ScenarioName, rep: number, options: BenchOptions): Promise<Sample> {
  const sink = await SinkProcess.start();
  let hikyaku: HikyakuProcess | undefined;
  const mxDns = scenario === 'hikyaku-mx' || scenario === 'hikyaku-mx-shaped' ? await startMxDns() : undefined;
  let db: BenchDatabase | undefined;
  try {
    // The queue on PostgreSQL: a fresh database per run, migrated, dropped at the end.
    if (scenario === 'hikyaku-pg') db = await benchDatabase(options.pgUrl);
    if (scenario !== 'baseline') {
      const profileDir = process.env['HIKYAKU_BENCH_CPU_PROF'];
      hikyaku = await HikyakuProcess.start({
        sinkPort: sink.port,
        dkimDomain: scenario === 'hikyaku-dkim' ? domainOf(SENDER) : undefined,
        maxConnections: Math.max(1000, options.idle + options.sessions + 100),
        nodeArgs: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${scenario}-rep${rep}.cpuprofile`] : [],
        startTimeoutMs: 60_000,
        mx: mxDns === undefined ? undefined : { dns: mxDns.address, shaping: scenario === 'hikyaku-mx-shaped' },
        store: db?.url,
      });
    }
    const target: Target = hikyaku ? { port: hikyaku.port, pid: hikyaku.pid } : { port: sink.port, pid: sink.pid };
    const sample = await measure(scenario, rep, options, target, sink);
    const stderr = hikyaku?.stderr.trim();
    return stderr && sample.errors.length > 0 ? { ...sample, errors: [...sample.errors, `hikyaku stderr: ${stderr.slice(-500)}`] } : sample;
  } finally {
    await hikyaku?.stop();
    await sink.stop();
    await mxDns?.close();
    await db?.drop();
  }
}

async function measure(scenario: ScenarioName, rep: number, options: BenchOptions, target: Target, sink: SinkProcess): Promise<Sample> {
  const errors: string[] = [];
  const load = (messages: number, sessions: number, messagesPerSession: number): Promise<LoadResult> =>
    runLoad(loadOptions(target.port, options, messages, sessions, messagesPerSession));

  // Memory: just after start-up, then with K connections idle after EHLO.
  await sleep(1_000);
  const idle = memoryOf(target.pid);
  const conns = await openIdleConnections('127.0.0.1', target.port, options.idle, 30_000);
  await sleep(1_000);
  const withIdleConnections = memoryOf(target.pid);
  conns.close();
  errors.push(...conns.errors.map((e) => `idle connections: ${e}`));
  await sleep(500);

  // Warm-up (JIT, SQLite pages, the outbound connection pool), fully delivered.
  const warmup = Math.min(1_000, Math.ceil(options.messages / 10));
  const warm = await load(warmup, options.sessions, options.reuse);
  await sink.waitFor(warm.accepted, options.phaseTimeoutMs);
  sink.reset();

  // Throughput. The sink is asked before the run, so that it answers the
  // moment it has counted N, not when the client gets round to asking.
  const cpu0 = cpuSeconds(target.pid);
  const main0 = mainThreadCpuSeconds(target.pid);
  const sinkCpu0 = cpuSeconds(sink.pid);
  const client0 = process.cpuUsage();
  const allDelivered = sink.waitFor(options.messages, options.phaseTimeoutMs).then((r) => ({ ...r, atMs: performance.now() }));
  const run = await load(options.messages, options.sessions, options.reuse);
  errors.push(...run.errors);
  const delivered = await (run.accepted === options.messages
    ? allDelivered
    : sink.waitFor(run.accepted, options.phaseTimeoutMs).then((r) => ({ ...r, atMs: performance.now() })));
  if (!delivered.reached) errors.push(`sink counted ${delivered.count} of ${run.accepted} accepted messages within the time limit`);
  const cpu = cpuSeconds(target.pid) - cpu0;
  const mainCpu = mainThreadCpuSeconds(target.pid) - main0;
  const sinkCpu = cpuSeconds(sink.pid) - sinkCpu0;
  const client = process.cpuUsage(client0);
  const per10k = (seconds: number): number => (seconds / Math.max(1, run.accepted)) * 10_000;

  // Latency: serial single-message sessions after a short warm-up.
  await load(Math.min(20, options.serial), 1, 1);
  const serial = await load(options.serial, 1, 1);
  errors.push(...serial.errors.map((e) => `serial: ${e}`));

  return {
    scenario,
    rep,
    messages: options.messages,
    accepted: run.accepted,
    delivered: delivered.count,
    acceptPerSec: run.accepted / ((run.lastAcceptMs - run.startMs) / 1000),
    endToEndPerSec: delivered.reached ? delivered.count / ((delivered.atMs - run.startMs) / 1000) : NaN,
    cpuPer10k: per10k(cpu),
    mainThreadCpuPer10k: per10k(mainCpu),
    sinkCpuPer10k: scenario === 'baseline' ? NaN : per10k(sinkCpu),
    clientCpuPer10k: per10k((client.user + client.system) / 1e6),
    sessionP50Ms: percentile(serial.sessionMs, 50),
    sessionP99Ms: percentile(serial.sessionMs, 99),
    dotP50Ms: percentile(serial.dotMs, 50),
    dotP99Ms: percentile(serial.dotMs, 99),
    idle,
    withIdleConnections,
    idleConnections: conns.open,
    pssKiBPerConnection: conns.open > 0 ? (withIdleConnections.pssKiB - idle.pssKiB) / conns.open : NaN,
    errors,
  };
}

function loadOptions(port: number, options: BenchOptions, messages: number, sessions: number, messagesPerSession: number): LoadOptions {
  return { host: '127.0.0.1', port, messages, sessions, messageBytes: options.messageBytes, messagesPerSession, replyTimeoutMs: 60_000, timeLimitMs: options.phaseTimeoutMs };
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}
