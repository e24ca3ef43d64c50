// The users page in a real browser (issue 10 point 8): add a user through
// the form; an app password and an API key created, their secret shown once
// (gone after a reload) and then revoked through the confirmation dialog;
// disable; the suppression list with an entry removed. A flag reason and a
// suppression reason carrying <script> / onerror markup (written as the CLI
// writes them) are shown as text and run nothing. axe-core and screenshots
// in both languages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SuppressionStore } from '../../src/policy/suppression-store.js';
import { UserStore } from '../../src/users/user-store.js';
import { startConsoleHarness, text, type ConsoleHarness } from './console-harness.js';

let h: ConsoleHarness;
const EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>';

before(async () => {
  h = await startConsoleHarness();
  // As `hikyaku user add` / `user flag` and the bounce handler would have written them.
  const users = UserStore.open(h.server.dataDir);
  try {
    await users.add('shop@shop.test', 'a long enough password');
    users.flag('shop@shop.test', undefined, `leaked ${EVIL}`);
  } finally {
    users.close();
  }
  const suppression = SuppressionStore.open(h.server.dataDir);
  try {
    suppression.add({ sendingDomain: 'shop.test', recipient: 'gone@example.net', reason: `550 5.1.1 ${EVIL}`, source: 'bounce', nowMs: Date.now(), ttlMs: undefined });
    suppression.add({ sendingDomain: '', recipient: 'optout@example.net', reason: 'asked to stop', source: 'manual', nowMs: Date.now(), ttlMs: undefined });
  } finally {
    suppression.close();
  }
});

after(async () => {
  await h?.close();
});

test('users, app passwords and API keys (secret once), disable, suppression list; markup shown as text (en)', async () => {
  const page = await h.newPage('en');
  await h.login(page);
  await page.locator('nav a', { hasText: 'Users' }).click();
  await page.locator('[data-user="shop@shop.test"]').waitFor();

  // The reasons are text: the markup is visible and nothing ran.
  assert.equal(await text(page, '[data-user="shop@shop.test"] [data-testid=user-state]'), `Disabled (leaked ${EVIL})`);
  assert.equal(await text(page, '[data-testid=suppression] tr[data-recipient="gone@example.net"] td.reply'), `550 5.1.1 ${EVIL}`);
  assert.equal(await page.evaluate('window.__pwned'), undefined);
  assert.equal(await page.locator('[data-user] img, [data-testid=suppression] img').count(), 0);

  await page.locator('input[name=address]').fill('info@shop.test');
  await page.locator('input[name=password]').fill('another long password');
  await page.locator('section[aria-labelledby=add-user-title] button[type=submit]').click();
  await page.locator('[data-testid=add-user-result] .done').waitFor();
  const info = page.locator('[data-user="info@shop.test"]');
  await info.waitFor();
  assert.match(await text(page, '[data-user="info@shop.test"] [data-testid=user-usage]'), /^Sent: last hour 0 \/ /);

  // An app password: shown once, with its copy button; listed by label only.
  await info.locator('form[data-form=app-passwords] input[name=label]').fill('wordpress');
  await info.locator('form[data-form=app-passwords] button[type=submit]').click();
  const secret = await info.locator('[data-testid=secret-value]').first().textContent();
  assert.match(secret ?? '', /^[a-z0-9 -]{20,}$/i);
  await info.locator('[data-testid=app-passwords] tr[data-label=wordpress]').waitFor();
  await info.locator('form[data-form=api-keys] input[name=label]').fill('backend');
  await info.locator('form[data-form=api-keys] button[type=submit]').click();
  await info.locator('[data-testid=api-keys] tr[data-label=backend]').waitFor();
  const key = await info.locator('[data-testid=secret-value]').nth(1).textContent();
  assert.match(key ?? '', /^hk_/);
  await h.checkAccessibility(page, 'users with new secrets (en)');

  await page.reload();
  await info.locator('[data-testid=api-keys] tr[data-label=backend]').waitFor();
  assert.equal(await page.locator('[data-testid=secret-value]').count(), 0, 'a secret is not shown again');
  assert.ok(!((await page.content()).includes(secret ?? '?')) && !(await page.content()).includes(key ?? '?'));

  await info.locator('[data-testid=app-passwords] tr[data-label=wordpress] button[data-action=revoke]').click();
  await page.locator('dialog[open] [data-testid=confirm]').click();
  await info.locator('[data-testid=app-passwords]').waitFor({ state: 'detached' });

  await info.locator('button[data-action=disable]').click();
  await page.locator('dialog[open] [data-testid=confirm]').click();
  await info.locator('[data-testid=user-state]', { hasText: 'Disabled (disabled in the web console by director)' }).waitFor();
  await info.locator('button[data-action=enable]').click();
  await info.locator('[data-testid=user-state]', { hasText: /^Active$/ }).waitFor();

  await page.locator('[data-testid=suppression] tr[data-recipient="optout@example.net"] button[data-action=unsuppress]').click();
  await page.locator('dialog[open] [data-testid=confirm]').click();
  // The row goes once the removal is answered (the list loads again); then the other entry is back, the removed one is not.
  await page.locator('[data-testid=suppression] tr[data-recipient="optout@example.net"]').waitFor({ state: 'detached' });
  await page.locator('[data-testid=suppression] tr[data-recipient="gone@example.net"]').waitFor();
  assert.equal(await page.locator('[data-testid=suppression] tr[data-recipient="optout@example.net"]').count(), 0);

  await h.checkAccessibility(page, 'users (en)');
  await h.screenshot(page, 'users', 'en');
  // Each user links to the mail-client settings (the table `hikyaku user setup` prints).
  await page.locator('[data-user="info@shop.test"] [data-testid=user-setup-link]').click();
  await page.locator('table').first().waitFor();
  assert.match(new URL(page.url()).pathname, /\/console\/users\/info%40shop\.test\/setup$/);
  assert.match(await text(page, 'h1'), /info@shop\.test/);
  assert.deepEqual(h.errorsOf(page), []);
});

test('the users page in Japanese; axe-core and screenshot (ja)', async () => {
  const page = await h.newPage('ja');
  await h.login(page);
  await page.goto(`${h.consoleUrl}users`);
  await page.locator('[data-user="shop@shop.test"]').waitFor();
  assert.equal(await text(page, 'h1'), 'ユーザー');
  assert.equal(await text(page, '#suppression-title'), '配信停止リスト');
  assert.match(await text(page, '[data-user="shop@shop.test"] [data-testid=user-usage]'), /^送信数: 直近 1 時間 0 \//);
  await h.checkAccessibility(page, 'users (ja)');
  await h.screenshot(page, 'users', 'ja');
  assert.deepEqual(h.errorsOf(page), []);
});
