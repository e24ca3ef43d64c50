// `hikyaku sendmail` as PHP's mail() and cron use it (issue 9 point 6, issue
// 15's sendmail part): the real CLI process, a real server, a real DNS
// server and a hand-written MX that logs every command line. With the
// server running the message goes through the local socket; with it
// stopped, into the maildrop, delivered once when the server starts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { startDnsServer } from '../helpers/dns-server.js';
import { cliCommand, runCli, startHikyaku, tempDir, testRawConfig, writeConfigFile, type Raw, type TestServer } from '../helpers/hikyaku.js';
import { startRawPeer, type RawPeer } from '../outbound/raw-smtp-peer.js';

interface Setup {
  readonly mx: RawPeer;
  readonly env: { dns: string; mxPort: number };
  readonly dataDir: string;
  readonly configFile: string;
  start(over?: Raw): Promise<TestServer>;
}

async function setUp(t: TestContext, over: Raw = {}): Promise<Setup> {
  const mx = await startRawPeer(t, { host: '127.0.0.2', pipelining: true });
  const dns = await startDnsServer({
    'docomo.ne.jp': { MX: [{ preference: 10, exchange: 'mfsmax.docomo.ne.jp' }] },
    'mfsmax.docomo.ne.jp': { A: ['127.0.0.2'] },
    'shop.test': { MX: [{ preference: 10, exchange: 'mx.shop.test' }] },
    'mx.shop.test': { A: ['127.0.0.2'] },
  });
  t.after(() => dns.close());
  const dir = tempDir();
  const dataDir = join(dir, 'data');
  const env = { dns: dns.address, mxPort: mx.port };
  const configFile = writeConfigFile(dir, testRawConfig(env, dataDir, over));
  return {
    mx,
    env,
    dataDir,
    configFile,
    async start() {
      const server = await startHikyaku(env, over, { dataDir });
      t.after(() => server.stop());
      return server;
    },
  };
}

const commands = (mx: RawPeer): string[] => mx.connections.flatMap((c) => c.commands);
const payloads = (mx: RawPeer): Buffer[] => mx.connections.flatMap((c) => c.payloads);

async function until(what: string, done: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const message = (subject: string, extra = ''): string =>
  `From: Shop <web@shop.test>\nTo: Taro <taro..yamada@docomo.ne.jp>\nBcc: audit@shop.test\n${extra}Subject: ${subject}\n\nhello\n.\nafter the dot\n`;

test('sendmail -t -i with the server running: carrier address sent quoted, To unchanged, Bcc removed', async (t) => {
  const s = await setUp(t);
  const server = await s.start();
  const run = await runCli(['sendmail', '--config', s.configFile, '-t', '-i'], message('running'));
  assert.equal(run.code, 0, run.stderr);
  await until('the message at the MX', () => payloads(s.mx).some((p) => p.includes('Subject: running')));
  const cmds = commands(s.mx);
  assert.ok(cmds.includes('RCPT TO:<"taro..yamada"@docomo.ne.jp>'), cmds.join('\n'));
  assert.ok(cmds.includes('RCPT TO:<audit@shop.test>'), cmds.join('\n'));
  const payload = payloads(s.mx).find((p) => p.includes('Subject: running'))!.toString('utf8');
  assert.match(payload, /^To: Taro <taro\.\.yamada@docomo\.ne\.jp>\r$/m, 'the To field as written');
  assert.doesNotMatch(payload, /^Bcc:/im);
  assert.match(payload, /^\.\.\r\nafter the dot/m, 'with -i the lone dot is part of the message (dot-stuffed on the wire)');
  const accepted = await server.waitForLog((r) => r.event === 'sendmail');
  assert.equal(accepted['via'], 'sendmail');
});

test('without -i a lone dot ends the message; -f and -F set the sender and the From name', async (t) => {
  const s = await setUp(t);
  await s.start();
  const run = await runCli(['sendmail', '--config', s.configFile, '-f', 'cron@shop.test', '-F', 'Cron Daemon', 'taro..yamada@docomo.ne.jp'], 'Subject: dots\n\nbefore\n.\nnot sent\n');
  assert.equal(run.code, 0, run.stderr);
  await until('the message at the MX', () => payloads(s.mx).some((p) => p.includes('Subject: dots')));
  const payload = payloads(s.mx).find((p) => p.includes('Subject: dots'))!.toString('utf8');
  assert.doesNotMatch(payload, /not sent/);
  assert.match(payload, /^From: "Cron Daemon" <cron@shop\.test>\r$/m);
  assert.ok(commands(s.mx).some((c) => c.startsWith('MAIL FROM:<cron@shop.test>')));
});

test('a bad recipient exits 65 naming it; a refused sender exits 77 with our SMTP reply', async (t) => {
  const s = await setUp(t, { listeners: { relay: { maySendAs: ['*@shop.test'] } } });
  await s.start();
  const arg = await runCli(['sendmail', '--config', s.configFile, 'x@@docomo.ne.jp'], 'Subject: x\n\nx\n');
  assert.equal(arg.code, 65, arg.stderr);
  assert.match(arg.stderr, /x@@docomo\.ne\.jp.*two "@" signs/);
  const header = await runCli(['sendmail', '--config', s.configFile, '-t'], 'From: web@shop.test\nTo: ok@shop.test, x@@docomo.ne.jp\n\nx\n');
  assert.equal(header.code, 65, header.stderr);
  assert.match(header.stderr, /x@@docomo\.ne\.jp/);
  const refused = await runCli(['sendmail', '--config', s.configFile, '-f', 'web@shop.test', 'ok@shop.test'], 'From: someone@elsewhere.test\nSubject: x\n\nx\n');
  assert.equal(refused.code, 77, refused.stderr);
  assert.match(refused.stderr, /5\.7\.\d .*someone@elsewhere\.test/);
  const usage = await runCli(['sendmail', '--config', s.configFile, '-bp']);
  assert.equal(usage.code, 64, usage.stderr);
});

test('with the server stopped: exit 0, the message waits in the maildrop, delivered once when the server starts', async (t) => {
  const s = await setUp(t);
  // The server ran once before (it made the maildrop), and is stopped now.
  const first = await s.start();
  await first.stop();
  const run = await runCli(['sendmail', '--config', s.configFile, '-t', '-oi', '-odi', '-oem'], message('stopped'));
  assert.equal(run.code, 0, run.stderr);
  const maildrop = join(s.dataDir, 'maildrop');
  assert.equal(readdirSync(maildrop).filter((n) => !n.startsWith('.')).length, 1, 'one file in the maildrop');
  assert.equal(statSync(maildrop).mode & 0o7777, 0o3730);
  await s.start();
  await until('the message at the MX', () => payloads(s.mx).some((p) => p.includes('Subject: stopped')));
  await until('the maildrop emptied', () => readdirSync(maildrop).length === 0);
  assert.ok(commands(s.mx).includes('RCPT TO:<"taro..yamada"@docomo.ne.jp>'));
  // Another scan (5 s) must not send it again.
  await new Promise((r) => setTimeout(r, 5_500));
  // One transaction per recipient domain (docomo.ne.jp, shop.test for the Bcc), each once.
  assert.equal(commands(s.mx).filter((c) => c === 'RCPT TO:<"taro..yamada"@docomo.ne.jp>').length, 1, 'delivered once');
  assert.equal(commands(s.mx).filter((c) => c === 'RCPT TO:<audit@shop.test>').length, 1, 'delivered once to the Bcc');
  assert.equal(payloads(s.mx).filter((p) => p.includes('Subject: stopped')).length, 2);
});

test('a maildrop message the policy refuses becomes a bounce to its sender', async (t) => {
  const s = await setUp(t, { listeners: { relay: { maySendAs: ['*@shop.test'] } } });
  const first = await s.start();
  await first.stop();
  const run = await runCli(['sendmail', '--config', s.configFile, '-f', 'web@shop.test', 'taro..yamada@docomo.ne.jp'], 'From: someone@elsewhere.test\nSubject: refused later\n\nx\n');
  assert.equal(run.code, 0, run.stderr);
  await s.start();
  await until('the bounce at the sender', () => mx(s).some((c) => c.commands.includes('MAIL FROM:<>') && c.commands.includes('RCPT TO:<web@shop.test>')));
  assert.equal(readdirSync(join(s.dataDir, 'maildrop')).length, 0);
  assert.ok(!commands(s.mx).includes('RCPT TO:<"taro..yamada"@docomo.ne.jp>'), 'the refused message itself was not sent');
});
const mx = (s: Setup): RawPeer['connections'] => s.mx.connections;

test("PHP's mail() through a sendmail wrapper delivers", async (t) => {
  const php = spawnSync('php', ['--version'], { encoding: 'utf8' });
  if (php.status !== 0) {
    // Loud, not silent: .ci/run installs Debian's php-cli.
    t.skip('php-cli is not installed (apt-get install php-cli; .ci/run installs it)');
    return;
  }
  const s = await setUp(t);
  await s.start();
  const wrapper = join(tempDir(), 'sendmail');
  const quoted = [...cliCommand(), 'sendmail', '--config', s.configFile].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  writeFileSync(wrapper, `#!/bin/sh\nexec ${quoted} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const script = `var_dump(mail('taro..yamada@docomo.ne.jp', 'from php', "hello from PHP\\n", 'From: web@shop.test'));`;
  // Not spawnSync: the server runs in this process and must answer the socket meanwhile.
  const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn('php', ['-n', '-d', `sendmail_path=${wrapper} -t -i`, '-r', script]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /bool\(true\)/, run.stdout + run.stderr);
  await until('the PHP message at the MX', () => payloads(s.mx).some((p) => p.includes('Subject: from php')));
  assert.ok(commands(s.mx).includes('RCPT TO:<"taro..yamada"@docomo.ne.jp>'));
});

test('a 3 MiB message through the socket arrives whole (many chunks, one frame)', async (t) => {
  const s = await setUp(t);
  await s.start();
  const line = 'x'.repeat(76) + '\n';
  const body = line.repeat(Math.ceil((3 * 1024 * 1024) / line.length));
  const run = await runCli(['sendmail', '--config', s.configFile, '-i', 'audit@shop.test'], `From: web@shop.test\nSubject: big\n\n${body}`);
  assert.equal(run.code, 0, run.stderr);
  await until('the big message at the MX', () => payloads(s.mx).some((p) => p.includes('Subject: big')));
  const payload = payloads(s.mx).find((p) => p.includes('Subject: big'))!;
  assert.ok(payload.includes(Buffer.from(body.replace(/\n/g, '\r\n'))), 'the body unchanged (CRLF on the wire)');
});
