// `npm run bench:nodes`: 1, 2 and 3 Hikyaku nodes on one PostgreSQL queue
// (issue 11), on this machine. For each node count, per rep (interleaved):
// a fresh database, N `hikyaku start` processes with `store: postgres://…`
// relaying to one count sink, a warm-up, then M messages sent by S parallel
// SMTP sessions spread evenly over the nodes. Figures: aggregate accept and
// end-to-end rate, and CPU per message of the Hikyaku processes (all
// threads) and of the PostgreSQL backends serving the database, from /proc;
// each as a ratio to one node in the same run. See bench/README.md.
import { cpus } from 'node:os';
import { benchArgs } from './command-args.js';
import { installCleanup } from './children.js';
import { HikyakuProcess } from './hikyaku-process.js';
import { runLoad, type LoadResult } from './load-client.js';
import { auxiliaryPids, backendLister, cpuBetween, cpuOf } from './pg-backends.js';
import { benchDatabase } from './pg-database.js';
import { cpuSeconds } from './proc-stats.js';
import { SinkProcess } from './sink-process.js';
import { median, minMax } from './stats.js';

const usage = `usage: node dist/bench/pg-nodes-bench.js [options]      (or: npm run bench:nodes -- [options])

  --nodes LIST     node counts, comma-separated; the first is the reference (default 1,2,3)
  --messages N     messages per run (default 5000)
  --sessions S     parallel SMTP sessions in all, spread over the nodes (default 20)
  --size BYTES     body size (default 4096)
  --reps R         repetitions, node counts interleaved; medians reported (default 3)
  --pg URL         PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres); each run
                   creates a database of its own and drops it
  --timeout SEC    limit for each phase (default 180)`;

interface Sample {
  readonly nodes: number;
  readonly acceptPerSec: number;
  readonly endToEndPerSec: number;
  /** CPU ms per message: Hikyaku processes, PostgreSQL backends of the database, PostgreSQL's shared helpers (WAL writer etc.), the load client, the sink. */
  readonly hikyakuMs: number;
  readonly pgMs: number;
  readonly pgAuxMs: number;
  readonly clientMs: number;
  readonly sinkMs: number;
  readonly errors: readonly string[];
}

interface Options {
  readonly nodes: readonly number[];
  readonly messages: number;
  readonly sessions: number;
  readonly size: number;
  readonly reps: number;
  readonly pgUrl: string;
  readonly timeoutMs: number;
}

async function runOnce(nodes: number, o: Options): Promise<Sample> {
  const db = await benchDatabase(o.pgUrl);
  const sink = await SinkProcess.start();
  const servers: HikyakuProcess[] = [];
  try {
    for (let i = 0; i < nodes; i++) {
      servers.push(await HikyakuProcess.start({ sinkPort: sink.port, dkimDomain: undefined, maxConnections: 1000, nodeArgs: [], startTimeoutMs: 60_000, store: db.url }));
    }
    const load = async (messages: number): Promise<{ runs: LoadResult[]; startMs: number; lastAcceptMs: number }> => {
      const runs = await Promise.all(
        servers.map((s, i) => {
          const share = Math.floor(messages / nodes) + (i < messages % nodes ? 1 : 0);
          const sessions = Math.max(1, Math.floor(o.sessions / nodes) + (i < o.sessions % nodes ? 1 : 0));
          return runLoad({ host: '127.0.0.1', port: s.port, messages: share, sessions, messageBytes: o.size, messagesPerSession: 1, replyTimeoutMs: 60_000, timeLimitMs: o.timeoutMs });
        }),
      );
      return { runs, startMs: Math.min(...runs.map((r) => r.startMs)), lastAcceptMs: Math.max(...runs.map((r) => r.lastAcceptMs)) };
    };
    const warm = await load(Math.min(1_000, Math.ceil(o.messages / 10)));
    await sink.waitFor(warm.runs.reduce((n, r) => n + r.accepted, 0), o.timeoutMs);
    sink.reset();

    const backends = backendLister(db.url);
    const aux = await auxiliaryPids(db.url);
    const pg0 = cpuOf(await backends());
    const aux0 = cpuOf(aux);
    const hik0 = servers.map((s) => cpuSeconds(s.pid));
    const sink0 = cpuSeconds(sink.pid);
    const client0 = process.cpuUsage();
    const allDelivered = sink.waitFor(o.messages, o.timeoutMs).then((r) => ({ ...r, atMs: performance.now() }));
    const run = await load(o.messages);
    const accepted = run.runs.reduce((n, r) => n + r.accepted, 0);
    const errors = run.runs.flatMap((r) => r.errors);
    const delivered = await (accepted === o.messages ? allDelivered : sink.waitFor(accepted, o.timeoutMs).then((r) => ({ ...r, atMs: performance.now() })));
    if (!delivered.reached) errors.push(`sink counted ${delivered.count} of ${accepted} accepted messages within the time limit`);
    const hikyaku = servers.reduce((sum, s, i) => sum + cpuSeconds(s.pid) - (hik0[i] as number), 0);
    const pgCpu = cpuBetween(pg0, cpuOf(await backends()));
    const auxCpu = cpuBetween(aux0, cpuOf(aux));
    const client = process.cpuUsage(client0);
    const perMsg = (seconds: number): number => (seconds * 1000) / Math.max(1, accepted);
    return {
      nodes,
      acceptPerSec: accepted / ((run.lastAcceptMs - run.startMs) / 1000),
      endToEndPerSec: delivered.reached ? delivered.count / ((delivered.atMs - run.startMs) / 1000) : NaN,
      hikyakuMs: perMsg(hikyaku),
      pgMs: perMsg(pgCpu),
      pgAuxMs: perMsg(auxCpu),
      clientMs: perMsg((client.user + client.system) / 1e6),
      sinkMs: perMsg(cpuSeconds(sink.pid) - sink0),
      errors,
    };
  } finally {
    for (const s of servers) await s.stop();
    await sink.stop();
    await db.drop();
  }
}

function table(o: Options, samples: readonly Sample[]): string {
  const cell = (n: number, digits: number): string => (Number.isFinite(n) ? n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–');
  const of = (nodes: number, pick: (s: Sample) => number): { med: number; range: string } => {
    const values = samples.filter((s) => s.nodes === nodes).map(pick);
    const [lo, hi] = minMax(values);
    return { med: median(values), range: values.length > 1 ? ` (${cell(lo, 0)}–${cell(hi, 0)})` : '' };
  };
  const ref = o.nodes[0] as number;
  const heads = o.nodes.map((n) => `${n} node${n > 1 ? 's' : ''}`);
  const ratios = o.nodes.slice(1).map((n) => `${n} ÷ ${ref}`);
  const lines = [`| measure | ${[...heads, ...ratios].join(' | ')} |`, `| --- | ${[...heads, ...ratios].map(() => '---:').join(' | ')} |`];
  const row = (label: string, pick: (s: Sample) => number, digits: number, ranges: boolean): void => {
    const values = o.nodes.map((n) => of(n, pick));
    const base = values[0]?.med ?? NaN;
    lines.push(`| ${label} | ${[...values.map((v) => cell(v.med, digits) + (ranges ? v.range : '')), ...values.slice(1).map((v) => cell(v.med / base, 2))].join(' | ')} |`);
  };
  row('accept msg/s (aggregate)', (s) => s.acceptPerSec, 0, true);
  row('end-to-end msg/s (aggregate)', (s) => s.endToEndPerSec, 0, true);
  row('CPU ms per message: Hikyaku processes', (s) => s.hikyakuMs, 3, false);
  row('CPU ms per message: PostgreSQL backends', (s) => s.pgMs, 3, false);
  row("CPU ms per message: PostgreSQL's WAL writer, checkpointer, bgwriter (shared)", (s) => s.pgAuxMs, 3, false);
  row('CPU ms per message: Hikyaku + PostgreSQL', (s) => s.hikyakuMs + s.pgMs + s.pgAuxMs, 3, false);
  row('CPU ms per message: load client', (s) => s.clientMs, 3, false);
  row('CPU ms per message: count sink', (s) => s.sinkMs, 3, false);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const values = benchArgs(
    {
      nodes: { type: 'string' },
      messages: { type: 'string' },
      sessions: { type: 'string' },
      size: { type: 'string' },
      reps: { type: 'string' },
      pg: { type: 'string' },
      timeout: { type: 'string' },
    },
    usage,
  );
  if (typeof values === 'number') return values;
  const o: Options = {
    nodes: (values.nodes ?? '1,2,3').split(',').map(Number),
    messages: Number(values.messages ?? 5000),
    sessions: Number(values.sessions ?? 20),
    size: Number(values.size ?? 4096),
    reps: Number(values.reps ?? 3),
    pgUrl: values.pg ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    timeoutMs: Number(values.timeout ?? 180) * 1000,
  };
  for (const [flag, n] of [['--messages', o.messages], ['--sessions', o.sessions], ['--reps', o.reps], ['--timeout', o.timeoutMs], ...o.nodes.map((n) => ['--nodes', n] as const)] as const) {
    if (!Number.isInteger(n) || n < 1) {
      process.stderr.write(`${flag}: whole numbers ≥ 1\n\n${usage}\n`);
      return 2;
    }
  }
  installCleanup();
  const began = Date.now();
  const samples: Sample[] = [];
  for (let rep = 1; rep <= o.reps; rep++) {
    for (const nodes of o.nodes) {
      process.stderr.write(`bench: rep ${rep}/${o.reps}, ${nodes} node(s) … `);
      const s = await runOnce(nodes, o);
      samples.push(s);
      process.stderr.write(`${Math.round(s.acceptPerSec)} msg/s accepted, ${Math.round(s.endToEndPerSec)} end to end\n`);
      for (const e of s.errors) process.stderr.write(`bench:   ${e}\n`);
    }
  }
  process.stdout.write(
    `\n## Nodes on one PostgreSQL (${new Date(began).toISOString()}; ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}; ` +
      `${o.messages} messages of ${o.size} bytes, ${o.sessions} sessions in all; ${o.reps > 1 ? `medians of ${o.reps} reps (min–max)` : '1 rep'})\n\n${table(o, samples)}\n`,
  );
  process.stdout.write(`\nJSON: ${JSON.stringify(samples)}\n\nTotal time ${((Date.now() - began) / 1000).toFixed(0)} s.\n`);
  return samples.some((s) => s.errors.length > 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`\nbench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
