// The dashboard in a real browser (Debian's Chromium through playwright-core):
// live figures from the queue and the history, the charts, the failing
// destinations, the doctor's lights; axe-core on the login page and the
// dashboard in both languages, screenshots in test-artifacts/console/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, ADMIN_PASSWORD, startConsoleHarness, text, waitFor, type ConsoleHarness } from './console-harness.js';

let h: ConsoleHarness;

before(async () => {
  // shop.test publishes nothing (no SPF, DKIM or DMARC): the doctor's light for it is red.
  h = await startConsoleHarness({ sendingDomains: ['shop.test'] });
});

after(async () => {
  await h?.close();
});

test('the dashboard shows the queue size and updates it live, without a reload', async () => {
  const page = await h.newPage('en');
  await h.login(page);
  assert.equal(await text(page, 'h1'), 'Dashboard');
  assert.equal(await text(page, '[data-testid=queue-size]'), '0');
  assert.match(await text(page, '[data-testid=queue-oldest]'), /the queue is empty/);

  await h.send('shop@shop.test', ['ok@example.net'], 'delivered one');
  await h.send('shop@shop.test', ['later@example.net'], 'deferred one');
  await waitFor(() => h.mx.messages.length >= 1, 'the delivered message at the MX');
  // The page polls: the new figure appears without navigation.
  await page.locator('[data-testid=queue-size]', { hasText: /^1$/ }).waitFor({ timeout: 30_000 });
  assert.match(await text(page, '[data-testid=queue-oldest]'), /ago|seconds?|now/);
  // The charts' totals count recipients: one delivered; the deferred one once, however often it is retried.
  const hourly = page.locator('[data-testid=totals-hourly]', { hasText: /^1 delivered · 1 deferred · 0 bounced$/ });
  await hourly.waitFor({ timeout: 30_000 });
  await page.locator('[data-testid=totals-daily]', { hasText: /^1 delivered · 1 deferred · 0 bounced$/ }).waitFor();
  assert.equal(await page.locator('[data-testid=chart-hourly] canvas').count(), 1);
  // The destination that keeps deferring, with the remote server's reply.
  const failing = page.locator('[data-testid=failing] tbody tr', { hasText: 'example.net' });
  await failing.waitFor({ timeout: 30_000 });
  assert.match((await failing.textContent()) ?? '', /452 4\.2\.2 Mailbox full/);
  // The figures behind the chart, as a table.
  await page.locator('[data-testid=chart-hourly] summary').click();
  assert.equal(await page.locator('[data-testid=chart-hourly] table tbody tr').count(), 24);
  assert.equal(await page.locator('[data-testid=chart-daily] table tbody tr').count(), 7);
  assert.deepEqual(h.errorsOf(page), []);
});

test('the doctor\'s traffic light per sending domain, from the background run, with the problems found', async () => {
  const page = await h.newPage('en');
  await h.login(page);
  const row = page.locator('[data-testid="light-shop.test"]');
  await row.waitFor({ timeout: 30_000 });
  assert.equal(await text(page, '[data-testid="light-shop.test"] .light'), 'Action required');
  assert.match((await row.textContent()) ?? '', /SPF/);
  // Each problem opens to the doctor's explanation and the record to publish.
  await row.locator('summary', { hasText: 'SPF' }).first().click();
  await row.getByText(/No SPF record .* is published at shop\.test/).waitFor();
  assert.match((await row.locator('pre.record').first().textContent()) ?? '', /v=spf1/);
  await page.getByRole('button', { name: '日本語' }).click();
  assert.equal(await text(page, '[data-testid="light-shop.test"] .light'), '要対応');
});

for (const lang of ['en', 'ja'] as const) {
  test(`login page and dashboard have no serious accessibility problems (${lang}); screenshots`, async () => {
    const page = await h.newPage(lang);
    await page.goto(`${h.origin}/console/login`);
    await page.locator('h1').waitFor();
    await h.checkAccessibility(page, `the login page (${lang})`);
    await h.screenshot(page, 'login', lang);
    await h.login(page, ADMIN, ADMIN_PASSWORD);
    await page.locator('[data-testid=doctor-checked]').waitFor();
    await h.checkAccessibility(page, `the dashboard (${lang})`);
    await h.screenshot(page, 'dashboard', lang);
    assert.deepEqual(h.errorsOf(page), [], 'no script errors and no Content-Security-Policy violations');
  });
}
