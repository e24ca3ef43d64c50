import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryAttempt } from '../history/history-types.js';
import { collapseAttempts } from './attempt-groups.js';

const greylisted = (rcptTo: string, atMs: number): HistoryAttempt => ({ rcptTo, atMs, outcome: 'deferred', remoteMta: 'mx.example.net[192.0.2.1]:25', reply: '451 4.7.1 greylisted', code: 451, enhanced: '4.7.1' });

test('76 identical retries of one recipient are one row with the first and last time', () => {
  const attempts = Array.from({ length: 76 }, (_, i) => greylisted('a@example.net', 1000 + i * 60_000));
  const groups = collapseAttempts(attempts);
  assert.equal(groups.length, 1);
  assert.equal(groups[0]?.count, 76);
  assert.equal(groups[0]?.firstAtMs, 1000);
  assert.equal(groups[0]?.last.atMs, 1000 + 75 * 60_000);
});

test('interleaved recipients collapse per recipient; a different reply, host or outcome starts a new row', () => {
  const other = { ...greylisted('a@example.net', 5), remoteMta: 'mx2.example.net[192.0.2.2]:25' };
  const attempts: HistoryAttempt[] = [
    greylisted('a@example.net', 1),
    greylisted('b@example.net', 1),
    greylisted('a@example.net', 2),
    greylisted('b@example.net', 2),
    { ...greylisted('a@example.net', 3), reply: '452 4.2.2 mailbox full' },
    greylisted('a@example.net', 4),
    other,
    { ...greylisted('b@example.net', 6), outcome: 'delivered', reply: '250 ok' },
  ];
  const rows = collapseAttempts(attempts).map((g) => [g.last.rcptTo, g.count, g.firstAtMs, g.last.atMs]);
  assert.deepEqual(rows, [
    ['a@example.net', 2, 1, 2],
    ['b@example.net', 2, 1, 2],
    ['a@example.net', 1, 3, 3],
    ['a@example.net', 1, 4, 4],
    ['a@example.net', 1, 5, 5],
    ['b@example.net', 1, 6, 6],
  ]);
});
