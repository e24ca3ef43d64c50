// Prints what `hikyaku service` / `hikyaku tls use-certbot` did: English, then Japanese.
import type { Said, SystemActions } from '../service/system-actions.js';

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
