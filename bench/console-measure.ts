// The console's speed point (issue 10): with N messages in the queue AND in
// the history (default 100,000), the JSON of the dashboard and of the first
// queue page, timed over a real socket against a whole Hikyaku (the test
// helper server). Shared by `npm run bench:console` (console-bench.ts, more
// cases) and `npm run bench` (self-bench.ts, beside the SMTP figures).
//
// The queue is filled through the queue store's own enqueue (first retry a
// day away, so the scheduler leaves them alone); history.db through the
// history store (a tenth of the messages deferred once).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { openAdminDatabase } from '../src/admins/admin-database.js';
import { newQueueId } from '../src/core/queue-id.js';
import { HistoryStore } from '../src/history/history-store.js';
import { silentLogger } from '../src/log/logger.js';
import { openSqliteQueueStore } from '../src/queue/sqlite-queue-store.js';
import { hashPassword } from '../src/users/password.js';
import { startDnsServer } from '../test/helpers/dns-server.js';
import { startHikyaku, tempDir } from '../test/helpers/hikyaku.js';
import { median, minMax } from './stats.js';

export interface ConsoleMeasureOptions {
  readonly messages: number;
  readonly reps: number;
  /** Progress lines (stderr in the benches). */
  readonly log: (line: string) => void;
  /** Extra cases: [label, path under /console/api]; `{cursor20}` becomes the cursor of the 20th page. */
  readonly extraCases?: ReadonlyArray<readonly [string, string]>;
}

export interface ConsoleFigure {
  readonly label: string;
  readonly path: string;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

const PASSWORD = 'a long enough bench password';
const DAY_MS = 86_400_000;

function fillHistory(dataDir: string, messages: number): string[] {
  const history = HistoryStore.open(dataDir);
  const t0 = Date.now() - messages * 1000;
  const ids: string[] = [];
  for (let i = 0; i < messages; i++) {
    const id = `B${String(i).padStart(8, '0')}`;
    ids.push(id);
    history.recordAccepted({
      id,
      mailFrom: `shop${i % 7}@shop.test`,
      rcptTo: [`customer${i}@example.net`],
      message: Buffer.from(`From: <shop@shop.test>\r\nSubject: Order ${i} confirmed\r\nMessage-ID: <${id}@shop.test>\r\n\r\nbody\r\n`),
      source: 'api',
      user: undefined,
      held: false,
      atMs: t0 + i * 1000,
    });
    if (i % 10 === 0) history.recordAttempts(id, [{ rcptTo: `customer${i}@example.net`, atMs: t0 + i * 1000 + 500, outcome: 'deferred', reply: '452 4.2.2 Mailbox full, try again later', code: 452, enhanced: '4.2.2' }], t0 + i * 1000 + 600_000);
    if (i % 1000 === 999) history.flush();
  }
  history.flush();
  history.close();
  return ids;
}

async function fillQueue(dataDir: string, messages: number): Promise<void> {
  const queue = await openSqliteQueueStore({ dataDir, logger: silentLogger() });
  try {
    const body = Buffer.from('From: <shop@shop.test>\r\nSubject: queued for the bench\r\n\r\nbody\r\n');
    const later = Date.now() + DAY_MS;
    for (let start = 0; start < messages; start += 1000) {
      const batch: Promise<void>[] = [];
      for (let i = start; i < Math.min(messages, start + 1000); i++) {
        batch.push(
          queue.enqueue({
            id: newQueueId(),
            envelope: { mailFrom: `shop${i % 7}@shop.test`, rcptTo: [`customer${i}@example.net`] },
            message: body,
            firstRetryAtMs: later,
          }),
        );
      }
      await Promise.all(batch);
    }
  } finally {
    await queue.close();
  }
}

export async function measureConsole(options: ConsoleMeasureOptions): Promise<ConsoleFigure[]> {
  const dataDir = tempDir();
  const fillStart = performance.now();
  const ids = fillHistory(dataDir, options.messages);
  await fillQueue(dataDir, options.messages);
  options.log(`console bench: ${options.messages} messages written to queue.db and history.db in ${((performance.now() - fillStart) / 1000).toFixed(1)} s`);
  const dns = await startDnsServer({});
  // The doctor's background run (started by the first dashboard view) must not be in the figures: a far interval, and a warm-up.
  const server = await startHikyaku({ dns: dns.address, mxPort: 9 }, {}, { dataDir });
  try {
    const db = openAdminDatabase(server.dataDir);
    db.admins.add('bench', await hashPassword(PASSWORD), undefined);
    db.close();
    const base = `http://127.0.0.1:${server.ports.http}/console/api`;
    const login = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench', password: PASSWORD }) });
    assert.equal(login.status, 200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const get = async (path: string): Promise<{ ms: number; body: Record<string, unknown> }> => {
      const start = performance.now();
      const response = await fetch(`${base}${path}`, { headers: { cookie } });
      const body = (await response.json()) as Record<string, unknown>;
      const ms = performance.now() - start;
      assert.equal(response.status, 200, JSON.stringify(body));
      return { ms, body };
    };
    const dashboard = await get('/dashboard?tzOffsetMinutes=540');
    const queued = (dashboard.body['queue'] as { messages: number }).messages;
    assert.ok(queued >= options.messages, `the dashboard sees ${queued} queued messages, expected ${options.messages}`);
    let cursor = '';
    const needsCursor = (options.extraCases ?? []).some(([, path]) => path.includes('{cursor20}'));
    if (needsCursor) for (let page = 1; page < 20; page++) cursor = String((await get(`/messages${cursor === '' ? '' : `?cursor=${cursor}`}`)).body['next']);
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['dashboard', '/dashboard?tzOffsetMinutes=540'],
      ['queue: first page (total counted)', '/messages'],
      ...(options.extraCases ?? []).map(([label, path]) => [label, path.replace('{cursor20}', cursor).replace('{lastDeferred}', ids[ids.length - 10] ?? '')] as const),
    ];
    const figures: ConsoleFigure[] = [];
    for (const [label, path] of cases) {
      const first = await get(path);
      assert.ok(first.body['items'] === undefined || (first.body['items'] as unknown[]).length > 0, `${label}: empty`);
      const ms: number[] = [];
      for (let i = 0; i < options.reps; i++) ms.push((await get(path)).ms);
      const [minMs, maxMs] = minMax(ms);
      figures.push({ label, path, medianMs: median(ms), minMs, maxMs });
    }
    return figures;
  } finally {
    await server.stop();
    await dns.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The figures as a markdown table, with the issue's target. */
export function consoleTable(messages: number, reps: number, figures: readonly ConsoleFigure[]): string {
  const rows = figures.map((f) => `| ${f.label} | ${f.medianMs.toFixed(1)} | ${f.minMs.toFixed(1)}–${f.maxMs.toFixed(1)} | ${f.medianMs < 200 ? 'yes' : 'NO'} |`);
  return [
    `Console JSON with ${messages.toLocaleString('en')} messages in the queue and the history, ${reps} requests each (HTTP round trip on 127.0.0.1, ms):`,
    '',
    '| page | median | min–max | under 200 ms |',
    '| --- | ---: | ---: | :---: |',
    ...rows,
  ].join('\n');
}
