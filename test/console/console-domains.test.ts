// The domains page in a real browser (issue 10 point 7): the records to
// publish with working copy buttons, the doctor's result per check against
// the real DNS test server (shop.test publishes SPF but no DKIM: red, with
// the doctor's own fix in English and Japanese), adding a domain through the
// form, a key rotation through the confirmation dialog (activation refused
// while the new record is not in DNS), the server's own checks; a domain name
// carrying <script> is refused and shown as text; axe-core and screenshots
// in both languages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startConsoleHarness, text, type ConsoleHarness } from './console-harness.js';

let h: ConsoleHarness;

before(async () => {
  h = await startConsoleHarness({
    sendingDomains: ['shop.test'],
    zone: { 'shop.test': { TXT: ['v=spf1 ip4:127.0.0.1 -all'], MX: [{ preference: 10, exchange: 'mx.example.net' }] } },
  });
});

after(async () => {
  await h?.close();
});

/** The domains page with the doctor's first result shown for shop.test. */
async function openDomains(page: Page): Promise<void> {
  await page.goto(`${h.consoleUrl}domains`);
  await page.locator('[data-domain="shop.test"] [data-testid=records]').waitFor();
  // The first run starts with the first view; the page polls, a reload is quicker.
  const deadline = Date.now() + 30_000;
  while ((await page.locator('[data-domain="shop.test"] [data-testid=checks]').count()) === 0) {
    if (Date.now() > deadline) assert.fail('the doctor result for shop.test never appeared');
    await new Promise((r) => setTimeout(r, 300));
    await page.reload();
    await page.locator('[data-domain="shop.test"] [data-testid=records]').waitFor();
  }
}

test('records with copy buttons, the doctor per check with its fix, add a domain, rotate a key (en)', async () => {
  const page = await h.newPage('en');
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.origin });
  await h.login(page);
  await page.locator('nav a', { hasText: 'Domains' }).click();
  await openDomains(page);
  const shop = page.locator('[data-domain="shop.test"]');

  // Red: no DKIM record published. The fix is the doctor's, with the record to paste.
  assert.equal(await text(page, '[data-domain="shop.test"] [data-testid=domain-light]'), 'Needs a fix');
  const dkimCheck = shop.locator('[data-check="dkim.record"][data-status=error]').first();
  assert.match((await dkimCheck.locator('.fix').textContent()) ?? '', /How to fix:.+_domainkey\.shop\.test/s);
  assert.ok((await shop.locator('[data-status=ok]').count()) > 0, 'the published SPF record is green');

  // Copy: the DKIM value lands on the clipboard as the page shows it.
  const dkimRow = shop.locator('[data-testid=records] tr[data-purpose=dkim]').first();
  const shown = await text(page, '[data-domain="shop.test"] tr[data-purpose=dkim] [data-testid=record-value]');
  assert.match(shown, /^v=DKIM1; k=rsa; p=/);
  await dkimRow.locator('button', { hasText: 'Copy' }).nth(1).click();
  await dkimRow.locator('[role=status]', { hasText: 'Copied' }).first().waitFor();
  assert.equal(await page.evaluate('navigator.clipboard.readText()'), shown);

  // A name with markup is refused; the message shows it as text.
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  await page.locator('input[name=domain]').fill('<script>alert(1)</script>');
  await page.locator('form.inline-form button[type=submit]').click();
  await page.locator('[data-testid=add-domain-result] .problem').waitFor();
  assert.match(await text(page, '[data-testid=add-domain-result]'), /^"<script>alert\(1\)<\/script>" is not a valid domain name/);
  assert.equal(dialogs, 0);

  await page.locator('input[name=domain]').fill('news.example.org');
  await page.locator('form.inline-form button[type=submit]').click();
  await page.locator('[data-testid=add-domain-result] .done').waitFor();
  await page.locator('[data-domain="news.example.org"] [data-testid=records]').waitFor();

  await shop.locator('button[data-action=rotate]').click();
  await page.locator('dialog[open] [data-testid=confirm]').click();
  await shop.locator('[data-testid=rotate-result] .done').first().waitFor();
  assert.match(await text(page, '[data-domain="shop.test"] [data-testid=rotate-result]'), /^Made the new keys .+Step 1: publish the records below now\./);
  await shop.locator('[data-testid=keys] tr[data-state=pending]').first().waitFor();

  // Rotating again while the new keys wait: the store's refusal, in words.
  await shop.locator('button[data-action=rotate]').click();
  await page.locator('dialog[open] [data-testid=confirm]').click();
  await shop.locator('[data-testid=rotate-result] .problem').waitFor();
  assert.match(await text(page, '[data-domain="shop.test"] [data-testid=rotate-result] .problem'), /^A rotation is under way/);

  // Activating the new key before its record is in DNS: refused by the doctor's check, the old key signs on.
  await shop.locator('[data-testid=keys] tr[data-state=pending] button[data-action=activate]').first().click();
  await shop.locator('[data-testid=rotate-result] .problem', { hasText: /^Not activated: the record of .+ is not visible in DNS yet/ }).waitFor();
  assert.equal(await shop.locator('[data-testid=keys] tr[data-state=active]').count(), 1);
  // The server's own checks (EHLO name, PTR…) have their card too.
  await page.locator('[data-testid=server-checks] [data-testid=checks]').waitFor();

  await h.checkAccessibility(page, 'domains (en)');
  await h.screenshot(page, 'domains', 'en');
  // The refused name (400) and the refused second rotation (409) are answers the page shows.
  assert.deepEqual(h.errorsOf(page).filter((e) => !/status of 40[09]/.test(e)), []);
});

test('the doctor fix in Japanese; axe-core and screenshot (ja)', async () => {
  const page = await h.newPage('ja');
  await h.login(page);
  await openDomains(page);
  assert.equal(await text(page, 'h1'), '送信ドメイン');
  const fix = (await page.locator('[data-domain="shop.test"] [data-check="dkim.record"][data-status=error] .fix').first().textContent()) ?? '';
  assert.match(fix, /^直し方:/);
  assert.match(fix, /[\u3040-\u30ff]/, 'the fix is in Japanese');
  assert.equal(await text(page, '[data-domain="shop.test"] [data-testid=domain-light]'), '要対応');
  await h.checkAccessibility(page, 'domains (ja)');
  await h.screenshot(page, 'domains', 'ja');
  assert.deepEqual(h.errorsOf(page), []);
});
