import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryStore } from './history-store.js';
import type { HistoryAttempt } from './history-types.js';

const HOUR = 3_600_000;

function withStore(run: (store: HistoryStore, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-history-'));
  // A write that fails is reported, not thrown (the mail goes on): here it fails the test.
  const errors: unknown[] = [];
  const store = HistoryStore.open(dir, { onError: (err) => errors.push(err) });
  try {
    run(store, dir);
    store.flush();
    assert.deepEqual(errors, []);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withStoreAsync(run: (store: HistoryStore, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-history-'));
  const errors: unknown[] = [];
  const store = HistoryStore.open(dir, { onError: (err) => errors.push(err) });
  try {
    await run(store, dir);
    store.flush();
    assert.deepEqual(errors, []);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function message(subject: string, extra = ''): Buffer {
  return Buffer.from(`From: =?UTF-8?B?${Buffer.from('営業部').toString('base64')}?= <info@shop.example>\r\nSubject: ${subject}\r\nMessage-ID: <m1@shop.example>\r\n${extra}\r\nbody\r\n`);
}

function accept(store: HistoryStore, id: string, atMs: number, o: { rcptTo?: string[]; mailFrom?: string; subject?: string; held?: boolean } = {}): void {
  store.recordAccepted({
    id,
    mailFrom: o.mailFrom ?? 'info@shop.example',
    rcptTo: o.rcptTo ?? ['taro@example.jp'],
    message: message(o.subject ?? 'hello'),
    source: 'smtp',
    user: 'info@shop.example',
    held: o.held ?? false,
    atMs,
  });
}

test('a message, its attempts and its state; the subject decoded, the header kept', () => {
  withStore((store) => {
    const t0 = Date.UTC(2026, 0, 5, 10, 0, 0);
    store.recordAccepted({
      id: 'A1',
      mailFrom: 'info@shop.example',
      rcptTo: ['taro@example.jp', 'hanako@gmail.test'],
      message: message('=?UTF-8?B?' + Buffer.from('ご注文の確認').toString('base64') + '?='),
      source: 'api',
      user: 'info@shop.example',
      held: false,
      atMs: t0,
    });
    const deferred: HistoryAttempt = { rcptTo: 'hanako@gmail.test', atMs: t0 + 1000, outcome: 'deferred', remoteMta: 'mx.gmail.test[127.0.0.2]:25', reply: '450 4.2.1 try later', code: 450, enhanced: '4.2.1' };
    store.recordAttempts('A1', [{ rcptTo: 'taro@example.jp', atMs: t0 + 1000, outcome: 'delivered', reply: '250 2.0.0 ok', code: 250, enhanced: '2.0.0' }, deferred], t0 + 60_000);
    let m = store.message('A1');
    assert.ok(m);
    assert.equal(m.subject, 'ご注文の確認');
    assert.equal(m.from, '営業部 <info@shop.example>');
    assert.equal(m.messageId, '<m1@shop.example>');
    assert.equal(m.source, 'api');
    assert.equal(m.state, 'deferred');
    assert.match(m.headers ?? '', /^From: =\?UTF-8/);
    assert.deepEqual(m.rcptTo, ['taro@example.jp', 'hanako@gmail.test']);
    assert.deepEqual(
      m.recipients.map((r) => [r.rcptTo, r.state, r.attempts, r.nextAttemptAtMs]),
      [
        ['taro@example.jp', 'delivered', 1, undefined],
        ['hanako@gmail.test', 'deferred', 1, t0 + 60_000],
      ],
    );
    store.recordAttempts('A1', [{ rcptTo: 'hanako@gmail.test', atMs: t0 + 70_000, outcome: 'bounced', reply: '550 5.1.1 no such user', code: 550, enhanced: '5.1.1' }]);
    // The scheduler's verdict for the same bounce: not a second attempt.
    store.recordVerdicts('A1', [{ rcptTo: 'hanako@gmail.test', atMs: t0 + 70_001, outcome: 'bounced', reply: '550 5.1.1 no such user' }]);
    m = store.message('A1');
    assert.ok(m);
    assert.equal(m.state, 'partial');
    assert.equal(m.lastReply, '550 5.1.1 no such user');
    assert.equal(m.attempts.length, 3);
    assert.deepEqual(m.attempts.map((a) => a.outcome), ['delivered', 'deferred', 'bounced']);
    assert.equal(m.recipients[1]?.attempts, 2);
    const series = store.series(t0, HOUR);
    assert.deepEqual(series[0], { startMs: t0, delivered: 1, deferred: 1, bounced: 1 });
    assert.deepEqual(store.topFailingDestinations(t0, 5), [{ domain: 'gmail.test', failures: 2, lastReply: '550 5.1.1 no such user', lastAtMs: t0 + 70_000 }]);
  });
});

test('expiry is a verdict after a deferral; held, released and deleted messages', () => {
  withStore((store) => {
    const t0 = Date.now();
    accept(store, 'E1', t0);
    store.recordAttempts('E1', [{ rcptTo: 'taro@example.jp', atMs: t0, outcome: 'deferred', detail: 'connection refused', enhanced: '4.4.1' }]);
    store.recordVerdicts('E1', [{ rcptTo: 'taro@example.jp', atMs: t0 + 1, outcome: 'expired', enhanced: '5.4.7', detail: 'connection refused' }]);
    const e = store.message('E1');
    assert.equal(e?.state, 'expired');
    assert.equal(e?.recipients[0]?.attempts, 1);
    assert.equal(e?.attempts.length, 2);

    accept(store, 'H1', t0, { held: true });
    assert.equal(store.message('H1')?.state, 'held');
    store.recordQueueChange('H1', 'released');
    assert.equal(store.message('H1')?.state, 'queued');
    store.recordQueueChange('H1', 'deleted');
    assert.equal(store.message('H1')?.state, 'deleted');
    assert.equal(store.message('H1')?.recipients[0]?.state, 'deleted');
    // An outcome for a message the history never saw is ignored.
    store.recordAttempts('NOPE', [{ rcptTo: 'x@example.jp', atMs: t0, outcome: 'delivered' }]);
    assert.equal(store.message('NOPE'), undefined);
  });
});

test('search pages through 1,500 messages newest first without gaps or repeats; filters', () => {
  withStore((store) => {
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 1500; i++) {
      // Ten messages per millisecond: the id breaks the ties.
      accept(store, `M${String(i).padStart(5, '0')}`, t0 + Math.floor(i / 10), { rcptTo: [`user${i % 7}@example.jp`], subject: i % 3 === 0 ? 'invoice 請求書' : 'news' });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = store.search({ limit: 100, ...(cursor === undefined ? {} : { cursor }) });
      if (pages === 0) assert.equal(page.total, 1500);
      else assert.equal(page.total, undefined);
      seen.push(...page.items.map((m) => m.id));
      cursor = page.next;
      pages++;
    } while (cursor !== undefined);
    assert.equal(pages, 15);
    assert.equal(new Set(seen).size, 1500);
    assert.equal(seen[0], 'M01499');
    assert.equal(seen[1499], 'M00000');

    const invoices = store.search({ subject: '請求書', limit: 1000 });
    assert.equal(invoices.total, 500);
    assert.equal(invoices.items.length, 500);
    assert.equal(store.search({ recipient: 'USER3@example.jp', limit: 1000 }).total, 214);
    assert.equal(store.search({ text: 'user3@', limit: 10 }).total, 214);
    assert.deepEqual(store.search({ id: 'M01499', limit: 5 }).items.map((m) => m.id), ['M01499']);
    assert.equal(store.search({ states: ['delivered'], limit: 5 }).total, 0);
    assert.equal(store.search({ sinceMs: t0 + 100, untilMs: t0 + 110, limit: 500 }).total, 100);
    assert.equal(store.recentForAddress('user3@example.jp', 1000).length, 214);
    assert.equal(store.recentForAddress('INFO@shop.example', 3).length, 3);
  });
});

test('retention: pruning removes old messages, their rows and counters in batches', async () => {
  await withStoreAsync(async (store) => {
    const now = Date.now();
    const old = now - 40 * 86_400_000;
    for (let i = 0; i < 120; i++) {
      accept(store, `OLD${i}`, old + i);
      store.recordAttempts(`OLD${i}`, [{ rcptTo: 'taro@example.jp', atMs: old + i, outcome: 'bounced', reply: '550 5.1.1 no' }]);
    }
    accept(store, 'NEW', now);
    const cutoff = now - 30 * 86_400_000;
    assert.equal(await store.pruneBatch(cutoff, 50), 50);
    assert.equal(await store.pruneBatch(cutoff, 50), 50);
    assert.equal(await store.pruneBatch(cutoff, 50), 20);
    assert.equal(await store.pruneBatch(cutoff, 50), 0);
    assert.equal(store.message('OLD0'), undefined);
    assert.ok(store.message('NEW'));
    assert.equal(store.search({ limit: 10 }).total, 1);
    assert.deepEqual(store.topFailingDestinations(old - HOUR, 5), []);
    assert.ok(store.series(old, 24 * HOUR).every((p) => p.bounced === 0));
  });
});

test('a second process sees what the server committed (the CLI opens the same file)', () => {
  withStore((store, dir) => {
    accept(store, 'S1', Date.now());
    store.flush();
    const cli = HistoryStore.open(dir);
    try {
      assert.equal(cli.message('S1')?.mailFrom, 'info@shop.example');
    } finally {
      cli.close();
    }
  });
});

test('the series counts a deferred recipient once, not once per retry; held then released, it counts again', () => {
  withStore((store) => {
    const t0 = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
    accept(store, 'S1', t0, { rcptTo: ['stuck@example.jp', 'also@example.jp'] });
    for (let i = 0; i < 76; i++) {
      store.recordAttempts('S1', [{ rcptTo: 'stuck@example.jp', atMs: t0 + i * 60_000, outcome: 'deferred', reply: '451 4.7.1 greylisted', code: 451, enhanced: '4.7.1' }]);
    }
    store.recordAttempts('S1', [{ rcptTo: 'also@example.jp', atMs: t0 + 1000, outcome: 'deferred', reply: '451 4.7.1 greylisted', code: 451, enhanced: '4.7.1' }]);
    const total = (points: { deferred: number }[]) => points.reduce((n, p) => n + p.deferred, 0);
    assert.equal(total(store.series(t0, HOUR)), 2);
    assert.equal(store.message('S1')?.attempts.length, 77);
    // Held by the admin, then released: a new spell of deferral counts once more.
    const retry = (atMs: number) => store.recordAttempts('S1', [{ rcptTo: 'stuck@example.jp', atMs, outcome: 'deferred', reply: '451 4.7.1 greylisted', code: 451, enhanced: '4.7.1' }]);
    store.recordQueueChange('S1', 'held', t0 + 2 * HOUR - 10);
    retry(t0 + 2 * HOUR - 9);
    assert.equal(total(store.series(t0, HOUR)), 2, 'a deferral while held leaves the recipient held: not a new spell');
    store.recordQueueChange('S1', 'released', t0 + 2 * HOUR - 8);
    retry(t0 + 2 * HOUR - 7);
    retry(t0 + 2 * HOUR - 6);
    assert.equal(total(store.series(t0, HOUR)), 3);
  });
});

test('on a cluster, attempts heard before the acceptance wait for it; a single node ignores them', () => {
  const delivered: HistoryAttempt = { rcptTo: 'taro@example.jp', atMs: 2 * HOUR, outcome: 'delivered', reply: '250 2.0.0 ok' };
  for (const waitForAcceptance of [true, false]) {
    const dir = mkdtempSync(join(tmpdir(), 'hikyaku-history-'));
    const store = HistoryStore.open(dir, { waitForAcceptance });
    try {
      store.recordAttempts('A1', [delivered]);
      store.flush();
      assert.equal(store.message('A1'), undefined);
      assert.equal(store.waitingForAcceptance, waitForAcceptance ? 1 : 0);
      // The acceptance, as another node publishes it: the header block only, with the whole size.
      store.recordAccepted({ id: 'A1', mailFrom: 'info@shop.example', rcptTo: ['taro@example.jp'], message: Buffer.from('Subject: hi\r\n\r\n'), size: 5000, source: 'api', user: undefined, held: false, atMs: HOUR });
      const m = store.message('A1');
      assert.equal(m?.size, 5000);
      assert.equal(m?.subject, 'hi');
      assert.equal(m?.state, waitForAcceptance ? 'delivered' : 'queued');
      assert.equal(m?.attempts.length, waitForAcceptance ? 1 : 0);
      assert.equal(store.waitingForAcceptance, 0);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('the cluster sync point is kept with the history', () => {
  withStore((store) => {
    assert.equal(store.syncPoint('history-events'), undefined);
    store.saveSyncPoint('history-events', '{"sinceMs":1,"cursors":{}}');
    assert.equal(store.syncPoint('history-events'), '{"sinceMs":1,"cursors":{}}');
  });
});
