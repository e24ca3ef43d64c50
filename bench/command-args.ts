// The command line of a bench program: its options, --help/-h printing
// `usage`, and a wrong option answered with the message and `usage` on
// stderr. Returns the exit code to end with, or the values to run with.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type BenchOptions = NonNullable<ParseArgsConfig['options']>;

export function benchArgs<const O extends BenchOptions>(options: O, usage: string): ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'] | number {
  let parsed;
  try {
    parsed = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${usage}\n`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  return parsed.values as ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'];
}
