// Starting a whole Hikyaku server for end-to-end tests: in this process
// (startHikyaku) or as a real child process (spawnHikyaku, for kill -9 and
// signal tests). Configuration goes through the same parser as a user's file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import pino from 'pino';
import { stringify as toYaml } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { startServer, type RunningServer } from '../../src/main.js';
import { UserStore } from '../../src/users/user-store.js';
import type { UserSettingsChange } from '../../src/users/account-settings.js';

export type Raw = Record<string, unknown>;

export function deepMerge(base: Raw, over: Raw): Raw {
  const out: Raw = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b) ? deepMerge(b as Raw, v as Raw) : v;
  }
  return out;
}

export interface TestEnvironment {
  /** "127.0.0.1:PORT" of the test DNS server. */
  readonly dns: string;
  /** The port every test MX host listens on (each on its own 127.0.0.x). */
  readonly mxPort: number;
}

/** A configuration for tests: loopback listeners on free ports, a short retry schedule. */
export function testRawConfig(env: TestEnvironment, dataDir: string, over: Raw = {}): Raw {
  const base: Raw = {
    hostname: 'mail.hikyaku.test',
    dataDir,
    listeners: {
      submission: { host: '127.0.0.1', port: 0 },
      submissions: { host: '127.0.0.1', port: 0 },
      // The trusted test client may send as anyone: these tests are about delivery (test/e2e/hostile.test.ts checks the default).
      relay: { enabled: true, host: '127.0.0.1', port: 0, trustedNetworks: ['127.0.0.2/32'], maySendAs: ['*'] },
      http: { host: '127.0.0.1', port: 0 },
    },
    // Every test client connects from loopback, far more often than a real one would;
    // the per-client limits and the tarpit have their own tests (test/e2e/hostile.test.ts).
    limits: { clientLimitExemptNetworks: ['127.0.0.0/8'] },
    auth: { tarpitDelay: '50ms' },
    delivery: { resolvers: [env.dns], mxPort: env.mxPort, dnsTimeout: '1s', connectTimeout: '2s', commandTimeout: '5s', idleConnectionTimeout: '1s' },
    queue: { retry: { initialDelay: '300ms', maxDelay: '1s', maxLifetime: '1h', delayNoticeAfter: 'off' }, pollInterval: '100ms' },
    log: { level: 'info' },
  };
  return deepMerge(base, over);
}

export interface LogRecord {
  readonly [key: string]: unknown;
  readonly event?: string;
  readonly msg?: string;
}

export interface TestServer {
  readonly config: Config;
  readonly dataDir: string;
  readonly ports: { submission: number; submissions: number; relay: number; http: number };
  readonly logs: LogRecord[];
  addUser(address: string, password: string, settings?: UserSettingsChange): Promise<void>;
  /** Resolves with the first log record that matches (already logged or yet to come). */
  waitForLog(match: (r: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'hikyaku-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startHikyaku(env: TestEnvironment, over: Raw = {}, options: { dataDir?: string } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir();
  const config = parseConfig(testRawConfig(env, dataDir, over));
  const logs: LogRecord[] = [];
  const waiters: { match: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        const record = JSON.parse(line) as LogRecord;
        logs.push(record);
        for (const w of [...waiters]) {
          if (w.match(record)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(record);
          }
        }
      }
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const server: RunningServer = await startServer(config, logger);
  const port = (kind: string): number => server.listeners.find((l) => l.kind === kind)?.port ?? 0;
  let stopped = false;
  return {
    config,
    dataDir,
    ports: { submission: port('submission'), submissions: port('submissions'), relay: port('relay'), http: server.http?.port ?? 0 },
    logs,
    async addUser(address, password, settings) {
      const users = UserStore.open(dataDir);
      try {
        await users.add(address, password, settings);
      } finally {
        users.close();
      }
    },
    waitForLog(match, timeoutMs = 10_000) {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; last lines:\n${logs.slice(-8).map((l) => JSON.stringify(l)).join('\n')}`)), timeoutMs);
        waiters.push({
          match,
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
        });
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ---- child process ---------------------------------------------------------

const here = dirname(fileURLToPath(import.meta.url));
const compiled = import.meta.url.endsWith('.js');
/** The command that runs the real `hikyaku` CLI: compiled JS under `npm test`, TypeScript through tsx otherwise. */
export function cliCommand(): string[] {
  return compiled
    ? [process.execPath, join(here, '../../src/cli.js')]
    : [process.execPath, '--import', 'tsx', join(here, '../../src/cli.ts')];
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `hikyaku` command to its end, with `input` on standard input and LANG=C. */
export function runCli(args: readonly string[], input = ''): Promise<CliRun> {
  const [cmd, ...pre] = cliCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, [...pre, ...args], { env: { ...process.env, LANG: 'C' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

export interface ChildServer {
  readonly process: ChildProcess;
  readonly ports: Record<string, number>;
  readonly stderr: () => string;
  readonly stdout: () => string;
  /** Resolves with the exit code / signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function writeConfigFile(dir: string, raw: Raw): string {
  const path = join(dir, 'hikyaku.yaml');
  writeFileSync(path, toYaml(raw));
  return path;
}

export async function spawnHikyaku(args: string[], options: { expectListeners?: number; timeoutMs?: number } = {}): Promise<ChildServer> {
  const [cmd, ...pre] = cliCommand();
  const child = spawn(cmd as string, [...pre, 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ports: Record<string, number> = {};
  const expected = options.expectListeners ?? 1;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hikyaku did not start in time; stderr:\n${stderr}`)), options.timeoutMs ?? 15_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const m of stderr.matchAll(/hikyaku: (\w+) listening on [^\s]+:(\d+)/g)) ports[m[1] as string] = Number(m[2]);
      if (Object.keys(ports).length >= expected) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      if (Object.keys(ports).length < expected) reject(new Error(`hikyaku exited early; stderr:\n${stderr}`));
    });
  });
  return { process: child, ports, stderr: () => stderr, stdout: () => stdout, exited };
}
