// `hikyaku queue list|show|retry|hold|release|delete`: looking at and acting
// on the queue. Works while the server runs: both open the same store, and
// the server's scheduler picks up changes at its next poll.
import { parseArgs } from 'node:util';
import { mailboxKey, mailboxProblem } from '../core/mailbox.js';
import { silentLogger } from '../log/logger.js';
import { chosenStore, openQueueStore } from '../queue/open-queue-store.js';
import type { QueueStore, StoredMessage } from '../queue/queue-store.js';
import type { CommandContext } from './user-command.js';
import { explainLastError, explanationLines } from './explain-text.js';
import { HistoryStore } from '../history/history-store.js';
import { runProvidersView } from './providers-view.js';

const text = {
  usage: {
    en: 'usage: hikyaku queue list [--json] [--to ADDRESS] [--quarantined] | show ID | retry ID|--all | hold ID | release ID | delete ID | providers [--json]',
    ja: '使い方: hikyaku queue list [--json] [--to アドレス] [--quarantined] | show ID | retry ID|--all | hold ID | release ID | delete ID | providers [--json]',
  },
  badAddress: { en: '--to %s: not an address', ja: '--to %s: アドレスではありません' },
  empty: { en: 'The queue is empty.', ja: 'キューは空です。' },
  missing: { en: 'No message %s in the queue (see: hikyaku queue list)', ja: 'キューにメッセージ %s はありません (hikyaku queue list で確認できます)' },
  retried: { en: '%s message(s) will be retried now.', ja: '%s 件のメッセージをすぐに再送します。' },
  held: { en: 'Held: %s (no delivery until released)', ja: '保留しました: %s (release するまで配送しません)' },
  released: { en: 'Released: %s', ja: '保留を解除しました: %s' },
  deleted: { en: 'Deleted: %s (no bounce is sent)', ja: '削除しました: %s (エラーメールは送られません)' },
  noQuarantined: { en: 'No quarantined queue entries.', ja: '隔離されたキューの項目はありません。' },
  quarantinedHeader: { en: 'ID\tREASON (remove with: hikyaku queue delete ID)', ja: 'ID\t理由 (削除: hikyaku queue delete ID)' },
  header: { en: 'ID\tSENDER\tRECIPIENTS\tSIZE\tAGE\tNEXT ATTEMPT\tLAST ERROR', ja: 'ID\t送信者\t宛先\tサイズ\t経過\t次回送信\t最後のエラー' },
} as const;

export async function runQueueCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { all: { type: 'boolean' }, json: { type: 'boolean' }, to: { type: 'string' }, quarantined: { type: 'boolean' } },
    allowPositionals: true,
  });
  const [action, id] = positionals;
  const t = (key: keyof typeof text, arg = ''): string => text[key][ctx.lang].replace('%s', arg);
  if (action === 'providers') return runProvidersView(ctx, values.json === true);
  // The embedded queue or the shared PostgreSQL one (store / HIKYAKU_STORE): on any node, the whole queue.
  const store = (await openQueueStore(ctx.config, silentLogger())).store;
  try {
    const ifFound = (found: boolean, key: 'held' | 'released' | 'deleted', which: string): number => {
      ctx.out(t(found ? key : 'missing', which));
      return found ? 0 : 1;
    };
    switch (action) {
      case 'list': {
        const to = values.to;
        if (to !== undefined) {
          const problem = mailboxProblem(to);
          if (problem !== undefined) {
            ctx.out(`${t('badAddress', to)} (${problem})`);
            return 2;
          }
        }
        if (values.quarantined === true) return await listQuarantined(store, ctx, values.json === true, t);
        return await list(store, ctx, values.json === true, to, t);
      }
      case 'show':
        if (!id) break;
        return await show(store, id, ctx, t);
      case 'retry': {
        if (!id && !values.all) break;
        const count = await store.retryNow(values.all ? 'all' : (id as string));
        if (count === 0 && !values.all) {
          ctx.out(t('missing', id));
          return 1;
        }
        ctx.out(t('retried', String(count)));
        return 0;
      }
      case 'hold':
        if (!id) break;
        return ifFound(await recordInHistory(ctx, id, 'held', await store.hold(id)), 'held', id);
      case 'release':
        if (!id) break;
        return ifFound(await recordInHistory(ctx, id, 'released', await store.release(id)), 'released', id);
      case 'delete':
        if (!id) break;
        return ifFound(await recordInHistory(ctx, id, 'deleted', await store.remove(id)), 'deleted', id);
    }
    ctx.out(t('usage'));
    return 2;
  } finally {
    await store.close();
  }
}

/**
 * The server does not see what this command does to the queue until its next
 * poll, and never sees a deletion: the history (history.db) is told here,
 * and on a cluster the other nodes' history too (cluster/shared-history.ts).
 * A history that cannot be written does not undo the queue change.
 */
async function recordInHistory(ctx: CommandContext, id: string, change: 'held' | 'released' | 'deleted', done: boolean): Promise<boolean> {
  if (!done || ctx.config.history.retentionDays <= 0) return done;
  const atMs = Date.now();
  try {
    const history = HistoryStore.open(ctx.config.dataDir);
    try {
      history.recordQueueChange(id, change, atMs);
    } finally {
      history.close();
    }
  } catch (err) {
    ctx.out(`history.db: ${(err as Error).message}`);
  }
  const url = chosenStore(ctx.config);
  if (url !== 'embedded') {
    try {
      const { publishQueueChange } = await import('../cluster/publish-from-cli.js');
      await publishQueueChange(url, ctx.config.dataDir, { kind: 'change', id, change, atMs });
    } catch (err) {
      ctx.out(`shared history: ${(err as Error).message}`);
    }
  }
  return done;
}

/** Messages read a page at a time, so that a queue of any size lists in bounded memory. */
const LIST_PAGE_MESSAGES = 100;

/** The queue in id order (ids start with the acceptance time), one page in memory at a time. */
async function* queued(store: QueueStore, ctx: CommandContext): AsyncGenerator<StoredMessage> {
  if (store.listPage === undefined) {
    yield* await store.list();
    return;
  }
  let after: string | undefined;
  do {
    // What the page before printed is out first: a pipe to `less` or `grep` is slower than this.
    await ctx.drained?.();
    const page = await store.listPage(after, LIST_PAGE_MESSAGES);
    yield* page.messages;
    after = page.lastId;
  } while (after !== undefined);
}

async function list(store: QueueStore, ctx: CommandContext, json: boolean, to: string | undefined, t: (k: keyof typeof text, a?: string) => string): Promise<number> {
  // One mailbox, one identity (core/mailbox.ts): "taro..yamada"@docomo.ne.jp
  // finds taro..yamada@DOCOMO.ne.jp as stored, and the other way round.
  const key = to === undefined ? undefined : mailboxKey(to);
  const nowMs = Date.now();
  // JSON: one array, written element by element (the one before is written
  // once the next is known, so that only the last has no comma).
  let previous: string | undefined;
  let count = 0;
  for await (const m of queued(store, ctx)) {
    if (key !== undefined && !m.recipients.some((r) => mailboxKey(r.rcptTo) === key)) continue;
    count++;
    const s = summary(m);
    if (json) {
      if (previous === undefined) ctx.out('[');
      else ctx.out(`${previous},`);
      previous = JSON.stringify(s, null, 2).replace(/^/gm, '  ');
      continue;
    }
    if (count === 1) ctx.out(t('header'));
    const next = m.held ? (m.holdReason === undefined ? 'held' : `held (${m.holdReason})`) : s.nextAttemptAt ? formatAge(Date.parse(s.nextAttemptAt) - nowMs, true) : '-';
    ctx.out([m.id, m.mailFrom || '<>', s.pending.join(','), String(m.size), formatAge(nowMs - m.createdAtMs, false), next, s.lastError ?? ''].join('\t'));
  }
  if (json) ctx.out(previous === undefined ? '[]' : `${previous}\n]`);
  else if (count === 0) ctx.out(t('empty'));
  return 0;
}

async function listQuarantined(store: QueueStore, ctx: CommandContext, json: boolean, t: (k: keyof typeof text, a?: string) => string): Promise<number> {
  const entries = (await store.listQuarantined?.()) ?? [];
  if (json) ctx.out(JSON.stringify(entries, null, 2));
  else if (entries.length === 0) ctx.out(t('noQuarantined'));
  else {
    ctx.out(t('quarantinedHeader'));
    for (const e of entries) ctx.out(`${e.id}\t${e.reason}`);
  }
  return 0;
}

async function show(store: QueueStore, id: string, ctx: CommandContext, t: (k: keyof typeof text, a?: string) => string): Promise<number> {
  const message = await store.load(id);
  if (!message) {
    ctx.out(t('missing', id));
    return 1;
  }
  ctx.out(JSON.stringify({ ...summary(message), recipients: message.recipients }, null, 2));
  // What each recipient's last reply means and what to do (src/explain/).
  for (const r of message.recipients) {
    if (r.status !== 'queued' || r.lastError === undefined) continue;
    ctx.out('');
    ctx.out(`${r.rcptTo}: ${r.lastError}`);
    for (const line of explanationLines(explainLastError(r.lastError, r.lastStatus, message.held ? undefined : r.nextAttemptAtMs, ctx.lang), ctx.lang)) ctx.out(line);
  }
  const body = await store.readMessage(id);
  if (body) {
    const end = body.indexOf('\r\n\r\n');
    ctx.out('');
    ctx.out(body.subarray(0, end < 0 ? body.length : end).toString('utf8'));
  }
  return 0;
}

function summary(m: StoredMessage) {
  const pending = m.recipients.filter((r) => r.status === 'queued');
  const next = pending.length ? Math.min(...pending.map((r) => r.nextAttemptAtMs)) : undefined;
  const lastError = pending.find((r) => r.lastError)?.lastError;
  return {
    id: m.id,
    mailFrom: m.mailFrom,
    size: m.size,
    createdAt: new Date(m.createdAtMs).toISOString(),
    held: m.held,
    ...(m.holdReason === undefined ? {} : { holdReason: m.holdReason }),
    pending: pending.map((r) => r.rcptTo),
    nextAttemptAt: next === undefined ? undefined : new Date(next).toISOString(),
    lastError,
  };
}

function formatAge(ms: number, future: boolean): string {
  if (future && ms <= 0) return 'now';
  const s = Math.max(0, Math.round(ms / 1000));
  const text = s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : s < 172800 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86400)}d`;
  return future ? `in ${text}` : text;
}
