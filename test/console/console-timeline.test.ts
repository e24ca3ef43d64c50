// Retries as the admin sees them, end to end: the harness's MX answers 452
// to "later…" and the test schedule retries within a second, so one message
// piles up identical attempts. Its page shows them as one row "×N, first …
// last …" (en, ja), and the dashboard still counts one deferred recipient.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startConsoleHarness, text, waitFor, type ConsoleHarness } from './console-harness.js';

let h: ConsoleHarness;
let id: string;

before(async () => {
  h = await startConsoleHarness();
  id = await h.send('shop@shop.test', ['later@example.net'], 'stuck in greylisting');
});

after(async () => {
  await h?.close();
});

test('identical retries are one timeline row ×N; the dashboard counts the recipient once', async () => {
  const page = await h.newPage('en');
  await h.login(page);
  let repeated = '';
  await waitFor(async () => {
    await page.goto(`${h.consoleUrl}queue/${id}`);
    await page.locator('[data-testid=message-state]').waitFor();
    if ((await page.locator('[data-testid=repeated]').count()) === 0) return false;
    repeated = await text(page, '[data-testid=repeated]');
    return Number(/^×(\d+)/.exec(repeated)?.[1] ?? 0) >= 3;
  }, 'three identical attempts in one row');
  assert.match(repeated, /^×\d+, first .+, last .+$/);
  assert.equal(await page.locator('[data-testid=timeline] li').count(), 1, 'one row for all the retries');
  const attempts = Number(await text(page, '[data-testid=recipients] tbody td:nth-child(3)'));
  assert.ok(attempts >= 3, `the recipient row keeps the true count (${attempts})`);
  await h.screenshot(page, 'message-retries', 'en');

  await page.locator('nav a', { hasText: 'Dashboard' }).click();
  await page.locator('[data-testid=totals-hourly]', { hasText: /^0 delivered · 1 deferred · 0 bounced$/ }).waitFor();
  assert.deepEqual(h.errorsOf(page), []);
});

test('the row in Japanese', async () => {
  const page = await h.newPage('ja');
  await h.login(page);
  await page.goto(`${h.consoleUrl}queue/${id}`);
  await page.locator('[data-testid=repeated]').waitFor();
  assert.match(await text(page, '[data-testid=repeated]'), /^同じ結果が \d+ 回（最初 .+、最後 .+）$/);
  await h.checkAccessibility(page, 'message with retries (ja)');
  await h.screenshot(page, 'message-retries', 'ja');
  assert.deepEqual(h.errorsOf(page), []);
});
