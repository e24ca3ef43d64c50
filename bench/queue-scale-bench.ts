// `npm run bench:scale`: issue 11's scale point alone (queue-scale.ts), e.g.
//   node dist/bench/queue-scale-bench.js --full          1,000 against 1,000,000 deferred, both stores
//   node dist/bench/queue-scale-bench.js --sizes 1000,100000 --stores sqlite
// `npm run bench` runs it too, smaller (its --scale-* options).
import { benchArgs } from './command-args.js';
import { installCleanup } from './children.js';
import { measureScale, scaleTable, type ScaleStore } from './queue-scale.js';

const usage = `usage: node dist/bench/queue-scale-bench.js [options]      (or: npm run bench:scale -- [options])

  --sizes LIST     deferred messages per case, comma-separated; the first is the reference (default 1000,100000)
  --full           the same as --sizes 1000,1000000 (generating a million rows takes minutes per store)
  --stores LIST    sqlite,pg (default both)
  --due N          due messages among the deferred ones (default 10)
  --window SEC     idle window per case, /metrics scraped every second (default 10)
  --pg URL         PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres); each case
                   creates a database of its own and drops it`;

async function main(): Promise<number> {
  const values = benchArgs(
    {
      sizes: { type: 'string' },
      full: { type: 'boolean' },
      stores: { type: 'string' },
      due: { type: 'string' },
      window: { type: 'string' },
      pg: { type: 'string' },
    },
    usage,
  );
  if (typeof values === 'number') return values;
  const sizes = (values.full ? '1000,1000000' : (values.sizes ?? '1000,100000')).split(',').map(Number);
  const stores = (values.stores ?? 'sqlite,pg').split(',').map((s) => s.trim());
  if (sizes.some((n) => !Number.isInteger(n) || n < 1) || stores.some((s) => s !== 'sqlite' && s !== 'pg')) {
    process.stderr.write(`--sizes takes whole numbers ≥ 1, --stores sqlite and/or pg\n\n${usage}\n`);
    return 2;
  }
  installCleanup();
  const due = Number(values.due ?? 10);
  const began = Date.now();
  const figures = await measureScale({
    stores: stores as ScaleStore[],
    sizes,
    due,
    pgUrl: values.pg ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    idleWindowS: Number(values.window ?? 10),
    log: (line) => process.stderr.write(`bench: ${line}\n`),
  });
  process.stdout.write(`\n## Queue at scale (${new Date(began).toISOString()})\n\n${scaleTable(figures, due)}\n`);
  process.stdout.write(`JSON: ${JSON.stringify(figures)}\n\nTotal time ${((Date.now() - began) / 1000).toFixed(0)} s.\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`\nbench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
