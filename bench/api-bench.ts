// The HTTP API against SMTP (issue 9, speed): one Hikyaku process serving
// both, relaying to the count sink. Per rep, in turn, N messages each way
// from S parallel clients:
// - smtp: to the relay listener, plain text, no AUTH (a trusted network),
//   one session per message by default, as smtp-source and self-bench's
//   "hikyaku" scenario: SMTP at its cheapest;
// - smtp-starttls: to the relay listener, STARTTLS then no AUTH, one
//   session per message: the TCP and TLS set-up per message that an
//   application pays, without the password check (which smtp-tls adds);
// - smtp-tls: to the submissions listener (TLS from the first byte, the
//   generated RSA certificate) with AUTH PLAIN, one session per message: how
//   an application that opens a connection per mail submits;
// - api: JSON messages of the same body size POSTed to /api/v1/messages
//   over S keep-alive connections.
// Each figure is from one run; the ratios are API/SMTP within a rep, so a
// noisy machine hurts both alike.
//
// With `--metrics both` (the default) the whole thing runs on two Hikyaku
// processes, GET /metrics off and on, interleaved: the cost of counting.
//
//   node dist/bench/api-bench.js [--messages N] [--sessions S] [--size BYTES]
//        [--reuse M] [--reps R] [--metrics off|on|both] [--ways smtp,smtp-starttls,smtp-tls,api]
//        [--tls-messages N] [--timeout SEC]
//
// HIKYAKU_BENCH_CPU_PROF=DIR: Hikyaku under node --cpu-prof (one profile per server).
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { cpus, release } from 'node:os';
import { parseArgs } from 'node:util';
import { installCleanup } from './children.js';
import { API_PASSWORD, API_USER, HikyakuProcess } from './hikyaku-process.js';
import { runLoad, RECIPIENT } from './load-client.js';
import { cpuSeconds, mainThreadCpuSeconds } from './proc-stats.js';
import { SinkProcess } from './sink-process.js';
import { median, minMax } from './stats.js';

interface Options {
  readonly messages: number;
  readonly sessions: number;
  readonly size: number;
  readonly reuse: number;
  readonly reps: number;
  readonly metrics: readonly boolean[];
  readonly timeoutMs: number;
  readonly ways: readonly Way[];
  /** Messages per run for smtp-tls: each session's AUTH verifies a scrypt password hash (~0.1 s of CPU), so far fewer. */
  readonly tlsMessages: number;
}

type Way = 'smtp' | 'smtp-starttls' | 'smtp-tls' | 'api';
const WAYS: readonly Way[] = ['smtp', 'smtp-starttls', 'smtp-tls', 'api'];
const WAY_NAMES: Record<Way, string> = {
  smtp: 'SMTP relay (plain, no AUTH)',
  'smtp-starttls': 'SMTP relay (STARTTLS, no AUTH)',
  'smtp-tls': 'SMTP submissions (TLS + AUTH)',
  api: 'HTTP API (JSON, keep-alive)',
};

interface Run {
  readonly way: Way;
  readonly metrics: boolean;
  readonly rep: number;
  readonly accepted: number;
  readonly acceptPerSec: number;
  /** Server CPU (all threads) from the run's start until the sink counted every accepted message, per message: accept + delivery. */
  readonly cpuMsPerMsg: number;
  readonly mainCpuMsPerMsg: number;
  /** The load client's CPU (this process) per message: it shares the cores with the server. */
  readonly clientCpuMsPerMsg: number;
  readonly errors: readonly string[];
}

function parse(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      messages: { type: 'string' },
      sessions: { type: 'string' },
      size: { type: 'string' },
      reuse: { type: 'string' },
      reps: { type: 'string' },
      metrics: { type: 'string' },
      timeout: { type: 'string' },
      ways: { type: 'string' },
      'tls-messages': { type: 'string' },
    },
  });
  const int = (text: string | undefined, fallback: number): number => {
    const n = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`not a positive integer: ${text}`);
    return n;
  };
  const m = values.metrics ?? 'both';
  if (!['off', 'on', 'both'].includes(m)) throw new Error('--metrics: off, on or both');
  return {
    messages: int(values.messages, 5000),
    sessions: int(values.sessions, 20),
    size: int(values.size, 4096),
    reuse: int(values.reuse, 1),
    reps: int(values.reps, 3),
    metrics: m === 'both' ? [false, true] : [m === 'on'],
    timeoutMs: int(values.timeout, 180) * 1000,
    tlsMessages: int(values['tls-messages'], 200),
    ways: (values.ways ?? WAYS.join(',')).split(',').map((w) => {
      if (!(WAYS as readonly string[]).includes(w)) throw new Error(`--ways: a list of ${WAYS.join(', ')}`);
      return w as Way;
    }),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A 4 KiB-ish text body in 78-byte lines, as the SMTP load client's. */
function textOf(bytes: number): string {
  const line = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmn\n';
  return line.repeat(Math.max(1, Math.floor(bytes / line.length)));
}

/** N POSTs of JSON messages over `sessions` keep-alive connections; accept rate as seen by the client. */
async function runApi(port: number, key: string, options: Options): Promise<{ accepted: number; startMs: number; lastMs: number; errors: string[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.sessions });
  const text = textOf(options.size);
  const errors: string[] = [];
  let remaining = options.messages;
  let accepted = 0;
  let serial = 0;
  const startMs = performance.now();
  let lastMs = startMs;
  const post = (body: string): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/v1/messages',
          agent,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let answer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (answer += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: answer }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const worker = async (): Promise<void> => {
    while (remaining > 0 && performance.now() - startMs < options.timeoutMs) {
      remaining--;
      const n = ++serial;
      const body = JSON.stringify({ from: `<${API_USER}>`, to: [RECIPIENT], subject: `bench message ${n}`, text });
      try {
        const answer = await post(body);
        if (answer.status === 202) {
          accepted++;
          lastMs = Math.max(lastMs, performance.now());
        } else if (errors.length < 5) errors.push(`HTTP ${answer.status}: ${answer.text.slice(0, 200)}`);
      } catch (err) {
        if (errors.length < 5) errors.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: options.sessions }, worker));
  agent.destroy();
  return { accepted, startMs, lastMs, errors };
}

async function measure(
  way: Way,
  rep: number,
  hikyaku: HikyakuProcess,
  sink: SinkProcess,
  httpPort: number,
  metrics: boolean,
  options: Options,
  count = options.messages,
): Promise<Run> {
  sink.reset();
  const cpu0 = cpuSeconds(hikyaku.pid);
  const main0 = mainThreadCpuSeconds(hikyaku.pid);
  const client0 = process.cpuUsage();
  let accepted: number;
  let startMs: number;
  let lastMs: number;
  const errors: string[] = [];
  if (way !== 'api') {
    const r = await runLoad({
      host: '127.0.0.1',
      port: way === 'smtp-tls' ? (hikyaku.submissionsPort as number) : hikyaku.port,
      submission: way === 'smtp-tls' ? { login: API_USER, password: API_PASSWORD } : undefined,
      startTls: way === 'smtp-starttls',
      messages: count,
      sessions: options.sessions,
      messageBytes: options.size,
      messagesPerSession: options.reuse,
      replyTimeoutMs: 60_000,
      timeLimitMs: options.timeoutMs,
    });
    ({ accepted, startMs, lastAcceptMs: lastMs } = r);
    errors.push(...r.errors);
  } else {
    const r = await runApi(httpPort, hikyaku.apiKey as string, { ...options, messages: count });
    ({ accepted, startMs, lastMs } = r);
    errors.push(...r.errors);
  }
  const client = process.cpuUsage(client0);
  const delivered = await sink.waitFor(accepted, options.timeoutMs);
  if (!delivered.reached) errors.push(`sink counted ${delivered.count} of ${accepted}`);
  const perMsg = (seconds: number): number => (seconds * 1000) / Math.max(1, accepted);
  return {
    way,
    metrics,
    rep,
    accepted,
    acceptPerSec: accepted / ((lastMs - startMs) / 1000),
    cpuMsPerMsg: perMsg(cpuSeconds(hikyaku.pid) - cpu0),
    mainCpuMsPerMsg: perMsg(mainThreadCpuSeconds(hikyaku.pid) - main0),
    clientCpuMsPerMsg: perMsg((client.user + client.system) / 1e6),
    errors,
  };
}

async function main(): Promise<number> {
  const options = parse(process.argv.slice(2));
  installCleanup();
  const began = Date.now();
  const servers: { metrics: boolean; hikyaku: HikyakuProcess; sink: SinkProcess; httpPort: number }[] = [];
  const runs: Run[] = [];
  try {
    for (const metrics of options.metrics) {
      const sink = await SinkProcess.start();
      const httpPort = await freePort();
      const profileDir = process.env['HIKYAKU_BENCH_CPU_PROF'];
      const hikyaku = await HikyakuProcess.start({
        sinkPort: sink.port,
        dkimDomain: undefined,
        maxConnections: 1000,
        nodeArgs: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `api-bench-metrics-${metrics ? 'on' : 'off'}.cpuprofile`] : [],
        startTimeoutMs: 60_000,
        http: { port: httpPort, metrics },
      });
      servers.push({ metrics, hikyaku, sink, httpPort });
      // Warm-up: JIT, SQLite pages, the outbound pool, Fastify's serializers.
      const warmup = Math.min(1_000, Math.ceil(options.messages / 5));
      for (const way of options.ways) {
        const w = await measure(way, 0, hikyaku, sink, httpPort, metrics, options, way === 'smtp-tls' ? 20 : warmup);
        for (const e of w.errors) process.stderr.write(`api-bench: warm-up ${way}: ${e}\n`);
      }
    }
    for (let rep = 1; rep <= options.reps; rep++) {
      for (const s of servers) {
        for (const way of options.ways) {
          const r = await measure(way, rep, s.hikyaku, s.sink, s.httpPort, s.metrics, options, way === 'smtp-tls' ? Math.min(options.messages, options.tlsMessages) : options.messages);
          runs.push(r);
          process.stderr.write(
            `api-bench: rep ${rep} metrics ${s.metrics ? 'on ' : 'off'} ${way}: ${Math.round(r.acceptPerSec)} msg/s accepted, ${r.cpuMsPerMsg.toFixed(3)} ms CPU/msg (main ${r.mainCpuMsPerMsg.toFixed(3)}; client ${r.clientCpuMsPerMsg.toFixed(3)})\n`,
          );
          for (const e of r.errors) process.stderr.write(`api-bench:   ${e}\n`);
        }
      }
    }
  } finally {
    for (const s of servers) {
      await s.hikyaku.stop();
      await s.sink.stop();
    }
  }

  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Linux ${release()}, Node ${process.version}`;
  const out: string[] = [];
  out.push(`\n## HTTP API vs SMTP (${new Date(began).toISOString()}; ${machine}; ${options.messages} messages of ${options.size} B per run (smtp-tls: ${Math.min(options.messages, options.tlsMessages)}), ${options.sessions} connections, SMTP ${options.reuse} msg/session; medians of ${options.reps} reps (min–max))\n`);
  out.push('| metrics | way | accept msg/s | API ÷ this (per rep) | server CPU ms/msg (all threads) | of which main thread | load client CPU ms/msg |');
  out.push('|---|---|---:|---:|---:|---:|---:|');
  const fmt = (values: number[], digits: number): string => {
    const [lo, hi] = minMax(values);
    return options.reps > 1 ? `${median(values).toFixed(digits)} (${lo.toFixed(digits)}–${hi.toFixed(digits)})` : median(values).toFixed(digits);
  };
  const find = (metrics: boolean, rep: number, way: Way): Run | undefined => runs.find((r) => r.metrics === metrics && r.rep === rep && r.way === way);
  for (const metrics of options.metrics) {
    for (const way of options.ways) {
      const mine = runs.filter((r) => r.metrics === metrics && r.way === way);
      const ratios: number[] = [];
      for (let rep = 1; rep <= options.reps; rep++) {
        const api = find(metrics, rep, 'api');
        const other = find(metrics, rep, way);
        if (api && other && way !== 'api') ratios.push(api.acceptPerSec / other.acceptPerSec);
      }
      out.push(
        `| ${metrics ? 'on' : 'off'} | ${WAY_NAMES[way]} | ${fmt(mine.map((r) => r.acceptPerSec), 0)} | ${ratios.length > 0 ? `${fmt(ratios, 2)}×` : ''} | ${fmt(mine.map((r) => r.cpuMsPerMsg), 3)} | ${fmt(mine.map((r) => r.mainCpuMsPerMsg), 3)} | ${fmt(mine.map((r) => r.clientCpuMsPerMsg), 3)} |`,
      );
    }
  }
  if (options.metrics.length === 2) {
    for (const way of options.ways) {
      const ratios: number[] = [];
      for (let rep = 1; rep <= options.reps; rep++) {
        const off = find(false, rep, way);
        const on = find(true, rep, way);
        if (off && on) ratios.push(on.acceptPerSec / off.acceptPerSec);
      }
      out.push(`\nMetrics on ÷ off, accept rate, ${way}: ${fmt(ratios, 3)}`);
    }
  }
  const failed = runs.filter((r) => r.errors.length > 0).length;
  if (failed > 0) out.push(`\nErrors in ${failed} run(s): see the lines starting with "api-bench:" above.`);
  out.push(`\nTotal time ${((Date.now() - began) / 1000).toFixed(0)} s.`);
  process.stdout.write(out.join('\n') + '\n');
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`\napi-bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
