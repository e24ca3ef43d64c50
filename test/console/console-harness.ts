// The web console's browser-test harness, shared by every console test:
// a real Hikyaku on loopback (its HTTP listener serving the built console),
// a real DNS test server and a real SMTP sink as the recipients' MX, an
// admin in console.db, and Debian's Chromium driven by playwright-core.
//
//   const h = await startConsoleHarness();      // in before()
//   const page = await h.newPage('en');         // fresh context: no cookies
//   await h.login(page);                        // lands on the dashboard
//   await h.checkAccessibility(page, 'dashboard');
//   await h.screenshot(page, 'dashboard', 'en');
//   await h.close();                            // in after()
//
// Recipients at example.net are accepted; those whose address starts with
// "later" get 452 (deferred: the message stays queued), "nobody" 550.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { openAdminDatabase } from '../../src/admins/admin-database.js';
import { newTotpSecret } from '../../src/admins/totp.js';
import { hashPassword } from '../../src/users/password.js';
import { startDnsServer, type TestDnsServer, type Zone } from '../helpers/dns-server.js';
import { startHikyaku, tempDir, type Raw, type TestServer } from '../helpers/hikyaku.js';
import { DomainStore } from '../../src/domains/domain-store.js';
import { SmtpDialog } from '../helpers/smtp-dialog.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots land here (gitignored), one per page and language. */
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');

export const ADMIN = 'director';
export const ADMIN_PASSWORD = 'kumo no ue no shiro 42';

/** As root in a container: no sandbox; nothing fetched from the network by the browser itself. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export type Lang = 'ja' | 'en';

export interface ConsoleHarness {
  readonly server: TestServer;
  readonly dns: TestDnsServer;
  readonly mx: SmtpSink;
  readonly browser: Browser;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  /** http://127.0.0.1:PORT/console/ */
  readonly consoleUrl: string;
  /** Adds an admin to console.db (as `hikyaku admin add` does); returns the TOTP secret when asked for one. */
  addAdmin(name: string, password: string, options?: { totp?: boolean }): Promise<string | undefined>;
  /** A page in a fresh browser context (no cookies) whose browser prefers `lang`. */
  newPage(lang?: Lang): Promise<Page>;
  /** Script errors and console errors the page reported so far (CSP violations included), except expected HTTP 4xx loads. */
  errorsOf(page: Page): readonly string[];
  /** Logs in through the form and waits for the dashboard. */
  login(page: Page, name?: string, password?: string): Promise<void>;
  /** Fails with the list of serious and critical axe-core violations on the page as shown now. */
  checkAccessibility(page: Page, label: string): Promise<void>;
  /** Saves test-artifacts/console/<name>-<lang>.png (whole page). */
  screenshot(page: Page, name: string, lang: Lang): Promise<void>;
  /** Sends a message through the relay listener (trusted client 127.0.0.2); resolves with the queue id. */
  send(from: string, to: readonly string[], subject: string, body?: string): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Extra configuration for the server (merged into the test configuration). */
  readonly config?: Raw;
  /** Extra DNS records (merged into the default zone). */
  readonly zone?: Zone;
  /** Sending domains registered before the server starts (the doctor's first run sees them). */
  readonly sendingDomains?: readonly string[];
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export async function startConsoleHarness(options: HarnessOptions = {}): Promise<ConsoleHarness> {
  const mx = await startSmtpSink({
    host: '127.0.0.2',
    onRcptTo: (address) => {
      if (address.startsWith('later')) return { code: 452, message: '4.2.2 Mailbox full, try again later' };
      if (address.startsWith('nobody')) return { code: 550, message: '5.1.1 No such user here' };
      return undefined;
    },
  });
  const dns = await startDnsServer({
    'example.net': { MX: [{ preference: 10, exchange: 'mx.example.net' }] },
    'mx.example.net': { A: ['127.0.0.2'] },
    ...options.zone,
  });
  const dataDir = tempDir();
  const domains = DomainStore.open(dataDir);
  for (const name of options.sendingDomains ?? []) domains.add(name);
  const server = await startHikyaku({ dns: dns.address, mxPort: mx.port }, options.config ?? {}, { dataDir });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const origin = `http://127.0.0.1:${server.ports.http}`;
  const contexts: BrowserContext[] = [];
  const pageErrors = new WeakMap<Page, string[]>();

  const harness: ConsoleHarness = {
    server,
    dns,
    mx,
    browser,
    origin,
    consoleUrl: `${origin}/console/`,
    async addAdmin(name, password, addOptions = {}) {
      const db = openAdminDatabase(server.dataDir);
      try {
        const secret = addOptions.totp === true ? newTotpSecret() : undefined;
        db.admins.add(name, await hashPassword(password), secret);
        return secret;
      } finally {
        db.close();
      }
    },
    async newPage(lang = 'en') {
      const context = await browser.newContext({ locale: lang === 'ja' ? 'ja-JP' : 'en-US', timezoneId: 'Asia/Tokyo', viewport: { width: 1280, height: 900 } });
      contexts.push(context);
      const page = await context.newPage();
      const errors: string[] = [];
      pageErrors.set(page, errors);
      page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
      page.on('console', (message) => {
        // A refused login or a 401 before the redirect is part of the flow; the app shows them itself.
        if (message.type() === 'error' && !/status of 40[13]|status of 429/.test(message.text())) errors.push(`console: ${message.text()}`);
      });
      return page;
    },
    errorsOf(page) {
      return pageErrors.get(page) ?? [];
    },
    async login(page, name = ADMIN, password = ADMIN_PASSWORD) {
      await page.goto(`${origin}/console/login`);
      await page.locator('input[name=name]').fill(name);
      await page.locator('input[name=password]').fill(password);
      await page.locator('button[type=submit]').click();
      await page.waitForURL(`${origin}/console/`);
      await page.locator('[data-testid=queue-size]').waitFor();
    },
    async checkAccessibility(page, label) {
      // Evaluated through the DevTools protocol, not as a <script> tag: the console's
      // Content-Security-Policy (script-src 'self') rightly refuses inline scripts.
      await page.evaluate(AXE_SOURCE);
      const violations = await page.evaluate(async () => {
        // Runs in the page: `axe` is the global the injected script defines; the whole document is checked.
        const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown }> }> }> } }).axe;
        const result = await axe.run();
        return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
      });
      const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      if (bad.length > 0) {
        throw new Error(`axe-core found ${bad.length} serious/critical problem(s) on ${label}:\n${bad.map((v) => `- ${v.id} (${v.impact}): ${v.help} at ${v.targets.join(', ')}`).join('\n')}`);
      }
    },
    async screenshot(page, name, lang) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, `${name}-${lang}.png`), fullPage: true });
    },
    async send(from, to, subject, body = 'Hello from the console test.') {
      const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.relay, localAddress: '127.0.0.2' });
      try {
        await d.read();
        await d.command('EHLO app.shop.test');
        const expect = async (line: string, code: number) => {
          const reply = await d.command(line);
          if (reply.code !== code) throw new Error(`${line.split('\r\n')[0]} → ${reply.code} ${reply.text}`);
          return reply;
        };
        await expect(`MAIL FROM:<${from}>`, 250);
        for (const r of to) await expect(`RCPT TO:<${r}>`, 250);
        await expect('DATA', 354);
        const reply = await expect(`From: <${from}>\r\nTo: ${to.join(', ')}\r\nSubject: ${subject}\r\n\r\n${body}\r\n.`, 250);
        await d.command('QUIT');
        const id = /queued as ([0-9A-Z]+)/.exec(reply.text)?.[1];
        if (id === undefined) throw new Error(`no queue id in: ${reply.text}`);
        return id;
      } finally {
        await d.close();
      }
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await server.stop();
      await mx.close();
      await dns.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await harness.addAdmin(ADMIN, ADMIN_PASSWORD);
  return harness;
}

/** Polls `check` until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The trimmed text of the first element matching `selector`. */
export async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').trim();
}
