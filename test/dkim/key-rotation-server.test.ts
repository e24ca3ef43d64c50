// A DKIM key rotation against a running server, end to end: mail submitted
// on 587 arrives at the MX and Debian's python3-dkim (not our code) verifies
// it against the test DNS server at every step.
//   rotate-key → still signed with the old selector, and verifies
//   → activate-key refused while the new record is missing
//   → published → activate-key → the running server signs with the new
//     selector at once (no restart), and mail signed before still verifies
//   → a second rotation is activated by the server itself once it has seen
//     the record published (domains.autoActivate), never before
//   → retire-key removes the old keys.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { runDomainCommand } from '../../src/cli/domain-command.js';
import { DomainStore } from '../../src/domains/domain-store.js';
import { recordsToPublish } from '../../src/domains/records.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { pythonVerify, skipPython } from '../helpers/python-dkim.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startHikyaku, tempDir, type TestServer } from '../helpers/hikyaku.js';

let dns: TestDnsServer;
let mx: SmtpSink;
let server: TestServer;
const dataDir = tempDir();
const INTERVAL_MS = 1000;

before(async () => {
  mx = await startSmtpSink({ host: '127.0.0.2' });
  dns = await startDnsServer({
    'example.net': { MX: [{ preference: 10, exchange: 'mx.example.net' }] },
    'mx.example.net': { A: ['127.0.0.2'] },
  });
  DomainStore.open(dataDir).add('rotate.test');
  publish(DomainStore.open(dataDir).get('rotate.test')!.keys.map((k) => k.selector));
  server = await startHikyaku({ dns: dns.address, mxPort: mx.port }, { domains: { autoActivate: true, autoActivateInterval: '1s' } }, { dataDir });
  await server.addUser('info@rotate.test', 'rotation test password', { senderCheck: false });
});

after(async () => {
  await server?.stop();
  await mx?.close();
  await dns?.close();
});

/** Publishes in the test DNS the records of these selectors, as `domain show` prints them. */
function publish(selectors: readonly string[]): void {
  const domain = DomainStore.open(dataDir).get('rotate.test');
  assert.ok(domain);
  const records = recordsToPublish(domain, { hostname: 'mail.hikyaku.test', outboundAddresses: ['127.0.0.1'], smarthost: undefined, nowMs: Date.now() });
  const wanted = records.filter((r) => r.purpose === 'dkim' && selectors.some((s) => r.name === `${s}._domainkey.rotate.test`));
  assert.equal(wanted.length, selectors.length);
  dns.loadZoneText(wanted.map((r) => r.zoneLine).join('\n'));
}

async function cli(args: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await runDomainCommand(args, { config: server.config, lang: 'en', out: (l) => lines.push(l) });
  return { code, text: lines.join('\n') };
}

async function submit(subject: string): Promise<Buffer> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: server.ports.submission,
    requireTLS: true,
    auth: { user: 'info@rotate.test', pass: 'rotation test password' },
    tls: { rejectUnauthorized: false },
  });
  const count = mx.messages.length;
  await transport.sendMail({ from: 'info@rotate.test', to: 'someone@example.net', subject, text: `rotation: ${subject}\n` });
  transport.close();
  const [m] = (await mx.waitForMessages(count + 1)).slice(count);
  assert.ok(m);
  return m.raw;
}

function selectors(raw: Buffer): string[] {
  return [...raw.toString().matchAll(/^DKIM-Signature:[^]*?\bs=([^;\s]+)/gim)].map((m) => m[1] as string);
}

async function verifies(...messages: Buffer[]): Promise<void> {
  const results = await pythonVerify(messages, dns.port);
  for (const r of results) assert.deepEqual(r.map((x) => x.ok), [true], JSON.stringify(r));
}

function keyStates(): string[] {
  return DomainStore.open(dataDir).get('rotate.test')!.keys.map((k) => `${k.selector}:${k.state}`);
}

test('rotate-key, activate-key by hand, then a rotation the running server activates by itself', { skip: skipPython }, async () => {
  const first = await submit('before rotation');
  const [oldSelector] = selectors(first);
  assert.ok(oldSelector);
  await verifies(first);

  // rotate-key: a pending key; the server goes on signing with the old one.
  const rotated = await cli(['rotate-key', 'rotate.test']);
  assert.equal(rotated.code, 0, rotated.text);
  const pending = DomainStore.open(dataDir).get('rotate.test')!.keys.find((k) => k.state === 'pending');
  assert.ok(pending);
  const during = await submit('during rotation');
  assert.deepEqual(selectors(during), [oldSelector]);
  await verifies(during);

  // activate-key refuses while the record is missing.
  const refused = await cli(['activate-key', 'rotate.test']);
  assert.equal(refused.code, 1, refused.text);
  assert.match(refused.text, /Not activated/);
  assert.deepEqual(selectors(await submit('still old')), [oldSelector]);

  // Published: activate-key switches, and the running server signs with the new key at once.
  publish([pending.selector]);
  const activated = await cli(['activate-key', 'rotate.test']);
  assert.equal(activated.code, 0, activated.text);
  const after = await submit('after activation');
  assert.deepEqual(selectors(after), [pending.selector]);
  // Mail signed with the old key still verifies: its record is still published.
  await verifies(after, during, first);
  assert.deepEqual(keyStates(), [`${pending.selector}:active`, `${oldSelector}:retiring`]);

  // A second rotation, left to the running server.
  dns.queries.length = 0;
  const second = await cli(['rotate-key', 'rotate.test']);
  assert.equal(second.code, 0, second.text);
  assert.match(second.text, /The running server also does this by itself .* \(checked every 1s; domains\.autoActivate\)/);
  const next = DomainStore.open(dataDir).get('rotate.test')!.keys.find((k) => k.state === 'pending');
  assert.ok(next);
  // Not published: after several checks it is still pending, and mail still carries the current selector.
  await waitFor(() => dns.queries.filter((q) => q.name === `${next.selector}._domainkey.rotate.test`).length >= 2, 5 * INTERVAL_MS);
  assert.ok(keyStates().includes(`${next.selector}:pending`));
  assert.ok(!server.logs.some((r) => r['event'] === 'dkim-key-activated'));
  assert.deepEqual(selectors(await submit('second rotation pending')), [pending.selector]);

  publish([next.selector]);
  const seen = await server.waitForLog((r) => r['event'] === 'dkim-key-seen', 5 * INTERVAL_MS);
  assert.deepEqual(seen['selectors'], [next.selector]);
  const log = await server.waitForLog((r) => r['event'] === 'dkim-key-activated', 5 * INTERVAL_MS);
  assert.deepEqual(log['selectors'], [next.selector]);
  assert.deepEqual(log['retiring'], [pending.selector]);
  const auto = await submit('after auto-activation');
  assert.deepEqual(selectors(auto), [next.selector]);
  await verifies(auto, after, first);

  // The retiring keys stay until their overlap ends (7 days by default), or are removed by force.
  const early = await cli(['retire-key', 'rotate.test', oldSelector]);
  assert.equal(early.code, 1);
  for (const s of [oldSelector, pending.selector]) assert.equal((await cli(['retire-key', 'rotate.test', s, '--force'])).code, 0);
  assert.deepEqual(keyStates(), [`${next.selector}:active`]);
  assert.deepEqual(selectors(await submit('after retire')), [next.selector]);
});

async function waitFor(check: () => boolean, limitMs: number): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > limitMs) assert.fail(`not seen within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
