// Several real `hikyaku start` processes sharing one PostgreSQL queue, for the
// work-sharing tests: a test DNS server routes dest.test to one receiving
// sink, each node has its own data directory and relay port, and messages
// are submitted round-robin across the nodes over SMTP.
import { join } from 'node:path';
import { startDnsServer, type TestDnsServer } from './dns-server.js';
import { startSmtpSink, type SmtpSink, type SmtpSinkOptions } from './smtp-sink.js';
import { SmtpDialog } from './smtp-dialog.js';
import { deepMerge, spawnHikyaku, tempDir, testRawConfig, writeConfigFile, type ChildServer, type Raw } from './hikyaku.js';
import { createTestDatabase, type TestDatabase } from './pg-database.js';

export interface Cluster {
  readonly db: TestDatabase;
  readonly sink: SmtpSink;
  readonly nodes: ChildServer[];
  /** Each node's configuration file, for `hikyaku … --config` on that node. */
  readonly configs: string[];
  close(): Promise<void>;
}

export interface ClusterOptions {
  readonly claimLease: string;
  /** Keep the message history (history.retentionDays 7); off by default, as the work-sharing tests do not read it. */
  readonly history?: boolean;
  readonly sink?: Omit<SmtpSinkOptions, 'host'>;
  /** Settings of every node on top of the cluster's (webhooks, say). */
  readonly config?: Raw;
}

export async function startCluster(count: number, options: ClusterOptions): Promise<Cluster> {
  const db = await createTestDatabase();
  const sink = await startSmtpSink({ ...options.sink, host: '127.0.0.13' });
  let dns: TestDnsServer | undefined;
  const nodes: ChildServer[] = [];
  const configs: string[] = [];
  const close = async (): Promise<void> => {
    for (const n of nodes) {
      if (n.process.exitCode === null && n.process.signalCode === null) n.process.kill('SIGTERM');
      await n.exited;
    }
    await dns?.close();
    await sink.close();
    await db.drop();
  };
  try {
    dns = await startDnsServer({ 'dest.test': { MX: [{ preference: 10, exchange: 'mx.dest.test' }] }, 'mx.dest.test': { A: ['127.0.0.13'] } });
    for (let i = 0; i < count; i++) {
      const dir = tempDir('hikyaku-node-');
      const raw = testRawConfig({ dns: dns.address, mxPort: sink.port }, join(dir, 'data'), deepMerge({
        store: db.url,
        listeners: { submission: { enabled: false }, submissions: { enabled: false }, http: { enabled: false } },
        queue: { claimLease: options.claimLease, retry: { initialDelay: '1s', maxDelay: '2s' }, pollInterval: '200ms' },
        history: { retentionDays: options.history === true ? 7 : 0 },
        log: { level: 'warn' },
      }, options.config ?? {}));
      configs.push(writeConfigFile(dir, raw));
      nodes.push(await spawnHikyaku(['--config', configs[i] as string], { timeoutMs: 30_000 }));
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { db, sink, nodes, configs, close };
}

/**
 * Submit `total` messages, message i to node i % nodes (`connectionsPerNode`
 * sessions each, serially within a session). Returns the subjects answered
 * 250. A node that dies ends its sessions; the others carry on.
 */
export async function submitRoundRobin(nodes: readonly ChildServer[], total: number, connectionsPerNode: number, onAccepted?: (count: number) => void): Promise<Set<string>> {
  const accepted = new Set<string>();
  const sessions: Promise<void>[] = [];
  for (const [n, node] of nodes.entries()) {
    for (let c = 0; c < connectionsPerNode; c++) {
      const mine: number[] = [];
      for (let i = n + c * nodes.length; i < total; i += nodes.length * connectionsPerNode) mine.push(i);
      sessions.push(session(node.ports['relay'] as number, mine, accepted, onAccepted));
    }
  }
  await Promise.all(sessions);
  return accepted;
}

async function session(port: number, numbers: readonly number[], accepted: Set<string>, onAccepted?: (count: number) => void): Promise<void> {
  let d: SmtpDialog | undefined;
  try {
    d = await SmtpDialog.open({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
    await d.read();
    await d.command('EHLO app.test');
    for (const i of numbers) {
      const subject = `m-${i}`;
      await d.command('MAIL FROM:<app@origin.test>');
      await d.command(`RCPT TO:<user${i % 7}@dest.test>`);
      await d.command('DATA');
      const reply = await d.command(`Subject: ${subject}\r\n\r\nbody of ${subject}\r\n.`);
      if (reply.code === 250) {
        accepted.add(subject);
        onAccepted?.(accepted.size);
      }
    }
    d.write('QUIT\r\n');
  } catch {
    // The node died under this session: what it answered 250 is in `accepted`.
  } finally {
    void d?.close().catch(() => undefined);
  }
}

/** How many times each subject arrived at the sink. */
export function arrivals(sink: SmtpSink): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of sink.messages) {
    const subject = /^Subject: (m-\d+)\r?$/m.exec(m.raw.toString('latin1'))?.[1];
    if (subject !== undefined) counts.set(subject, (counts.get(subject) ?? 0) + 1);
  }
  return counts;
}
