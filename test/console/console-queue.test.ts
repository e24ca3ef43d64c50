// The queue and message pages in a real browser: a deferred message (the
// harness's MX answers 452 to "later…") is found in the queue list, its
// timeline explains the remote reply in English and Japanese with what to do;
// a bulk hold then release goes through the confirmation dialog; retry from
// the message page; a subject carrying <script> is shown as text; axe-core
// on both pages in both languages; screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startConsoleHarness, type ConsoleHarness } from './console-harness.js';

let h: ConsoleHarness;
let deferredId: string;
const EVIL = '<script>alert("x")</script> Sale';

before(async () => {
  h = await startConsoleHarness();
  deferredId = await h.send('shop@shop.test', ['later@example.net'], EVIL);
});

after(async () => {
  await h?.close();
});

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function openMessageWithAttempt(page: Page): Promise<void> {
  await waitFor(async () => {
    await page.goto(`${h.consoleUrl}queue/${deferredId}`);
    await page.locator('[data-testid=message-state]').waitFor();
    return (await page.locator('[data-testid=timeline] li').count()) > 0;
  }, 'the deferred attempt in the timeline');
}

test('the deferred message is listed with its subject as text; its timeline explains the reply (en, ja)', async () => {
  let alerted = false;
  const page = await h.newPage('en');
  page.on('dialog', (d) => {
    alerted = true;
    void d.dismiss();
  });
  await h.login(page);
  await page.locator('nav a[href="/console/queue"]').click();
  const row = page.locator(`tr[data-id="${deferredId}"]`);
  await row.waitFor();
  assert.equal((await row.locator('a').textContent())?.trim(), EVIL);
  await h.checkAccessibility(page, 'queue (en)');
  await h.screenshot(page, 'queue', 'en');

  await row.locator('a').click();
  await openMessageWithAttempt(page);
  assert.equal((await page.locator('h1').textContent())?.trim(), EVIL);
  const attempt = page.locator('[data-testid=timeline] li').first();
  assert.match((await attempt.textContent()) ?? '', /452/);
  assert.match((await attempt.locator('.todo').textContent()) ?? '', /What to do/);
  await h.checkAccessibility(page, 'message (en)');
  await h.screenshot(page, 'message', 'en');

  await page.locator('.language-switch button[lang=ja]').click();
  // The label switches at once; the explanation comes with the message read again in Japanese.
  await waitFor(async () => /対処方法/.test((await attempt.locator('.todo').textContent()) ?? ''), 'the Japanese label');
  await waitFor(async () => /[\u3040-\u30ff\u4e00-\u9fff]/.test((await attempt.locator('.summary').textContent()) ?? ''), 'the Japanese explanation');
  await h.checkAccessibility(page, 'message (ja)');
  await h.screenshot(page, 'message', 'ja');
  await page.locator('nav a[href="/console/queue"]').click();
  await page.locator(`tr[data-id="${deferredId}"]`).waitFor();
  await h.checkAccessibility(page, 'queue (ja)');
  await h.screenshot(page, 'queue', 'ja');
  assert.equal(alerted, false, 'no script ran');
  assert.deepEqual(h.errorsOf(page), []);
});

test('bulk hold then release, each after the confirmation dialog; cancel changes nothing; retry from the message page', async () => {
  const page = await h.newPage('en');
  await h.login(page);
  await page.goto(`${h.consoleUrl}queue`);
  const row = page.locator(`tr[data-id="${deferredId}"]`);
  await row.waitFor();
  await row.locator('input[type=checkbox]').check();

  await page.locator('button[data-action=hold]').click();
  const dialog = page.locator('dialog.confirm');
  await dialog.waitFor({ state: 'visible' });
  assert.match((await dialog.textContent()) ?? '', /Hold the 1 selected/);
  await h.checkAccessibility(page, 'queue confirmation');
  await dialog.locator('button.secondary').click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await page.locator('[data-testid=action-result]').textContent(), '');

  await page.locator('button[data-action=hold]').click();
  await page.locator('[data-testid=confirm]').click();
  await waitFor(async () => /hold: 1 done, 0 not possible/i.test((await page.locator('[data-testid=action-result]').textContent()) ?? ''), 'the hold result');
  await waitFor(async () => ((await row.locator('.state').textContent()) ?? '').includes('Held'), 'the row shown as held');

  await page.locator('button[data-action=release]').click();
  await page.locator('[data-testid=confirm]').click();
  await waitFor(async () => /release: 1 done/i.test((await page.locator('[data-testid=action-result]').textContent()) ?? ''), 'the release result');

  await page.goto(`${h.consoleUrl}queue/${deferredId}`);
  await page.locator('button[data-action=retry]').click();
  await page.locator('[data-testid=confirm]').click();
  await waitFor(async () => /retry now: 1 done/i.test((await page.locator('[data-testid=action-result]').textContent()) ?? ''), 'the retry result');
  assert.deepEqual(h.errorsOf(page), []);
});
