// Hikyaku under test: a fresh data folder, optionally a DKIM-signing domain,
// then `hikyaku start` as a child process relaying to the count sink.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SERVER_NODE_FLAGS } from '../src/core/node-flags.js';
import { removeFolder, stopChild, track, trackFolder } from './children.js';
import { SmtpConnection, expectClass } from './smtp-connection.js';

const run = promisify(execFile);

/** dist/src/cli.js, beside dist/bench/ where this file is compiled. */
export const CLI_PATH = fileURLToPath(new URL('../src/cli.js', import.meta.url));

export interface HikyakuOptions {
  readonly sinkPort: number;
  /** Register the sender's domain, so every message is DKIM-signed. */
  readonly dkimDomain: string | undefined;
  /** Room for the idle connections and the load sessions (limits.maxConnections). */
  readonly maxConnections: number;
  /** Extra node flags for the server, e.g. --cpu-prof. */
  readonly nodeArgs: readonly string[];
  readonly startTimeoutMs: number;
  /**
   * Serve the HTTP API on this loopback port (default: the HTTP listener
   * off), with or without GET /metrics. A user `API_USER` (no quotas) and an
   * API key for it are made before the start (`hikyaku user add`, `hikyaku
   * apikey create`); the brake is off, as a benchmark is one sudden burst,
   * and so are the brute-force limits (AUTH checks still under way count as
   * failures, and 20 parallel sessions of one user from one address would
   * trip them).
   */
  readonly http?: { readonly port: number; readonly metrics: boolean } | undefined;
  /**
   * Deliver through MX routing instead of the relayhost: the DNS server
   * (bench/mx-dns.ts) gives the load client's recipient domain the MX
   * BENCH_MX_HOST, at the sink's address; mxPort is the sink's port. With
   * `shaping`, the deliverability engine is on and that MX is in a provider
   * group whose limits the load never reaches; without, the engine is off.
   */
  readonly mx?: { readonly dns: string; readonly shaping: boolean } | undefined;
  /** The queue store (a postgres:// URL); the embedded one when absent. */
  readonly store?: string | undefined;
  /**
   * Start on this data folder (already holding a queue: queue-scale.ts)
   * instead of a fresh, empty one. It is removed at stop() all the same.
   */
  readonly dataDir?: string | undefined;
}

/** The MX host name the benchmark's DNS server gives the recipient domain. */
export const BENCH_MX_HOST = 'mx.bench-provider.test';

/** The API's user in the benchmark (the load client's sender address), also for SMTP AUTH. */
export const API_USER = 'sender@bench.example';
export const API_PASSWORD = 'bench password 4711';

/** The tail of what the server wrote to stderr (warnings, errors). */
interface StderrTail {
  text: string;
}

export class HikyakuProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly stderrTail: StderrTail,
    readonly dataDir: string,
    readonly port: number,
    /** The API key (options.http), else undefined. */
    readonly apiKey: string | undefined,
    /** The submissions listener (port 465 style) when options.http, for SMTP with TLS and AUTH. */
    readonly submissionsPort: number | undefined,
    /** performance.now() when `hikyaku start` was spawned (after the set-up commands). */
    readonly spawnedAtMs: number,
  ) {}

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('hikyaku has no pid');
    return this.child.pid;
  }

  static async start(options: HikyakuOptions): Promise<HikyakuProcess> {
    const dataDir = trackFolder(options.dataDir ?? mkdtempSync(join(tmpdir(), 'hikyaku-bench-')));
    const configFile = join(dataDir, 'hikyaku.yaml');
    writeFileSync(
      configFile,
      // A fully qualified hostname, so that Hikyaku does not warn about the machine's.
      `# Written by bench/self-bench for one scenario.\nhostname: hikyaku.bench.example\ndataDir: ${JSON.stringify(dataDir)}\n` +
        // The load client sends From: <sender@bench.example> from loopback: see bench/shared-bench-start.sh.
        `listeners:\n  relay:\n    maySendAs: ['*@bench.example']\n` +
        (options.http === undefined ? `  http:\n    enabled: false\n` : `  http:\n    enabled: true\n    host: 127.0.0.1\n    port: ${options.http.port}\n`) +
        (options.store === undefined ? '' : `store: ${JSON.stringify(options.store)}\n`) +
        `limits:\n  maxConnections: ${options.maxConnections}\n  maxConnectionsPerClient: ${options.maxConnections}\n  connectionRatePerClient: 100000000\n` +
        (options.mx === undefined ? '' : mxConfig(options.mx, options.sinkPort)) +
        (options.http === undefined ? '' : `metrics:\n  enabled: ${options.http.metrics}\nbrake:\n  enabled: false\nauth:\n  maxFailuresPerClient: 1000000\n  maxFailuresPerLogin: 1000000\nquotas:\n  user:\n    messagesPerHour: 0\n    messagesPerDay: 0\n`),
    );
    if (options.dkimDomain !== undefined) {
      await run(process.execPath, [CLI_PATH, 'domain', 'add', options.dkimDomain, '--config', configFile, '--lang', 'en'], { timeout: 60_000 });
    }
    let apiKey: string | undefined;
    if (options.http !== undefined) apiKey = await createApiUser(configFile);
    // Logs (JSON lines at info level) go to /dev/null: writing them is part of
    // the cost, as Postfix's logging is part of Postfix's.
    const devNull = openSync('/dev/null', 'w');
    const args = [
      ...SERVER_NODE_FLAGS, // as `hikyaku start` runs
      ...options.nodeArgs,
      CLI_PATH,
      'start',
      '--config',
      configFile,
      '--data-dir',
      dataDir,
      '--relay-listen',
      '127.0.0.1:0',
      '--submission-listen',
      'off',
      '--submissions-listen',
      options.http === undefined ? 'off' : '127.0.0.1:0',
      ...(options.mx === undefined ? ['--relayhost', `127.0.0.1:${options.sinkPort}`] : []),
    ];
    const spawnedAtMs = performance.now();
    const child = track(spawn(process.execPath, args, { stdio: ['ignore', devNull, 'pipe'] }));
    closeSync(devNull);
    const tail: StderrTail = { text: '' };
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      tail.text = (tail.text + text).slice(-8_000);
    });
    try {
      const port = await listeningPort(child, () => tail.text, options.startTimeoutMs);
      await waitForGreeting(port, options.startTimeoutMs);
      const submissions = /submissions listening on [^\s]+:(\d+)/.exec(tail.text)?.[1];
      return new HikyakuProcess(child, tail, dataDir, port, apiKey, submissions === undefined ? undefined : Number(submissions), spawnedAtMs);
    } catch (err) {
      await stopChild(child, 3_000);
      removeFolder(dataDir);
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- hikyaku stderr ---\n${tail.text}`);
    }
  }

  /** The last lines the server wrote to stderr (warnings, errors). */
  get stderr(): string {
    return this.stderrTail.text;
  }

  /** SIGTERM (Hikyaku stops cleanly), then remove its data folder. */
  async stop(): Promise<void> {
    await stopChild(this.child, 15_000);
    removeFolder(this.dataDir);
  }
}

/** Delivery by MX through the bench DNS server, the deliverability engine on (a group never limited) or off. */
function mxConfig(mx: { dns: string; shaping: boolean }, sinkPort: number): string {
  const delivery = `delivery:\n  resolvers: [${JSON.stringify(mx.dns)}]\n  mxPort: ${sinkPort}\n  tls: none\n`;
  if (!mx.shaping) return `${delivery}deliverability:\n  enabled: false\n`;
  return (
    `${delivery}deliverability:\n  enabled: true\n  groups:\n` +
    `    - { name: bench-provider, mx: [${JSON.stringify(BENCH_MX_HOST)}], connections: 100000, messagesPerConnection: 1000000, perMinute: 1000000000, perHour: 1000000000 }\n`
  );
}

/** `hikyaku user add API_USER` (quotas off in the config), then `hikyaku apikey create`: the key. */
async function createApiUser(configFile: string): Promise<string> {
  const common = ['--config', configFile, '--lang', 'en'];
  await new Promise<void>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [CLI_PATH, 'user', 'add', API_USER, '--password-stdin', ...common],
      { timeout: 60_000 },
      (err) => (err ? reject(err) : resolve()),
    );
    child.stdin?.end(`${API_PASSWORD}\n`);
  });
  const { stdout } = await run(process.execPath, [CLI_PATH, 'apikey', 'create', API_USER, '--label', 'bench', ...common], { timeout: 60_000 });
  const key = /^\s+(hk_[a-z2-7]+)$/m.exec(stdout)?.[1];
  if (key === undefined) throw new Error(`no API key in: ${stdout}`);
  return key;
}

/** `hikyaku start` prints "hikyaku: relay listening on HOST:PORT" on stderr. */
function listeningPort(child: ChildProcess, stderr: () => string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`hikyaku did not listen within ${timeoutMs} ms`)), timeoutMs);
    const onData = (): void => {
      const m = /relay listening on [^\s]+:(\d+)/.exec(stderr());
      if (m?.[1]) done(undefined, Number(m[1]));
    };
    const onExit = (code: number | null): void => done(new Error(`hikyaku exited (${code}) before listening`));
    function done(err: Error | undefined, port?: number): void {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(port as number);
    }
    // Registered after the accumulating listener, so stderr() already holds this chunk.
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Ready means: a connection gets the 220 greeting. */
async function waitForGreeting(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const conn = await SmtpConnection.open('127.0.0.1', port, 5_000);
      try {
        expectClass(await conn.reply(), 2, 'greeting');
        await conn.command('QUIT', 2);
        return;
      } finally {
        conn.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
