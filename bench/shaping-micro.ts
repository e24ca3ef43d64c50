// The deliverability engine's cost per delivery when no limit is reached:
// admit() (group of the MX names, back-off state, token buckets, connection
// slot) and done(), on the main thread, in a loop. A figure that the shared
// machine's noise hardly moves, to set beside the ~0.5 ms of CPU a message
// costs end to end (self-bench, scenarios hikyaku-mx / hikyaku-mx-shaped).
//   node dist/bench/shaping-micro.js [iterations]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { BackoffStore } from '../src/deliverability/backoff-store.js';
import { DeliverabilityEngine } from '../src/deliverability/engine.js';
import { mergeGroups } from '../src/deliverability/provider-groups.js';
import { shippedGroups, shippedReplies } from '../src/deliverability/shipped-tables.js';

const iterations = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'hikyaku-shaping-micro-'));
const store = BackoffStore.open(dir);
const groups = mergeGroups(shippedGroups(), [{ name: 'gmail', mx: [], connections: 100_000, perMinute: 1e12, perHour: 1e12 }]);
const engine = new DeliverabilityEngine(
  { coolingPeriodMs: 900_000, recoveryStepMs: 300_000, suspendPeriodMs: 3_600_000, rateIntervalMs: 60_000 },
  { groups, replies: shippedReplies(), store, source: 'default', logger: pino({ level: 'silent' }) },
);
const cases: [string, string[]][] = [
  ['gmail (limits never reached)', ['gmail-smtp-in.l.google.com', 'alt1.gmail-smtp-in.l.google.com']],
  ['no provider group', ['mx.example.jp']],
];
for (const [label, hosts] of cases) {
  for (let round = 0; round < 2; round++) {
    const start = process.cpuUsage();
    for (let i = 0; i < iterations; i++) {
      const a = engine.admit(hosts);
      if (a instanceof Promise || a.kind !== 'go') throw new Error('held: the limits were meant never to be reached');
      a.done();
    }
    const used = process.cpuUsage(start);
    if (round === 1) console.log(`${label}: ${(((used.user + used.system) * 1000) / iterations).toFixed(0)} ns of CPU per delivery (${iterations} deliveries)`);
  }
}
store.close();
rmSync(dir, { recursive: true, force: true });
