// Logging in to the web console in a real browser (Debian's Chromium through
// playwright-core): both languages, a wrong password refused then
// throttled, TOTP with a code computed here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, startConsoleHarness, text, type ConsoleHarness } from './console-harness.js';
import { totpCode } from './totp-code.js';

let h: ConsoleHarness;

before(async () => {
  h = await startConsoleHarness();
});

after(async () => {
  await h?.close();
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

