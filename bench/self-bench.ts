// `npm run bench`: a quick self-measurement of Hikyaku on this machine, with
// ratios to a baseline (the load client straight to the count sink) measured
// in the same run. Scenarios are interleaved rep by rep, so that a noisy
// machine hurts them alike. See bench/README.md for what each figure means.
import { writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { installCleanup } from './children.js';
import { consoleTable, measureConsole, type ConsoleFigure } from './console-measure.js';
import { parseOptions, usage, type BenchOptions } from './options.js';
import { measureScale, scaleTable, type ScaleFigure } from './queue-scale.js';
import { markdownTable, summarise } from './report.js';
import { runScenario, type Sample } from './scenario.js';

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${usage}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(usage + '\n');
    return 0;
  }
  installCleanup();

  const samples: Sample[] = [];
  const began = Date.now();
  for (let rep = 1; rep <= options.reps; rep++) {
    for (const scenario of options.scenarios) {
      const t0 = Date.now();
      process.stderr.write(`bench: rep ${rep}/${options.reps} ${scenario} … `);
      const sample = await runScenario(scenario, rep, options);
      samples.push(sample);
      process.stderr.write(
        `${Math.round(sample.acceptPerSec)} msg/s accepted, ${Math.round(sample.endToEndPerSec)} end to end (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`,
      );
      for (const e of sample.errors) process.stderr.write(`bench:   ${scenario}: ${e}\n`);
    }
  }

  const summaries = summarise(options, samples);
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Linux ${release()}, Node ${process.version}`;
  const reps = options.reps > 1 ? `medians of ${options.reps} reps (min–max)` : '1 rep';
  process.stdout.write(`\n## Hikyaku self-benchmark (${new Date(began).toISOString()}; ${machine}; ${reps})\n\n`);
  process.stdout.write(markdownTable(options, summaries) + '\n');
  // The console's speed point (issue 10), beside the SMTP figures; --no-console skips it.
  let consoleFigures: ConsoleFigure[] | undefined;
  if (options.consoleMessages > 0) {
    const consoleReps = 30;
    consoleFigures = await measureConsole({ messages: options.consoleMessages, reps: consoleReps, log: (line) => process.stderr.write(`bench: ${line}\n`) });
    process.stdout.write(`\n${consoleTable(options.consoleMessages, consoleReps, consoleFigures)}\n`);
  }
  // Issue 11's scale point: a large deferred queue against 1,000 messages; --no-scale skips it.
  let scaleFigures: ScaleFigure[] | undefined;
  if (options.scaleMessages > 0) {
    const due = 10;
    scaleFigures = await measureScale({
      stores: options.scaleStores,
      sizes: [1_000, options.scaleMessages],
      due,
      pgUrl: options.pgUrl,
      idleWindowS: 10,
      log: (line) => process.stderr.write(`bench: ${line}\n`),
    });
    process.stdout.write(`\n${scaleTable(scaleFigures, due)}\n`);
  }
  const failed = samples.filter((s) => s.errors.length > 0);
  if (failed.length > 0) process.stdout.write(`\nErrors in ${failed.length} run(s): see the lines starting with "bench:" above.\n`);
  process.stdout.write(`\nTotal time ${((Date.now() - began) / 1000).toFixed(0)} s.\n`);

  if (options.json) {
    writeFileSync(options.json, JSON.stringify({ date: new Date(began).toISOString(), machine, options, samples, summaries, console: consoleFigures ?? null, scale: scaleFigures ?? null }, null, 2) + '\n');
  }
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`\nbench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
