// Micro-benchmark of the per-message policy counters (src/policy/): the
// cost of `check` + `record` on QuotaCounter, of `consume` (the same in one
// call), and of SendingBrake.record, for 1,000,000 operations spread over
// 10,000 keys, each message counted against three keys (user, app, domain)
// as the submission policy will do. Then the snapshot flush, which runs
// on the main thread every few seconds, for three sizes of change.
//
//   node --import tsx bench/policy-counters-bench.ts [operations] [keys]
//
// Prints ns per operation (one operation = one message against its three
// keys). The machine is shared: compare figures from one run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendingBrake } from '../src/policy/brake.js';
import { CounterSnapshotStore } from '../src/policy/counter-snapshot-store.js';
import { QuotaCounter, type QuotaKey } from '../src/policy/quota-counter.js';

const operations = Number(process.argv[2] ?? 1_000_000);
const keyCount = Number(process.argv[3] ?? 10_000);
if (!Number.isInteger(operations) || operations <= 0 || !Number.isInteger(keyCount) || keyCount <= 0) {
  throw new Error('usage: policy-counters-bench.ts [operations] [keys]');
}

// Built once, as the policy module would cache them per credential.
const messages: QuotaKey[][] = [];
for (let i = 0; i < keyCount; i++) {
  messages.push([
    { key: `user:user${i}@example${i % 100}.com`, limitPerHour: 1_000_000, limitPerDay: 10_000_000 },
    { key: `app:user${i}@example${i % 100}.com/wordpress`, limitPerHour: 1_000_000 },
    { key: `domain:example${i % 100}.com`, limitPerDay: 100_000_000 },
  ]);
}
// 1,200 messages/s of simulated time: the windows slide during the run as they would in production.
const startMs = Date.UTC(2026, 0, 1);
const msPerMessage = 1000 / 1200;

function time(label: string, run: (i: number, nowMs: number, keys: QuotaKey[]) => void): number {
  for (let i = 0; i < Math.min(operations, 100_000); i++) run(i, startMs, messages[i % keyCount] ?? []); // warm-up
  const began = process.hrtime.bigint();
  for (let i = 0; i < operations; i++) run(i, startMs + i * msPerMessage, messages[(i * 7919) % keyCount] ?? []);
  const ns = Number(process.hrtime.bigint() - began) / operations;
  console.log(`${label.padEnd(44)} ${ns.toFixed(0).padStart(6)} ns/op`);
  return ns;
}

let refused = 0;
const quota = new QuotaCounter();
time('QuotaCounter check + record (3 keys)', (_i, nowMs, keys) => {
  if (quota.check(keys, nowMs) === undefined) quota.record(keys, nowMs);
  else refused++;
});
const consumer = new QuotaCounter();
time('QuotaCounter consume (3 keys)', (_i, nowMs, keys) => {
  if (consumer.consume(keys, nowMs) !== undefined) refused++;
});
const brake = new SendingBrake({ floor: 1_000_000 });
time('SendingBrake record (1 key)', (_i, nowMs, keys) => {
  brake.record(keys[0]?.key ?? '', nowMs);
});

// The background flush runs on the main thread: how long does it hold it?
const dir = mkdtempSync(join(tmpdir(), 'hikyaku-bench-'));
try {
  const endMs = startMs + operations * msPerMessage;
  const store = CounterSnapshotStore.open(dir, [quota, brake], { now: () => endMs });
  const flush = (label: string): void => {
    const began = process.hrtime.bigint();
    const rows = store.flush();
    console.log(`${label.padEnd(44)} ${rows} rows in ${(Number(process.hrtime.bigint() - began) / 1e6).toFixed(1)} ms`);
  };
  flush('flush: every key, first write');
  for (let i = 0; i < 1000; i++) {
    const keys = messages[i] ?? [];
    quota.record(keys, endMs);
    brake.record(keys[0]?.key ?? '', endMs);
  }
  flush('flush: 1,000 senders changed');
  for (const keys of messages) {
    quota.record(keys, endMs);
    brake.record(keys[0]?.key ?? '', endMs);
  }
  flush(`flush: all ${keyCount} senders changed`);
  store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const memory = process.memoryUsage();
console.log(`${operations} operations over ${keyCount} keys; refused ${refused}; heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB`);
