// CPU per message of each thread of a running Hikyaku (or any server), for
// one smtp-source load: which thread a change moves (the main thread that
// answers every SMTP command, the queue writer, the history writer, V8's
// helpers). `--cpu-prof` cannot tell: it covers the main thread only, and
// its native frames (postMessage, socket writes) show wall time, which on a
// 2-core machine includes the time the thread they woke runs instead of the
// caller (bench/RESULTS.md, 2026-12-04 late).
//
//   node dist/bench/thread-cpu.js --pid PID --port 2525 [--messages 3000] [--size 102400] [--sessions 20] [--warmup 500] [--idle 0]
//
// --idle S waits S seconds between the warm-up and the measured load, as a
// server is idle between bursts: V8's memory reducer acts in such a pause
// (src/core/node-flags.ts).
//
// smtp-source comes with Debian's postfix package (../shared/bench/anchors/postfix.sh setup).
import { spawnSync } from 'node:child_process';
import { benchArgs } from './command-args.js';
import { threadsCpu, type ThreadCpu } from './proc-stats.js';

const USAGE = `usage: node dist/bench/thread-cpu.js --pid PID --port PORT [--host 127.0.0.1] [--messages N] [--size BYTES] [--sessions S] [--warmup N] [--idle SECONDS]
Sends N messages of BYTES over S parallel sessions with smtp-source (after N warm-up
messages and SECONDS of idleness) and prints each thread's user and system CPU in µs per message.`;

const args = benchArgs(
  {
    pid: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    messages: { type: 'string', default: '3000' },
    size: { type: 'string', default: '102400' },
    sessions: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '500' },
    idle: { type: 'string', default: '0' },
  },
  USAGE,
);
if (typeof args === 'number') process.exit(args);

function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) {
    process.stderr.write(`--${name} must be a positive whole number (got ${value ?? 'nothing'})\n\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
}

const pid = positive('pid', args.pid);
const port = positive('port', args.port);
const messages = positive('messages', args.messages);
const size = positive('size', args.size);
const sessions = positive('sessions', args.sessions);
const warmup = Number(args.warmup);
const idleSeconds = Number(args.idle);
if (!Number.isFinite(idleSeconds) || idleSeconds < 0) {
  process.stderr.write(`--idle must be a number of seconds, 0 or more (got ${args.idle ?? 'nothing'})\n\n${USAGE}\n`);
  process.exit(2);
}
const host = args.host;

function load(count: number): void {
  const r = spawnSync('smtp-source', ['-4', '-s', String(sessions), '-m', String(count), '-l', String(size), '-f', 'sender@bench.example', '-t', 'rcpt@bench.example', `${host}:${port}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.error) throw new Error(`smtp-source: ${r.error.message} (Debian's postfix package provides it)`);
  if (r.status !== 0) throw new Error(`smtp-source exited with ${r.status}`);
}

if (warmup > 0) load(warmup);
if (idleSeconds > 0) await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
const before = new Map(threadsCpu(pid).map((t) => [t.tid, t]));
const started = process.hrtime.bigint();
load(messages);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const after = threadsCpu(pid);

const perMessage = (s: number): number => Math.round((s * 1e6) / messages);
const rows = after
  .map((t): ThreadCpu => {
    const b = before.get(t.tid);
    return { ...t, user: t.user - (b?.user ?? 0), system: t.system - (b?.system ?? 0) };
  })
  .filter((t) => t.user + t.system > 0)
  .sort((a, b) => b.user + b.system - (a.user + a.system));
console.log(`${messages} × ${size} B over ${sessions} sessions: ${Math.round(messages / seconds)} msg/s; µs of CPU per message (clock ticks: ±${perMessage(0.01)} µs per row)`);
console.log('tid\tname\tuser\tsystem');
for (const t of rows) console.log(`${t.tid}${t.tid === pid ? ' (main)' : ''}\t${t.name}\t${perMessage(t.user)}\t${perMessage(t.system)}`);
const total = rows.reduce((sum, t) => ({ user: sum.user + t.user, system: sum.system + t.system }), { user: 0, system: 0 });
console.log(`total\t\t${perMessage(total.user)}\t${perMessage(total.system)}`);
