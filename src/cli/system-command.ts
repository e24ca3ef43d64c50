// What `hikyaku service` and `hikyaku tls use-certbot` share: their options
// (--config is a file to write, --root a directory to write under), the
// root check, and the report of what they did: English, then Japanese.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import { DEFAULT_CONFIG } from '../service/service-install.js';
import { SystemActions, type Said } from '../service/system-actions.js';

type Options = NonNullable<ParseArgsConfig['options']>;

const common = {
  config: { type: 'string', short: 'c', default: DEFAULT_CONFIG },
  root: { type: 'string' },
  lang: { type: 'string' },
} as const;

/** Parse the command's options with the common ones; a usage error is printed and undefined returned. */
export function parseSystemArgs<T extends Options>(name: string, args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args, allowPositionals: true, options: { ...common, ...options } });
  } catch (e) {
    process.stderr.write(`hikyaku ${name}: ${(e as Error).message}\n\n${usage}\n`);
    return undefined;
  }
}

/** The actions under --root DIR, or on the real system when run as root; undefined (and said why) otherwise. */
export function systemActions(name: string, root: string | undefined): SystemActions | undefined {
  if (root === undefined && process.getuid?.() !== 0) {
    process.stderr.write(`hikyaku ${name}: run as root (sudo hikyaku ${name} …), or use --root DIR to write the files under DIR only / root で実行してください (または --root DIR)\n`);
    return undefined;
  }
  return new SystemActions(root === undefined ? undefined : resolve(root));
}

export function printReport(sys: SystemActions, notes: readonly Said[]): void {
  const out = (line: string): void => void process.stdout.write(line + '\n');
  const skippedEn = sys.skipped.length === 0 ? [] : [`Not run (--root ${sys.root}): what would run on the real system:`, ...sys.skipped.map((c) => `  ${c}`)];
  const skippedJa = sys.skipped.length === 0 ? [] : [`実行していません (--root ${sys.root})。実際のシステムでは次を実行します:`, ...sys.skipped.map((c) => `  ${c}`)];
  out('Done:');
  for (const s of sys.done) out(`  ${s.en}`);
  for (const line of skippedEn) out(line);
  for (const n of notes) out(n.en);
  out('');
  out('実行内容:');
  for (const s of sys.done) out(`  ${s.ja}`);
  for (const line of skippedJa) out(line);
  for (const n of notes) out(n.ja);
}
