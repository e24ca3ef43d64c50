// The console's session in a real browser (Debian's Chromium through
// playwright-core): logout, no way in without a session, deep links back
// after login, the cookie's flags and the CSRF wall as the browser sees them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, ADMIN_PASSWORD, startConsoleHarness, type ConsoleHarness } from './console-harness.js';

let h: ConsoleHarness;

before(async () => {
  h = await startConsoleHarness();
});

after(async () => {
  await h?.close();
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

