// The web console in a real browser (Debian's Chromium through
// playwright-core): log in, the dashboard with live figures, both
// languages, a wrong password refused then throttled, TOTP, logout, and the
// console unreachable without a session. axe-core checks each page in both
// languages; screenshots go to test-artifacts/console/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { ADMIN, ADMIN_PASSWORD, startConsoleHarness, type ConsoleHarness } from './console-harness.js';
import { totpCode } from './totp-code.js';

let h: ConsoleHarness;

before(async () => {
  // shop.test publishes nothing (no SPF, DKIM or DMARC): the doctor's light for it is red.
  h = await startConsoleHarness({ sendingDomains: ['shop.test'] });
});

after(async () => {
  await h?.close();
});

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const text = async (page: Page, selector: string): Promise<string> => ((await page.locator(selector).first().textContent()) ?? '').trim();

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
  // The charts' totals: one delivered; the deferred one counted once per attempt so far (it keeps retrying).
  const hourly = page.locator('[data-testid=totals-hourly]', { hasText: /^1 delivered · [1-9]\d* deferred · 0 bounced$/ });
  await hourly.waitFor({ timeout: 30_000 });
  await page.locator('[data-testid=totals-daily]', { hasText: /^1 delivered · [1-9]\d* deferred · 0 bounced$/ }).waitFor();
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

test('switching to Japanese and back; the choice is remembered across reloads', async () => {
  const page = await h.newPage('en');
  await h.login(page);
  await page.getByRole('button', { name: '日本語' }).click();
  assert.equal(await text(page, 'h1'), 'ダッシュボード');
  assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
  assert.match(await text(page, 'header nav'), /ダッシュボード/);
  await page.reload();
  await page.locator('h1', { hasText: 'ダッシュボード' }).waitFor();
  await page.getByRole('button', { name: 'English' }).click();
  assert.equal(await text(page, 'h1'), 'Dashboard');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
});

test('a browser that prefers Japanese gets the console in Japanese from the start', async () => {
  const page = await h.newPage('ja');
  await page.goto(`${h.origin}/console/login`);
  assert.equal(await text(page, 'h1'), '管理画面にログイン');
  assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
});

test('a wrong password is refused with a message, and after repeated failures the login is throttled', async () => {
  await h.addAdmin('victim', ADMIN_PASSWORD);
  const page = await h.newPage('en');
  await page.goto(`${h.origin}/console/login`);
  await page.locator('input[name=name]').fill('victim');
  for (let i = 1; i <= 5; i++) {
    await page.locator('input[name=password]').fill(`wrong password ${i}`);
    await page.locator('button[type=submit]').click();
    const expected = i < 5 ? /Wrong admin name, password or verification code/ : /Too many failed logins.*Try again in about \d+ seconds/;
    await page.locator('[role=alert]', { hasText: expected }).waitFor();
  }
  // Even the right password is refused now, and no session cookie was set.
  await page.locator('input[name=password]').fill(ADMIN_PASSWORD);
  await page.locator('button[type=submit]').click();
  await page.locator('[role=alert]', { hasText: /Too many failed logins/ }).waitFor();
  assert.equal(page.url(), `${h.origin}/console/login`);
  assert.deepEqual(await page.context().cookies(), []);
});

test('an admin with TOTP types the code from the authenticator (computed here) and gets in', async () => {
  const secret = await h.addAdmin('totp-user', ADMIN_PASSWORD, { totp: true });
  assert.ok(secret);
  const page = await h.newPage('ja');
  await page.goto(`${h.origin}/console/login`);
  await page.locator('input[name=name]').fill('totp-user');
  await page.locator('input[name=password]').fill(ADMIN_PASSWORD);
  await page.locator('button[type=submit]').click();
  await page.locator('[role=alert]', { hasText: '6 桁の確認コード' }).waitFor();
  await h.checkAccessibility(page, 'the login page asking for the TOTP code (ja)');
  await h.screenshot(page, 'login-totp', 'ja');
  await page.locator('input[name=totp]').fill(totpCode(secret));
  await page.locator('button[type=submit]').click();
  await page.waitForURL(h.consoleUrl);
  await page.locator('[data-testid=queue-size]').waitFor();
  assert.match(await text(page, 'header'), /totp-user でログイン中/);
});

test('logout ends the session: the pages go to the login form and the API answers 401', async () => {
  const page = await h.newPage('en');
  await h.login(page);
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(`${h.origin}/console/login`);
  await page.goto(h.consoleUrl);
  await page.waitForURL(`${h.origin}/console/login`);
  const status = await page.evaluate(async () => (await fetch('/console/api/dashboard')).status);
  assert.equal(status, 401);
});

test('a deep link without a session goes to the login form and, after login, back to that page; never to another site', async () => {
  const page = await h.newPage('en');
  await page.goto(`${h.origin}/console/some/deep/link?x=1`);
  await page.waitForURL(`${h.origin}/console/login?next=%2Fconsole%2Fsome%2Fdeep%2Flink%3Fx%3D1`);
  await page.locator('input[name=name]').fill(ADMIN);
  await page.locator('input[name=password]').fill(ADMIN_PASSWORD);
  await page.locator('button[type=submit]').click();
  await page.waitForURL(`${h.origin}/console/some/deep/link?x=1`);
  await page.locator('h1', { hasText: 'There is no such page.' }).waitFor();

  const other = await h.newPage('en');
  await other.goto(`${h.origin}/console/login?next=${encodeURIComponent('https://evil.example/console/')}`);
  await other.locator('input[name=name]').fill(ADMIN);
  await other.locator('input[name=password]').fill(ADMIN_PASSWORD);
  await other.locator('button[type=submit]').click();
  await other.waitForURL(h.consoleUrl);
});

test('the session cookie as the browser holds it: HttpOnly, SameSite=Strict, path /console', async () => {
  const page = await h.newPage('en');
  await h.login(page);
  const [cookie, ...others] = await page.context().cookies();
  assert.equal(others.length, 0);
  assert.equal(cookie?.name, 'hikyaku_console');
  assert.equal(cookie?.httpOnly, true);
  assert.equal(cookie?.sameSite, 'Strict');
  assert.equal(cookie?.path, '/console');
  assert.equal(cookie?.secure, false, 'plain HTTP on loopback');
  assert.equal(await page.evaluate('document.cookie'), '', 'scripts cannot read it');
  // A change without the CSRF header, made from the logged-in page itself, is refused.
  const refused = await page.evaluate(async () => {
    const response = await fetch('/console/api/logout', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    return { status: response.status, body: (await response.json()) as { error: string } };
  });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error, 'csrf');
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
