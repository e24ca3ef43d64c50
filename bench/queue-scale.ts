// Issue 11's scale point: a queue of N deferred messages (default 1,000 and
// 100,000; --scale-full for 1,000,000) against a small one, on the embedded
// store and on PostgreSQL. For each size:
//
// 1. fill the queue through the QueueStore interface (queue-fill.ts), with
//    a few due messages among the deferred ones;
// 2. in this process, on a store opened as the server opens it, time the
//    scheduler's poll (scheduler.ts: dueMessageIds + nextDueAtMs, with the
//    scheduler's batch size) and the queue count the gauges take
//    (queue-gauges.ts; on PostgreSQL the store's stats query);
// 3. start the real server on that queue (HTTP listener with /metrics on)
//    and time from spawn until the sink has the due messages: due work found
//    among N deferred ones;
// 4. after a settle, its RSS; then, after one scrape of /metrics, an idle
//    window in which /metrics is scraped every second: the server's CPU per second (the scheduler polls
//    every second, so that is one tick plus the timers), its RSS again, and
//    on PostgreSQL the CPU of its backends (pg_stat_activity, /proc).
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { silentLogger } from '../src/log/logger.js';
import { openQueueGauges } from '../src/metrics/queue-gauges.js';
import { countPgQueue } from '../src/queue/postgres/pg-queue-stats.js';
import { openPgQueueStore } from '../src/queue/postgres/pg-queue-store.js';
import type { QueueStore } from '../src/queue/queue-store.js';
import { openSqliteQueueStore } from '../src/queue/sqlite-queue-store.js';
import { trackFolder } from './children.js';
import { HikyakuProcess } from './hikyaku-process.js';
import { backendLister, cpuBetween, cpuOf } from './pg-backends.js';
import { benchDatabase, type BenchDatabase } from './pg-database.js';
import { cpuSeconds, mainThreadCpuSeconds, memoryOf } from './proc-stats.js';
import { fillQueue } from './queue-fill.js';
import { SinkProcess } from './sink-process.js';
import { median } from './stats.js';

export type ScaleStore = 'sqlite' | 'pg';

export interface ScaleOptions {
  readonly stores: readonly ScaleStore[];
  /** Deferred messages per case, the first being the reference (ratios against it). */
  readonly sizes: readonly number[];
  /** Due messages among them. */
  readonly due: number;
  readonly pgUrl: string;
  readonly idleWindowS: number;
  readonly log: (line: string) => void;
}

export interface ScaleFigure {
  readonly store: ScaleStore;
  readonly deferred: number;
  readonly fillS: number;
  /** One scheduler poll (dueMessageIds + nextDueAtMs), median and max of 200, ms. */
  readonly pollMs: number;
  readonly pollMaxMs: number;
  /** The whole-queue count of the gauges (taken again only when old: queue-gauges.ts / pg-queue-stats.ts), ms. */
  readonly countMs: number;
  /** Spawn of `hikyaku start` → the sink has every due message. */
  readonly findDueMs: number;
  /** Spawn → the relay answers. */
  readonly startMs: number;
  /** CPU of the server (all threads) when the relay first answered: start-up work, which the machine's load hardly changes. */
  readonly startCpuMs: number;
  readonly rssSettledMiB: number;
  readonly rssAfterMiB: number;
  /** During the idle window, per second: server (all threads), its main thread, its PostgreSQL backends. */
  readonly idleCpuMsPerS: number;
  readonly idleMainCpuMsPerS: number;
  readonly pgCpuMsPerS: number;
  /** GET /metrics (the queue gauges and the rest), median, ms. */
  readonly scrapeMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const POLL_LIMIT = 800; // the scheduler's batch with the default 100 concurrent deliveries: max(500, 8 × 100)

export async function measureScale(options: ScaleOptions): Promise<ScaleFigure[]> {
  const figures: ScaleFigure[] = [];
  for (const store of options.stores) {
    for (const deferred of options.sizes) {
      options.log(`scale: ${store}, ${deferred.toLocaleString('en')} deferred + ${options.due} due`);
      figures.push(await measureOne(store, deferred, options));
    }
  }
  return figures;
}

async function measureOne(kind: ScaleStore, deferred: number, options: ScaleOptions): Promise<ScaleFigure> {
  const dataDir = trackFolder(mkdtempSync(join(tmpdir(), 'hikyaku-scale-')));
  const db = kind === 'pg' ? await benchDatabase(options.pgUrl) : undefined;
  try {
    const open = (): Promise<QueueStore> =>
      db === undefined ? openSqliteQueueStore({ dataDir, logger: silentLogger() }) : openPgQueueStore({ url: db.url, logger: silentLogger(), claimLeaseMs: 30_000 });
    const fillStart = performance.now();
    const filler = await open();
    try {
      await fillQueue(filler, { deferred, due: options.due, log: (line) => options.log(`scale: ${kind}: ${line}`) });
    } finally {
      await filler.close();
    }
    // What a database in service would have had: statistics and a vacuum
    // (autovacuum would otherwise run in the middle of the measurement).
    if (db !== undefined) await adminQuery(db.url, 'VACUUM ANALYZE');
    const fillS = (performance.now() - fillStart) / 1000;
    options.log(`scale: ${kind}: filled in ${fillS.toFixed(0)} s`);

    const store = await open();
    let poll: number[];
    let countMs: number;
    try {
      poll = await timePolls(store, 200);
      countMs = await timeCount(dataDir, db);
    } finally {
      await store.close(); // a shared store frees its claims on the due messages here
    }
    return { store: kind, deferred, fillS, pollMs: median(poll), pollMaxMs: Math.max(...poll), countMs, ...(await serverFigures(dataDir, db, options)) };
  } finally {
    await db?.drop();
  }
}

/** The scheduler's poll as scheduler.ts makes it, `reps` times after one warm-up. */
async function timePolls(store: QueueStore, reps: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const t0 = performance.now();
    await store.dueMessageIds(Date.now(), POLL_LIMIT);
    await store.nextDueAtMs();
    if (i > 0) ms.push(performance.now() - t0);
  }
  return ms;
}

/** The full count the gauges take (the cached reads between counts cost next to nothing), median of 5. */
async function timeCount(dataDir: string, db: BenchDatabase | undefined): Promise<number> {
  const ms: number[] = [];
  const pool = db === undefined ? undefined : new pg.Pool({ connectionString: db.url, max: 1 });
  try {
    if (pool !== undefined) await countPgQueue(pool); // connected, warm
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      if (pool === undefined) {
        const gauges = openQueueGauges(dataDir); // a fresh reader: its first stats() counts
        gauges.stats();
        gauges.close();
      } else {
        await countPgQueue(pool);
      }
      ms.push(performance.now() - t0);
    }
  } finally {
    await pool?.end();
  }
  return median(ms);
}

type ServerFigures = Pick<ScaleFigure, 'findDueMs' | 'startMs' | 'startCpuMs' | 'rssSettledMiB' | 'rssAfterMiB' | 'idleCpuMsPerS' | 'idleMainCpuMsPerS' | 'pgCpuMsPerS' | 'scrapeMs'>;

async function serverFigures(dataDir: string, db: BenchDatabase | undefined, options: ScaleOptions): Promise<ServerFigures> {
  const sink = await SinkProcess.start();
  let server: HikyakuProcess | undefined;
  try {
    const httpPort = await freePort();
    const dueArrived = sink.waitFor(options.due, 300_000).then((r) => ({ ...r, atMs: performance.now() }));
    server = await HikyakuProcess.start({
      sinkPort: sink.port,
      dkimDomain: undefined,
      maxConnections: 100,
      nodeArgs: [],
      startTimeoutMs: 300_000,
      store: db?.url,
      dataDir,
      http: { port: httpPort, metrics: true },
    });
    const spawnedAt = server.spawnedAtMs;
    const startMs = performance.now() - spawnedAt;
    const startCpuMs = cpuSeconds(server.pid) * 1000;
    const due = await dueArrived;
    if (!due.reached) throw new Error(`the server delivered ${due.count} of the ${options.due} due messages within 300 s\n${server.stderr}`);
    const findDueMs = due.atMs - spawnedAt;
    await sleep(5_000);
    const rssSettledMiB = memoryOf(server.pid).rssKiB / 1024;
    // A first scrape before the window: what is done once (the PostgreSQL
    // store's first count, which starts its refresh timer) is not periodic work.
    await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    await sleep(2_000);

    const backends = db === undefined ? undefined : backendLister(db.url);
    const pg0 = backends === undefined ? new Map<number, number>() : cpuOf(await backends());
    const cpu0 = cpuSeconds(server.pid);
    const main0 = mainThreadCpuSeconds(server.pid);
    const t0 = performance.now();
    const scrapes: number[] = [];
    while (performance.now() - t0 < options.idleWindowS * 1000) {
      const s0 = performance.now();
      const response = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
      const text = await response.text();
      scrapes.push(performance.now() - s0);
      if (!/^hikyaku_queue_messages \d+/m.test(text)) throw new Error(`no queue gauge in /metrics: ${text.slice(0, 300)}`);
      await sleep(1_000);
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(server.pid) - cpu0;
    const main = mainThreadCpuSeconds(server.pid) - main0;
    let pgCpu = NaN;
    if (backends !== undefined) {
      pgCpu = cpuBetween(pg0, cpuOf(await backends()));
    }
    return {
      findDueMs,
      startMs,
      startCpuMs,
      rssSettledMiB,
      rssAfterMiB: memoryOf(server.pid).rssKiB / 1024,
      idleCpuMsPerS: (cpu * 1000) / seconds,
      idleMainCpuMsPerS: (main * 1000) / seconds,
      pgCpuMsPerS: (pgCpu * 1000) / seconds,
      scrapeMs: median(scrapes),
    };
  } finally {
    await server?.stop();
    await sink.stop();
  }
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** The figures as a markdown table: each size against the first of its store. */
export function scaleTable(figures: readonly ScaleFigure[], due: number): string {
  const out: string[] = [];
  for (const store of [...new Set(figures.map((f) => f.store))]) {
    const mine = figures.filter((f) => f.store === store);
    const ref = mine[0];
    if (ref === undefined) continue;
    const head = mine.map((f) => f.deferred.toLocaleString('en'));
    const ratioHead = mine.slice(1).map((f) => `${f.deferred.toLocaleString('en')} ÷ ${ref.deferred.toLocaleString('en')}`);
    out.push(
      `Queue at scale, ${store === 'pg' ? 'PostgreSQL' : 'embedded SQLite'} store: deferred messages (+ ${due} due), one server on them:`,
      '',
      `| measure | ${[...head, ...ratioHead].join(' | ')} |`,
      `| --- | ${[...head, ...ratioHead].map(() => '---:').join(' | ')} |`,
    );
    const row = (label: string, pick: (f: ScaleFigure) => number, digits: number, target?: string): void => {
      const values = mine.map((f) => fmt(pick(f), digits));
      const ratios = mine.slice(1).map((f) => fmt(pick(f) / pick(ref), 2));
      out.push(`| ${label}${target === undefined ? '' : ` (target ${target})`} | ${[...values, ...ratios].join(' | ')} |`);
    };
    row('RSS MiB, settled', (f) => f.rssSettledMiB, 1, '≤ 1.2');
    row('RSS MiB, after the idle window', (f) => f.rssAfterMiB, 1, '≤ 1.2');
    row('scheduler poll ms (dueMessageIds + nextDueAtMs), median of 200', (f) => f.pollMs, 2, '≤ 2');
    row('scheduler poll ms, max of 200', (f) => f.pollMaxMs, 2);
    row('idle server CPU ms/s (1 poll/s, /metrics scraped 1/s)', (f) => f.idleCpuMsPerS, 2);
    row('of which main thread', (f) => f.idleMainCpuMsPerS, 2);
    if (store === 'pg') row('its PostgreSQL backends, CPU ms/s', (f) => f.pgCpuMsPerS, 2);
    row('GET /metrics ms, median', (f) => f.scrapeMs, 2);
    row("the gauges' message count, ms (SQLite: one row kept by triggers; PostgreSQL: count(*), retaken only when old)", (f) => f.countMs, 2);
    row('spawn → due messages delivered, ms', (f) => f.findDueMs, 0);
    row('spawn → relay answers, ms', (f) => f.startMs, 0);
    row('server CPU ms until the relay answers (start-up work)', (f) => f.startCpuMs, 0);
    row('fill through the store, s', (f) => f.fillS, 1);
    out.push('');
  }
  return out.join('\n');
}

function fmt(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';
}
