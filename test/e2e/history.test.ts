// The message history end to end: messages sent through the running server
// to real MX hosts (a DNS test server, SMTP sinks on 127.0.0.x) appear in
// `hikyaku history` (a real CLI process reading history.db while the server
// runs) with every attempt, the remote reply and its explanation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { SmtpDialog } from '../helpers/smtp-dialog.js';
import { runCli, startHikyaku, testRawConfig, writeConfigFile, type TestServer } from '../helpers/hikyaku.js';
import type { HistoryMessage, HistorySummary } from '../../src/history/history-types.js';
import { HistoryStore } from '../../src/history/history-store.js';

let dns: TestDnsServer;
let server: TestServer;
let good: SmtpSink, greylisting: SmtpSink, refusing: SmtpSink;
let configFile: string;
const greylisted = new Set<string>();

before(async () => {
  good = await startSmtpSink({ host: '127.0.0.3' });
  const port = good.port;
  greylisting = await startSmtpSink({
    host: '127.0.0.4',
    port,
    onRcptTo: (address) => {
      if (address.startsWith('stuck@')) return { code: 451, message: '4.3.0 try again later' };
      if (greylisted.has(address)) return undefined;
      greylisted.add(address);
      return { code: 450, message: '4.2.0 <' + address + '>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/grey.test.html' };
    },
  });
  refusing = await startSmtpSink({ host: '127.0.0.5', port, onRcptTo: (address) => ({ code: 550, message: `5.1.1 <${address}>: Recipient address rejected: User unknown in virtual mailbox table` }) });
  dns = await startDnsServer({
    'good.test': { MX: [{ preference: 10, exchange: 'mx.good.test' }] },
    'mx.good.test': { A: ['127.0.0.3'] },
    'grey.test': { MX: [{ preference: 10, exchange: 'mx.grey.test' }] },
    'mx.grey.test': { A: ['127.0.0.4'] },
    'bad.test': { MX: [{ preference: 10, exchange: 'mx.bad.test' }] },
    'mx.bad.test': { A: ['127.0.0.5'] },
    'shop.test': { MX: [{ preference: 10, exchange: 'mx.good.test' }] },
  });
  server = await startHikyaku({ dns: dns.address, mxPort: port });
  configFile = writeConfigFile(server.dataDir, testRawConfig({ dns: dns.address, mxPort: port }, server.dataDir));
});

after(async () => {
  await server?.stop();
  await Promise.all([good, greylisting, refusing].map((s) => s?.close()));
  await dns?.close();
});

async function relay(rcptTo: string, subject: string): Promise<string> {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.relay, localAddress: '127.0.0.2' });
  await d.read();
  await d.command('EHLO app.shop.test');
  assert.equal((await d.command('MAIL FROM:<app@shop.test>')).code, 250);
  assert.equal((await d.command(`RCPT TO:<${rcptTo}>`)).code, 250);
  assert.equal((await d.command('DATA')).code, 354);
  const reply = await d.command(`From: <app@shop.test>\r\nTo: <${rcptTo}>\r\nSubject: ${subject}\r\n\r\nbody\r\n.`);
  assert.equal(reply.code, 250, reply.text);
  await d.command('QUIT');
  await d.close();
  const id = /queued as ([0-9A-Z]+)/.exec(reply.text)?.[1];
  assert.ok(id);
  return id;
}

async function history(args: string[], lang: 'en' | 'ja' = 'en'): Promise<{ code: number | null; stdout: string }> {
  const run = await runCli(['history', ...args, '--config', configFile, '--lang', lang]);
  assert.equal(run.stderr, '');
  return run;
}

/** The message as `hikyaku history ID --json` shows it, once history.db says it has reached `state`. */
async function messageIn(id: string, state: string): Promise<HistoryMessage & { attempts: { explanation: { rowId: string; summary: string } }[] }> {
  // Waiting reads the file directly (a CLI process per look would be slow), then the CLI shows it.
  const store = HistoryStore.open(server.dataDir);
  try {
    for (let i = 0; store.message(id)?.state !== state; i++) {
      if (i === 200) throw new Error(`${id} never reached ${state} in the history: ${JSON.stringify(store.message(id))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    store.close();
  }
  const run = await history([id, '--json']);
  assert.equal(run.code, 0);
  return JSON.parse(run.stdout) as HistoryMessage & { attempts: { explanation: { rowId: string; summary: string } }[] };
}

test('delivered, deferred then delivered, and bounced messages, each with its attempts and explanations', async () => {
  const delivered = await relay('taro@good.test', '=?UTF-8?B?' + Buffer.from('ご注文ありがとうございます').toString('base64') + '?=');
  const retried = await relay('hanako@grey.test', 'greylisted once');
  const bounced = await relay('nobody@bad.test', 'to nobody');

  const d = await messageIn(delivered, 'delivered');
  assert.equal(d.subject, 'ご注文ありがとうございます');
  assert.equal(d.source, 'smtp');
  assert.equal(d.mailFrom, 'app@shop.test');
  assert.deepEqual(d.attempts.map((a) => [a.rcptTo, a.outcome]), [['taro@good.test', 'delivered']]);
  assert.match(d.attempts[0]?.remoteMta ?? '', /127\.0\.0\.3/);
  assert.equal(d.attempts[0]?.explanation.rowId, 'delivered');
  assert.match(d.headers ?? '', /^Received: /);

  const r = await messageIn(retried, 'delivered');
  assert.deepEqual(r.attempts.map((a) => a.outcome), ['deferred', 'delivered']);
  assert.match(r.attempts[0]?.reply ?? '', /^450 4\.2\.0 .*Greylisted/);
  assert.equal(r.attempts[0]?.explanation.rowId, 'greylisting');
  assert.deepEqual(r.recipients.map((x) => [x.rcptTo, x.state, x.attempts]), [['hanako@grey.test', 'delivered', 2]]);

  const b = await messageIn(bounced, 'bounced');
  assert.deepEqual(b.attempts.map((a) => a.outcome), ['bounced']);
  assert.match(b.lastReply ?? '', /^550 5\.1\.1 /);
  assert.equal(b.attempts[0]?.explanation.rowId, 'no-such-user');

  // Our own DSN for the bounce is in the history too, from the null sender.
  const dsns = JSON.parse((await history(['app@shop.test', '--json'])).stdout) as HistorySummary[];
  assert.ok(dsns.some((m) => m.source === 'dsn' && m.mailFrom === '' && m.rcptTo.includes('app@shop.test')), 'the bounce notice is recorded');

  // The text forms: the id with the explanation in Japanese, the address as a list.
  const ja = await history([bounced], 'ja');
  assert.equal(ja.code, 0);
  assert.match(ja.stdout, /配信失敗/);
  assert.match(ja.stdout, /550 5\.1\.1 <nobody@bad\.test>: Recipient address rejected/);
  assert.match(ja.stdout, /意味: 宛先のメールアドレスは存在しません。/);
  const list = await history(['app@shop.test', '--limit', '3']);
  assert.equal(list.code, 0);
  assert.equal(list.stdout.trim().split('\n').length, 4, 'a header line and three messages');
  const forTaro = await history(['TARO@good.test']);
  assert.match(forTaro.stdout, new RegExp(`${delivered}\tdelivered\tapp@shop.test\ttaro@good.test\tご注文ありがとうございます\t250 `));
});

test('mistakes get a clear message and a non-zero exit', async () => {
  const missing = await history(['NOSUCHID']);
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, /No message NOSUCHID in the history/);
  const badLimit = await history(['a@b.test', '--limit', 'lots']);
  assert.equal(badLimit.code, 2);
  assert.match(badLimit.stdout, /--limit lots: give a whole number from 1 to 1000/);
  const badAddress = await history(['not an@address@x']);
  assert.equal(badAddress.code, 2);
  assert.match(badAddress.stdout, /not an address/);
  const none = await history(['nobody-ever@good.test']);
  assert.equal(none.code, 0);
  assert.match(none.stdout, /No message from or to nobody-ever@good.test/);
});

test('queue hold, release and delete by the CLI are reflected in the history', async () => {
  // A message that cannot be delivered yet, held then deleted by the CLI.
  const id = await relay('stuck@grey.test', 'to be deleted');
  await messageIn(id, 'deferred');
  const queue = (args: string[]) => runCli(['queue', ...args, '--config', configFile, '--lang', 'en']);
  assert.equal((await queue(['hold', id])).code, 0);
  await messageIn(id, 'held');
  assert.equal((await queue(['delete', id])).code, 0);
  const m = await messageIn(id, 'deleted');
  assert.equal(m.recipients[0]?.state, 'deleted');
});

test('the running server exposes the same history to the console', async () => {
  const page = HistoryStore.open(server.dataDir);
  try {
    const first = page.search({ text: 'good.test', limit: 1 });
    assert.equal(first.items.length, 1);
    assert.ok((first.total ?? 0) >= 1);
  } finally {
    page.close();
  }
});
