// IP warm-up end to end: a Gmail-like MX (a test pattern added to the gmail
// group), a warm-up of 5 messages on day 1 and doubling, on an accelerated
// day of 3 s (deliverability.warmup.day). Day-one mail over the allowance
// waits in the queue and goes out the next day; `hikyaku warmup status`
// shows where the group stands. Counts, not durations, are asserted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { SmtpDialog } from '../helpers/smtp-dialog.js';
import { runCli, startHikyaku, tempDir, testRawConfig, writeConfigFile, type Raw, type TestServer } from '../helpers/hikyaku.js';

const DAY_MS = 3000;
let dns: TestDnsServer;
let sink: SmtpSink;
let server: TestServer;
let dataDir: string;
let configFile: string;
const acceptedAt: number[] = [];

const over: Raw = {
  deliverability: {
    groups: [{ name: 'gmail', mx: ['*.gmail-like.test'] }],
    warmup: { enabled: true, firstDay: 5, growth: 2, day: `${DAY_MS}ms` },
  },
};

before(async () => {
  sink = await startSmtpSink({
    host: '127.0.0.21',
    onData: () => {
      acceptedAt.push(Date.now());
      return undefined;
    },
  });
  dns = await startDnsServer({
    'gmail-like.test': { MX: [{ preference: 10, exchange: 'mx1.gmail-like.test' }] },
    'mx1.gmail-like.test': { A: ['127.0.0.21'] },
  });
  dataDir = tempDir();
  const env = { dns: dns.address, mxPort: sink.port };
  configFile = writeConfigFile(dataDir, testRawConfig(env, dataDir, over));
  server = await startHikyaku(env, over, { dataDir });
});

after(async () => {
  await server?.stop();
  await sink?.close();
  await dns?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('warm-up holds day-one mail over the allowance and releases it the next (accelerated) day', async () => {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.relay, localAddress: '127.0.0.2' });
  await d.read();
  await d.command('EHLO app.shop.test');
  for (let i = 0; i < 12; i++) {
    assert.equal((await d.command('MAIL FROM:<app@shop.test>')).code, 250);
    assert.equal((await d.command(`RCPT TO:<user${i}@gmail-like.test>`)).code, 250);
    assert.equal((await d.command('DATA')).code, 354);
    assert.equal((await d.command(`Subject: ${i}\r\n\r\nhello\r\n.`)).code, 250);
  }
  await d.command('QUIT');
  await d.close();

  const started = await server.waitForLog((l) => l['event'] === 'warmup' && l['group'] === 'gmail');
  assert.equal(started.msg, 'gmail: warm-up started, 5 messages on day 1');
  await sink.waitForMessages(12, 30_000);
  const dayOneEnd = Number(started['time']) + DAY_MS;
  const dayOne = acceptedAt.filter((t) => t < dayOneEnd).length;
  assert.ok(dayOne <= 5, `${dayOne} delivered on day 1 (allowance 5)`);
  const held = server.logs.filter((l) => l.event === 'delivery' && l['status'] === 'deferred' && /^gmail: warm-up day 1 allows 5 messages, all sent; held in the queue until/.test(String(l['reply'])));
  assert.ok(held.length >= 7, `${held.length} deferrals for the warm-up (7 messages were over the allowance)`);
  assert.equal(server.logs.filter((l) => l.event === 'delivery' && l['status'] === 'bounced').length, 0);

  // Counts reach deliverability.db within 2 s; the CLI reads them there.
  await new Promise((r) => setTimeout(r, 2200));
  const en = await runCli(['warmup', 'status', '--config', configFile, '--lang', 'en']);
  assert.equal(en.code, 0, en.stderr);
  assert.match(en.stdout, /^gmail\tdefault\tday \d+\t\d+ \/ \d+\tfrom \d\d:\d\d: \d+$/m);
  const ja = await runCli(['warmup', 'status', '--config', configFile, '--lang', 'ja']);
  assert.match(ja.stdout, /^gmail\tdefault\t\d+ 日目\t\d+ \/ \d+\t\d\d:\d\d から \d+ 通$/m);
});
