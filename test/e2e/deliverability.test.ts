// The deliverability engine end to end: provider groups found from the MX
// names that the test DNS server gives, shaping per group, the reply table
// (a Gmail-like MX answering 421 4.7.28 for a while, 5.7.26, a Microsoft
// block-list reply), back-off that slows, recovers and survives a restart.
// Rates run on an accelerated clock (deliverability.rateInterval: 2s stands
// for a minute); the assertions count messages per interval at the sink,
// upper bounds while slowed, never how long something took.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { SmtpDialog } from '../helpers/smtp-dialog.js';
import { runCli, startHikyaku, tempDir, testRawConfig, writeConfigFile, type Raw, type TestServer } from '../helpers/hikyaku.js';
import { parseDsn } from '../helpers/dsn-parse.js';

const INTERVAL_MS = 2000;
const GMAIL_PER_INTERVAL = 20;
const MS_PER_INTERVAL = 30;

let dns: TestDnsServer;
let server: TestServer;
let dataDir: string;
let configFile: string;
let gmailLike: SmtpSink, gmailReal: SmtpSink, microsoft: SmtpSink, senderMx: SmtpSink;
const sinks: SmtpSink[] = [];

/** Acceptance times at the Gmail-like sink, and when it answered 421. */
const gmailAccepted: number[] = [];
let gmailThrottledAt = 0;
let gmailRcpts = 0;
/** Transactions in progress at the Microsoft-like MX, and the most seen at once. */
let msActive = 0;
let msMaxActive = 0;
const msAccepted: number[] = [];
let msBlocklist = false;

const over: Raw = {
  deliverability: {
    rateInterval: `${INTERVAL_MS}ms`,
    coolingPeriod: '4s',
    recoveryStep: '1s',
    suspendPeriod: '1h',
    groups: [
      // A test pattern added to the shipped gmail group: its reply rows apply.
      { name: 'gmail', mx: ['*.gmail-like.test'], perMinute: GMAIL_PER_INTERVAL, connections: 2 },
      { name: 'microsoft', perMinute: MS_PER_INTERVAL, connections: 2 },
    ],
  },
};

before(async () => {
  gmailLike = await startSmtpSink({
    host: '127.0.0.11',
    onRcptTo: () => {
      gmailRcpts++;
      // The 10th recipient is answered 421 4.7.28, as Gmail does to a sender going too fast.
      if (gmailRcpts === 10) {
        gmailThrottledAt = Date.now();
        return { code: 421, message: '4.7.28 [127.0.0.1 15] Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited.' };
      }
      return undefined;
    },
    onData: () => {
      gmailAccepted.push(Date.now());
      return undefined;
    },
  });
  const port = gmailLike.port;
  gmailReal = await startSmtpSink({
    host: '127.0.0.12',
    port,
    onData: () => ({ code: 550, message: "5.7.26 Unauthenticated email from shop.test is not accepted due to domain's DMARC policy. Please contact the administrator of shop.test domain if this was a legitimate mail." }),
  });
  microsoft = await startSmtpSink({
    host: '127.0.0.13',
    port,
    onMailFrom: () => {
      msActive++;
      msMaxActive = Math.max(msMaxActive, msActive);
      return undefined;
    },
    onRcptTo: () => {
      if (!msBlocklist) return undefined;
      msActive--;
      return { code: 550, message: '5.7.606 Access denied, banned sending IP [127.0.0.1]. To request removal from this list please visit https://sender.office.com/ and follow the directions.' };
    },
    onData: () => {
      msActive--;
      msAccepted.push(Date.now());
      return undefined;
    },
  });
  senderMx = await startSmtpSink({ host: '127.0.0.14', port });
  sinks.push(gmailLike, gmailReal, microsoft, senderMx);
  const zone: Record<string, object> = {
    'gmail-like.test': { MX: [{ preference: 10, exchange: 'mx1.gmail-like.test' }] },
    'mx1.gmail-like.test': { A: ['127.0.0.11'] },
    // The shipped pattern *.google.com, served by the test DNS server.
    'gmail-user.test': { MX: [{ preference: 5, exchange: 'gmail-smtp-in.l.google.com' }] },
    'gmail-smtp-in.l.google.com': { A: ['127.0.0.12'] },
    'shop.test': { MX: [{ preference: 10, exchange: 'mx.shop.test' }] },
    'mx.shop.test': { A: ['127.0.0.14'] },
  };
  // 100 company domains hosted at Microsoft 365, each with its own MX name.
  for (let i = 0; i < 100; i++) {
    zone[`corp${i}.test`] = { MX: [{ preference: 0, exchange: `corp${i}-test.mail.protection.outlook.com` }] };
    zone[`corp${i}-test.mail.protection.outlook.com`] = { A: ['127.0.0.13'] };
  }
  dns = await startDnsServer(zone);
  dataDir = tempDir();
  const env = { dns: dns.address, mxPort: port };
  configFile = writeConfigFile(dataDir, testRawConfig(env, dataDir, over));
  server = await startHikyaku(env, over, { dataDir });
});

after(async () => {
  await server?.stop();
  await Promise.all(sinks.map((s) => s.close()));
  await dns?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Queue one message per recipient through the trusted relay listener, in one session. */
async function relayEach(rcpts: readonly string[], mailFrom = 'app@shop.test'): Promise<string[]> {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.relay, localAddress: '127.0.0.2' });
  await d.read();
  await d.command('EHLO app.shop.test');
  const ids: string[] = [];
  for (const rcpt of rcpts) {
    assert.equal((await d.command(`MAIL FROM:<${mailFrom}>`)).code, 250);
    assert.equal((await d.command(`RCPT TO:<${rcpt}>`)).code, 250);
    assert.equal((await d.command('DATA')).code, 354);
    const reply = await d.command(`From: <${mailFrom}>\r\nTo: <${rcpt}>\r\nSubject: to ${rcpt}\r\n\r\nhello\r\n.`);
    assert.equal(reply.code, 250, reply.text);
    ids.push(/queued as ([0-9A-Z]+)/.exec(reply.text)?.[1] ?? '');
  }
  await d.command('QUIT');
  await d.close();
  return ids;
}

/** The most acceptances in any window of INTERVAL_MS starting at an acceptance within [from, to). */
function maxPerInterval(times: readonly number[], from: number, to: number): number {
  let max = 0;
  for (const start of times) {
    if (start < from || start + INTERVAL_MS > to) continue;
    max = Math.max(max, times.filter((t) => t >= start && t < start + INTERVAL_MS).length);
  }
  return max;
}

test('the shipped gmail pattern matches gmail-smtp-in.l.google.com; 5.7.26 bounces at once, the DSN names the record to fix in both languages', async () => {
  const [id] = await relayEach(['someone@gmail-user.test']);
  const dsnMail = await senderMx.waitForMessage((m) => m.mailFrom === '' && m.raw.includes(id as string));
  const dsn = await parseDsn(dsnMail.raw);
  assert.equal(dsn.recipients[0]?.['status'], '5.7.26');
  assert.match(dsn.text, /DMARC: _dmarc\.送信元ドメイン/);
  assert.match(dsn.text, /DMARC: check the TXT record at _dmarc/);
  assert.doesNotMatch(dsn.text, /- SPF:/);
  // One attempt, no retry: the bounce came from the first refusal.
  const lines = server.logs.filter((l) => l.event === 'delivery' && l['queueId'] === id);
  assert.deepEqual(lines.map((l) => l['status']), ['bounced']);
});

test('a Gmail-like MX answering 421 4.7.28: the group is slowed (logged), the rate at the sink drops, then recovers', async (t) => {
  const rcpts = Array.from({ length: 90 }, (_, i) => `user${i}@gmail-like.test`);
  await relayEach(rcpts);
  const slowed = await server.waitForLog((l) => l['event'] === 'backoff' && l['group'] === 'gmail' && l['action'] === 'slow');
  assert.match(String(slowed.msg), /^gmail: slowed to 10\/min until \d\d:\d\d after 421 4\.7\.28$/);
  // (`hikyaku queue providers` for a slowed group: src/cli/providers-view.test.ts, without a race against the accelerated clock.)
  await server.waitForLog((l) => l['event'] === 'backoff' && l['group'] === 'gmail' && l['action'] === 'recovered', 60_000);
  const all = await gmailLike.waitForMessages(89, 60_000); // the refused recipient is retried and delivered too
  assert.ok(all.length >= 89);
  const coolingEnd = gmailThrottledAt + 4000;
  // While slowed: at most half the rate per interval, plus the bucket's tenth and the 2 deliveries already under way.
  const slowedMax = maxPerInterval(gmailAccepted, gmailThrottledAt, coolingEnd);
  assert.ok(slowedMax <= GMAIL_PER_INTERVAL / 2 + 1 + 2, `slowed: ${slowedMax} in one interval`);
  // Back at full rate, the backlog goes out faster than the slowed rate allowed.
  const fullMax = maxPerInterval(gmailAccepted, coolingEnd + 1000, Infinity);
  t.diagnostic(`most per interval: ${slowedMax} while slowed, ${fullMax} after recovery`);
  assert.ok(fullMax > GMAIL_PER_INTERVAL / 2 + 1 + 2, `recovered: only ${fullMax} in one interval`);
  assert.ok(fullMax <= GMAIL_PER_INTERVAL + 2 + 2, `recovered: ${fullMax} in one interval is over the limit`);
  // Held mail was deferred by our shaping, never bounced.
  assert.equal(server.logs.filter((l) => l.event === 'delivery' && String(l['rcptTo']).endsWith('@gmail-like.test') && l['status'] === 'bounced').length, 0);
});

test('a Microsoft-like MX serving 100 domains is throttled as one group', async () => {
  const started = Date.now();
  await relayEach(Array.from({ length: 100 }, (_, i) => `staff@corp${i}.test`));
  await microsoft.waitForMessages(100, 60_000);
  assert.ok(msMaxActive <= 2, `${msMaxActive} transactions at once (limit 2 for the group)`);
  const max = maxPerInterval(msAccepted, started, Infinity);
  assert.ok(max <= MS_PER_INTERVAL + 3 + 2, `${max} in one interval (limit ${MS_PER_INTERVAL} for the whole group)`);
  const held = server.logs.filter((l) => l.event === 'delivery' && l['status'] === 'deferred' && /^microsoft: rate limit 30\/min reached/.test(String(l['reply'])));
  assert.ok(held.length > 0, 'some mail waited in the queue for the group limit');
});

test('a block-list reply suspends the group, says so, holds later mail, and survives a restart', async () => {
  msBlocklist = true;
  const [first] = await relayEach(['staff@corp1.test']);
  const suspended = await server.waitForLog((l) => l['event'] === 'backoff' && l['group'] === 'microsoft' && l['action'] === 'suspend');
  assert.match(String(suspended.msg), /^microsoft: suspended until \d\d:\d\d after 550 5\.7\.606$/);
  // The banned-IP reply is permanent for that recipient.
  await server.waitForLog((l) => l.event === 'delivery' && l['queueId'] === first && l['status'] === 'bounced');
  const view = await runCli(['queue', 'providers', '--config', configFile, '--lang', 'en']);
  assert.match(view.stdout, /^microsoft\t.*\tsuspended until \d\d:\d\d after 550 5\.7\.606 \(mail waits in the queue\)$/m);

  await server.stop();
  server = await startHikyaku({ dns: dns.address, mxPort: gmailLike.port }, over, { dataDir });
  const connectionsBefore = microsoft.connectionCount;
  const [second] = await relayEach(['staff@corp2.test']);
  const held = await server.waitForLog((l) => l.event === 'delivery' && l['queueId'] === second);
  assert.equal(held['status'], 'deferred');
  assert.match(String(held['reply']), /^microsoft: suspended after "550 5\.7\.606"; held in the queue until/);
  assert.equal(microsoft.connectionCount, connectionsBefore, 'nothing was sent to the suspended group');
});
