// `hikyaku store export FILE` / `store import FILE`: move the queue between
// the embedded store and PostgreSQL (and back). Export reads the store this
// configuration uses (store / HIKYAKU_STORE); import writes into it. Stop the
// servers on the source queue first, so that nothing changes under the
// export. Progress goes to a terminal on standard error.
import { openSync, writeSync, closeSync, fsyncSync } from 'node:fs';
import { silentLogger } from '../log/logger.js';
import { openQueueStore } from '../queue/open-queue-store.js';
import { fileLines } from '../queue/export-lines.js';
import { exportQueue, importQueue } from '../queue/queue-export.js';
import type { CommandContext } from './user-command.js';

const text = {
  usage: { en: 'usage: hikyaku store export FILE | store import FILE', ja: '使い方: hikyaku store export ファイル | store import ファイル' },
  exported: { en: 'Exported %s message(s) to %s.', ja: '%s 件のメッセージを %s に書き出しました。' },
  imported: {
    en: 'Imported %s message(s); %s were in the queue already (skipped); %s line(s) unreadable.',
    ja: '%s 件のメッセージを取り込みました。%s 件は既にキューにあったため飛ばしました。読めない行は %s 行です。',
  },
  badLine: { en: '%s: line %s: %s (skipped)', ja: '%s: %s 行目: %s (飛ばしました)' },
  failed: { en: 'store %s failed: %s', ja: 'store %s に失敗しました: %s' },
  progress: { en: '%s: %s', ja: '%s: %s' },
} as const;

export async function runStoreCommand(args: string[], ctx: CommandContext): Promise<number> {
  const [action, file] = args;
  const t = (key: keyof typeof text, ...a: string[]): string => a.reduce<string>((s, x) => s.replace('%s', x), text[key][ctx.lang]);
  if ((action !== 'export' && action !== 'import') || file === undefined) {
    ctx.out(t('usage'));
    return 2;
  }
  // On a terminal, the count so far, redrawn at most ten times a second (a million lines would otherwise be a million writes).
  let shownAtMs = 0;
  const progress = (n: number): void => {
    if (!process.stderr.isTTY || Date.now() - shownAtMs < 100) return;
    shownAtMs = Date.now();
    process.stderr.write(`\r${action}: ${n} `);
  };
  let store;
  try {
    store = (await openQueueStore(ctx.config, silentLogger())).store;
  } catch (err) {
    ctx.out(t('failed', action, (err as Error).message));
    return 1;
  }
  try {
    if (action === 'export') {
      const fd = openSync(file, 'wx', 0o600);
      try {
        // A page of envelopes and one body at a time (queue-export.ts): memory does not grow with the queue.
        const n = await exportQueue(store, (line) => void writeSync(fd, line), (count) => progress(count));
        fsyncSync(fd);
        if (process.stderr.isTTY) process.stderr.write('\n');
        ctx.out(t('exported', String(n), file));
      } finally {
        closeSync(fd);
      }
      return 0;
    }
    const counts = await importQueue(store, fileLines(file), {
      onBadLine: (lineNo, problem) => ctx.out(t('badLine', file, String(lineNo), problem)),
      onProgress: (c) => progress(c.imported + c.present),
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    ctx.out(t('imported', String(counts.imported), String(counts.present), String(counts.bad)));
    return counts.bad > 0 ? 1 : 0;
  } catch (err) {
    ctx.out(t('failed', action, (err as Error).message));
    return 1;
  } finally {
    await store.close();
  }
}
