// The V8 flags the server runs with. V8 fixes them when the process starts,
// so they can only be given on node's command line: the `hikyaku` shebang
// (src/cli.ts), `npm start`, the systemd unit (service/systemd-unit.ts), the
// Dockerfile and the benchmarks' start commands all pass this list
// (node-flags.test.ts beside this file checks each of them).
//
// --max-semi-space-size=4 (MiB) caps V8's young generation (default up to
//   16 MiB per semi-space). Measured on the 2-core bench machine, 10k
//   messages then 1,000 idle connections: the same throughput and CPU, and
//   the heap left behind by a load burst shrinks from ~40 MiB to ~20 MiB.
//
// --no-memory-reducer: V8's memory reducer runs full collections once the
//   process has allocated little for some seconds, to hand memory back, and
//   leaves the old generation's limit just above what is live. After that,
//   the server never grows it back: under the next burst V8 runs a full
//   mark-compact every ~40 messages of 100 KiB (45 per 2,000, against 1
//   before), concurrent marking runs nearly all the time, and the CPU per
//   message stays about twice what it was (0.8 → 1.6–1.9 ms at 100 KiB,
//   20 sessions; bench/RESULTS.md, 2026-12-05) for as long as the process
//   lives. A mail server is idle between bursts all day, so every one of
//   them was paying this. Without the reducer, an idle server keeps the heap
//   the last burst left (~15 MiB more here), which is what the young
//   generation cap above already bounds.
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--no-memory-reducer'];

/** The server flags this process was started without (none when it runs as recommended). */
export function missingServerFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return SERVER_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}
