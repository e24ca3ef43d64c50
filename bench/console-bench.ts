// The console's queue and message pages with 100,000 messages in the history
// (issue 10): the JSON each page loads, timed over a real socket against a
// whole Hikyaku (test helper server), history.db filled through the history
// store's own interface before the server opens it. Reports the median and
// the slowest of R requests for: the first queue page (no filter, with the
// total), a filtered first page (state=deferred), a page deep inside (the
// 20th, by following cursors), and one message's page.
//
//   node dist/bench/console-bench.js [--messages N] [--reps R]
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openAdminDatabase } from '../src/admins/admin-database.js';
import { HistoryStore } from '../src/history/history-store.js';
import { hashPassword } from '../src/users/password.js';
import { startDnsServer } from '../test/helpers/dns-server.js';
import { startHikyaku, tempDir } from '../test/helpers/hikyaku.js';
import { median, minMax } from './stats.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '100000' }, reps: { type: 'string', default: '30' } } });
const MESSAGES = Number(values.messages);
const REPS = Number(values.reps);
const PASSWORD = 'a long enough bench password';

function fill(dataDir: string): void {
  const history = HistoryStore.open(dataDir);
  const t0 = Date.now() - MESSAGES * 1000;
  for (let i = 0; i < MESSAGES; i++) {
    const id = `B${String(i).padStart(8, '0')}`;
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
}

async function main(): Promise<void> {
  const dataDir = tempDir();
  const fillStart = performance.now();
  fill(dataDir);
  console.log(`history.db: ${MESSAGES} messages written in ${((performance.now() - fillStart) / 1000).toFixed(1)} s`);
  const dns = await startDnsServer({});
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
    let cursor = '';
    for (let page = 1; page < 20; page++) cursor = String((await get(`/messages${cursor === '' ? '' : `?cursor=${cursor}`}`)).body['next']);
    const cases: Array<[string, string]> = [
      ['queue: first page (total counted)', '/messages'],
      ['queue: first page, state=deferred', '/messages?state=deferred'],
      ['queue: first page, subject search', '/messages?subject=order%204242'],
      ['queue: 20th page (cursor)', `/messages?cursor=${cursor}`],
      ['message page (deferred, explained)', `/messages/B${String(MESSAGES - 10).padStart(8, '0')}?lang=ja&tz=Asia%2FTokyo`],
    ];
    console.log(`${REPS} requests each, milliseconds (median, min–max), whole HTTP round trip on 127.0.0.1`);
    for (const [label, path] of cases) {
      const first = await get(path);
      assert.ok(first.body['items'] === undefined || (first.body['items'] as unknown[]).length > 0, `${label}: empty`);
      const ms: number[] = [];
      for (let i = 0; i < REPS; i++) ms.push((await get(path)).ms);
      const [min, max] = minMax(ms);
      console.log(`${label.padEnd(40)} ${median(ms).toFixed(2)}  (${min.toFixed(2)}–${max.toFixed(2)})`);
    }
  } finally {
    await server.stop();
    await dns.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
