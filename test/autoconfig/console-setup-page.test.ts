// The console's setup page in a real browser (Debian's Chromium through
// playwright-core): the table in both languages, the autoconfiguration
// links, no serious axe-core violation, screenshots in Japanese and English.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startConsoleHarness, type ConsoleHarness } from '../console/console-harness.js';

let h: ConsoleHarness;

before(async () => {
  h = await startConsoleHarness({ sendingDomains: ['shop.test'], config: { autoconfig: { imapHost: 'imap.shop.test' } } });
  await h.server.addUser('web@shop.test', 'a long enough password 1');
});

after(async () => {
  await h?.close();
});

for (const lang of ['en', 'ja'] as const) {
  test(`the setup page (${lang}): every row in both languages, the links, accessible`, async () => {
    const page = await h.newPage(lang);
    await h.login(page);
    await page.goto(`${h.consoleUrl}users/web%40shop.test/setup`);
    await page.locator('table tbody tr').first().waitFor();
    const heading = await page.locator('h1').textContent();
    assert.equal(heading, lang === 'en' ? 'Mail-client settings for web@shop.test' : 'web@shop.test のメールソフト設定');
    const username = page.locator('tbody tr', { has: page.locator('th', { hasText: 'Username' }) });
    assert.match((await username.locator('th').textContent()) ?? '', /ユーザー名.*Username/s);
    assert.equal(await username.locator('td').textContent(), 'web@shop.test');
    const ports = page.locator('tbody tr', { has: page.locator('th', { hasText: 'Port and encryption' }) });
    assert.match((await ports.locator('td').textContent()) ?? '', new RegExp(`${h.server.ports.submissions} with SSL/TLS`));
    const profile = page.locator('a[download]');
    assert.equal(await profile.getAttribute('href'), '/autoconfig/mail.mobileconfig?emailaddress=web%40shop.test');
    assert.deepEqual(h.errorsOf(page), []);
    await h.checkAccessibility(page, `user-setup-${lang}`);
    await h.screenshot(page, 'user-setup', lang);
  });
}
