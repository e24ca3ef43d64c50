// Command-line options of `npm run bench` (node dist/bench/self-bench.js).
import { parseArgs } from 'node:util';

export const SCENARIOS = ['baseline', 'hikyaku', 'hikyaku-dkim', 'hikyaku-mx', 'hikyaku-mx-shaped', 'hikyaku-pg'] as const;
/** Run when --scenarios is not given; the MX pair (deliverability engine off / on) and hikyaku-pg (needs --pg) only on request. */
export const DEFAULT_SCENARIOS: readonly string[] = ['baseline', 'hikyaku', 'hikyaku-dkim'];
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  readonly messages: number;
  readonly sessions: number;
  readonly messageBytes: number;
  readonly reuse: number;
  readonly serial: number;
  readonly idle: number;
  readonly reps: number;
  readonly scenarios: readonly ScenarioName[];
  readonly json: string | undefined;
  /** Per phase (load run, delivery, idle connections), in ms. */
  readonly phaseTimeoutMs: number;
  /** Messages in the queue and history for the console figures (console-measure.ts); 0 = skip them. */
  readonly consoleMessages: number;
  /** hikyaku-pg: the PostgreSQL server (an admin URL; each run creates and drops a database of its own). */
  readonly pgUrl: string;
  /** The queue-at-scale figures (queue-scale.ts): deferred messages of the large case against 1,000; 0 = skip them. */
  readonly scaleMessages: number;
  /** Stores for them: the embedded one, and PostgreSQL when hikyaku-pg is among the scenarios. */
  readonly scaleStores: readonly ('sqlite' | 'pg')[];
}

export const usage = `usage: node dist/bench/self-bench.js [options]      (or: npm run bench -- [options])

  --messages N     messages in the throughput run (default 10000)
  --sessions S     parallel SMTP sessions (default 20)
  --size BYTES     message body size (default 4096), headers on top
  --reuse M        messages per session (default 1: a new session per message)
  --serial N       serial single-message sessions for latency (default 500)
  --idle K         idle connections (after EHLO) for memory (default 1000)
  --reps R         repetitions, scenarios interleaved rep by rep; medians reported (default 1)
  --scenarios LIST comma-separated: baseline,hikyaku,hikyaku-dkim,hikyaku-mx,hikyaku-mx-shaped,hikyaku-pg
                   (default the first three; the mx pair measures the deliverability engine off / on;
                   hikyaku-pg: the queue on PostgreSQL (store: postgres://…); with hikyaku, the ratio pg ÷ sqlite)
  --pg URL         PostgreSQL for hikyaku-pg (default postgres://postgres@127.0.0.1:5432/postgres)
  --timeout SEC    limit for each phase (default 180)
  --json FILE      also write every sample and the medians as JSON
  --console-messages N  messages in the queue and history for the console figures
                   (dashboard, first queue page; default 100000)
  --no-console     skip the console figures
  --scale-messages N  deferred messages in the queue-at-scale figures, against 1,000 (default 20000;
                   on the embedded store, and on PostgreSQL too with hikyaku-pg among the scenarios)
  --scale-full     the same with 1,000,000 (issue 11's point; minutes per store to generate)
  --no-scale       skip the queue-at-scale figures

environment: HIKYAKU_BENCH_CPU_PROF=DIR runs Hikyaku under node --cpu-prof,
writing one .cpuprofile per scenario run into DIR (summarise it with
node dist/bench/profile-summary.js FILE).`;

export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      messages: { type: 'string' },
      sessions: { type: 'string' },
      size: { type: 'string' },
      reuse: { type: 'string' },
      serial: { type: 'string' },
      idle: { type: 'string' },
      reps: { type: 'string' },
      scenarios: { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'string' },
      'console-messages': { type: 'string' },
      'no-console': { type: 'boolean' },
      pg: { type: 'string' },
      'scale-messages': { type: 'string' },
      'scale-full': { type: 'boolean' },
      'no-scale': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const scenarios = (values.scenarios ?? DEFAULT_SCENARIOS.join(',')).split(',').map((s) => s.trim());
  for (const s of scenarios) {
    if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`--scenarios: unknown scenario "${s}" (known: ${SCENARIOS.join(', ')})`);
  }
  return {
    messages: count(values.messages, 10_000, '--messages', 1),
    sessions: count(values.sessions, 20, '--sessions', 1),
    messageBytes: count(values.size, 4096, '--size', 0),
    reuse: count(values.reuse, 1, '--reuse', 1),
    serial: count(values.serial, 500, '--serial', 0),
    idle: count(values.idle, 1000, '--idle', 0),
    reps: count(values.reps, 1, '--reps', 1),
    scenarios: scenarios as ScenarioName[],
    json: values.json,
    phaseTimeoutMs: count(values.timeout, 180, '--timeout', 1) * 1000,
    consoleMessages: values['no-console'] ? 0 : count(values['console-messages'], 100_000, '--console-messages', 1),
    pgUrl: values.pg ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    scaleMessages: values['no-scale'] ? 0 : values['scale-full'] ? 1_000_000 : count(values['scale-messages'], 20_000, '--scale-messages', 1),
    scaleStores: scenarios.includes('hikyaku-pg') ? ['sqlite', 'pg'] : ['sqlite'],
  };
}

function count(value: string | undefined, fallback: number, flag: string, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag}: "${value}" is not a whole number ≥ ${min}`);
  return n;
}
