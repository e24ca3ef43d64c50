// Legacy Japanese mobile-carrier addresses end to end (issue 15): addresses
// such as taro..yamada@docomo.ne.jp break the RFC 5321 Dot-string, but people
// still have them. Through real submission (587, STARTTLS, AUTH), the whole
// server, a real DNS server and a hand-written MX that records every command
// line: they are accepted, sent quoted ("taro..yamada"@docomo.ne.jp), and a
// 550 for one produces a DSN that tells the sender what to do. Malformed
// addresses are refused with 501 and the problem named.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer } from '../helpers/dns-server.js';
import { SmtpDialog, type Reply } from '../helpers/smtp-dialog.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startHikyaku, type TestServer } from '../helpers/hikyaku.js';
import { parseDsn } from '../helpers/dsn-parse.js';
import { startRawPeer, type RawPeer } from '../outbound/raw-smtp-peer.js';

const USER = 'web@shop.test';
const PASSWORD = 'carrier horse battery';
const GONE = 'gone..user@docomo.ne.jp';

async function setUp(t: TestContext): Promise<{ server: TestServer; mx: RawPeer }> {
  // One MX host for the carriers and for the sender's domain (where the DSN goes).
  const mx = await startRawPeer(t, {
    host: '127.0.0.2',
    pipelining: true,
    answer: (command) =>
      command.startsWith('RCPT TO:<"gone..user"@') ? '550 5.1.1 Unknown user' : command.startsWith('RCPT TO:<"slow..user"@') ? '451 4.3.0 Try again later' : undefined,
  });
  const dns = await startDnsServer({
    'docomo.ne.jp': { MX: [{ preference: 10, exchange: 'mfsmax.docomo.ne.jp' }] },
    'mfsmax.docomo.ne.jp': { A: ['127.0.0.2'] },
    'ezweb.ne.jp': { MX: [{ preference: 10, exchange: 'lsean.ezweb.ne.jp' }] },
    'lsean.ezweb.ne.jp': { A: ['127.0.0.2'] },
    'shop.test': { MX: [{ preference: 10, exchange: 'mx.shop.test' }] },
    'mx.shop.test': { A: ['127.0.0.2'] },
  });
  t.after(() => dns.close());
  const server = await startHikyaku({ dns: dns.address, mxPort: mx.port });
  t.after(() => server.stop());
  await server.addUser(USER, PASSWORD);
  return { server, mx };
}

async function session(server: TestServer): Promise<SmtpDialog> {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission });
  assert.equal((await d.read()).code, 220);
  assert.equal((await d.command('EHLO client.test')).code, 250);
  assert.equal((await d.startTls()).code, 220);
  assert.equal((await d.command('EHLO client.test')).code, 250);
  const plain = Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64');
  assert.equal((await d.command(`AUTH PLAIN ${plain}`)).code, 235);
  return d;
}

/** Submit one message; returns its queue id. */
async function submit(server: TestServer, rcptTo: string[], subject: string): Promise<string> {
  const d = await session(server);
  assertReply(await d.command(`MAIL FROM:<${USER}>`), 250);
  for (const r of rcptTo) assertReply(await d.command(`RCPT TO:<${r}>`), 250);
  assertReply(await d.command('DATA'), 354);
  const reply = await d.command(`From: <${USER}>\r\nTo: undisclosed-recipients:;\r\nSubject: ${subject}\r\n\r\nbody\r\n.`);
  assertReply(reply, 250);
  await d.command('QUIT');
  await d.close();
  const id = /queued as ([0-9A-Z]+)/.exec(reply.text)?.[1];
  assert.ok(id, reply.text);
  return id;
}

function assertReply(reply: Reply, code: number, enhanced?: string, text?: RegExp): void {
  const label = `${reply.code} ${reply.text}`;
  assert.equal(reply.code, code, label);
  if (enhanced !== undefined) assert.equal(reply.enhanced, enhanced, label);
  if (text !== undefined) assert.match(reply.text, text, label);
}

/** Every command line the MX received, over all connections. */
function commands(mx: RawPeer): string[] {
  return mx.connections.flatMap((c) => c.commands);
}

async function until(what: string, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('legacy carrier addresses through submission, delivery and bounce', async (t) => {
  const { server, mx } = await setUp(t);

  await t.test('accepted and sent quoted to the MX; a Dot-string goes unquoted', async () => {
    await submit(server, ['taro..yamada@docomo.ne.jp', 'hanako.@ezweb.ne.jp', '.taro@docomo.ne.jp', 'taro.yamada@docomo.ne.jp'], 'unquoted');
    // The quoted form in a message of its own: a second RCPT for the same mailbox is another matter (de-duplication).
    await submit(server, ['"taro..yamada"@docomo.ne.jp'], 'quoted');
    const expected = [
      'RCPT TO:<"taro..yamada"@docomo.ne.jp>',
      'RCPT TO:<"hanako."@ezweb.ne.jp>',
      'RCPT TO:<".taro"@docomo.ne.jp>',
      'RCPT TO:<taro.yamada@docomo.ne.jp>',
    ];
    await until('the RCPT commands at the MX', () => expected.every((e) => commands(mx).includes(e)));
    await until('both messages delivered', () => commands(mx).filter((c) => c === 'RCPT TO:<"taro..yamada"@docomo.ne.jp>').length === 2);
    const rcpts = commands(mx).filter((c) => c.startsWith('RCPT'));
    assert.deepEqual(
      rcpts.filter((c) => !/^RCPT TO:<("[^"]+"|[^".]+(\.[^".]+)*)@[a-z.]+>$/.test(c)),
      [],
      'every RCPT is valid RFC 5321: quoted, or a plain Dot-string',
    );
    assert.ok(commands(mx).some((c) => c.startsWith(`MAIL FROM:<${USER}>`)), 'a Dot-string sender goes unquoted');
  });

  await t.test('malformed addresses are refused with 501 and the problem named', async () => {
    const d = await session(server);
    assertReply(await d.command('MAIL FROM:<x@@shop.test>'), 501, '5.1.7', /two "@" signs/);
    assertReply(await d.command(`MAIL FROM:<${USER}>`), 250);
    assertReply(await d.command('RCPT TO:<x@@docomo.ne.jp>'), 501, '5.1.3', /two "@" signs/);
    assertReply(await d.command('RCPT TO:<@docomo.ne.jp>'), 501, '5.1.3', /empty local part/);
    assertReply(await d.command('RCPT TO:<taro yamada@docomo.ne.jp>'), 501, '5.1.3', /space outside quotes/);
    assertReply(await d.command('RCPT TO:<taro@>'), 501, '5.1.3', /missing domain/);
    // An unbalanced quote hides the closing ">": the path itself has no end (command-line.ts).
    assertReply(await d.command('RCPT TO:<"taro..yamada@docomo.ne.jp>'), 501, '5.1.3', /unbalanced quotes/);
    assertReply(await d.command('RCPT TO:<taro@docomo>'), 501, '5.1.3', /invalid domain "docomo"/);
    // The session goes on after each refusal.
    assertReply(await d.command('RCPT TO:<taro..yamada@docomo.ne.jp>'), 250);
    await d.command('QUIT');
    await d.close();
  });

  await t.test('a 550 from the carrier: the DSN gives the address quoted and tells the sender what to do', async () => {
    const id = await submit(server, [GONE], 'gone');
    await until('the DSN at the sender domain MX', () => mx.connections.some((c) => c.commands.includes('MAIL FROM:<>') && c.payloads.some((p) => p.includes(id))));
    assert.ok(commands(mx).includes('RCPT TO:<"gone..user"@docomo.ne.jp>'));
    const payload = mx.connections.flatMap((c) => c.payloads).find((p) => p.includes(id));
    assert.ok(payload);
    const dsn = await parseDsn(payload);
    assert.equal(dsn.recipients.length, 1);
    const r = dsn.recipients[0]!;
    assert.equal(r['final-recipient'], 'rfc822; "gone..user"@docomo.ne.jp');
    assert.equal(r['status'], '5.1.1');
    assert.match(r['diagnostic-code'] ?? '', /^smtp; 550 5\.1\.1 Unknown user/);
    assert.ok(dsn.text.includes('<"gone..user"@docomo.ne.jp>'), dsn.text);
    assert.ok(dsn.text.includes('メールの規格 (RFC 5321) に合わない形式'), dsn.text);
    assert.ok(dsn.text.includes('携帯電話会社で新しいメールアドレスを登録'), dsn.text);
    assert.match(dsn.text, /breaks the mail standard \(RFC 5321\)/);
    assert.match(dsn.text, /register a new\s+address with their mobile carrier/);
  });

  await t.test('queue list --to finds a queued message by either form of the address', async () => {
    const id = await submit(server, ['slow..user@docomo.ne.jp'], 'deferred');
    await until('the 451 at the MX', () => commands(mx).includes('RCPT TO:<"slow..user"@docomo.ne.jp>'));
    await server.waitForLog((r) => r['event'] === 'delivery' && r['queueId'] === id && r['status'] === 'deferred');
    const configFile = join(server.dataDir, 'cli.yaml');
    writeFileSync(configFile, `dataDir: ${JSON.stringify(server.dataDir)}\n`);
    const ids = async (to: string): Promise<string[]> => {
      const run = await runCli(['queue', 'list', '--json', '--to', to, '--config', configFile]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      return (JSON.parse(run.stdout) as { id: string }[]).map((m) => m.id);
    };
    assert.deepEqual(await ids('"slow..user"@docomo.ne.jp'), [id]);
    assert.deepEqual(await ids('slow..user@DOCOMO.ne.jp'), [id]);
    assert.deepEqual(await ids('slow.user@docomo.ne.jp'), []);
    const bad = await runCli(['queue', 'list', '--to', 'x@@docomo.ne.jp', '--config', configFile]);
    assert.equal(bad.code, 2);
    assert.match(bad.stdout, /--to x@@docomo\.ne\.jp: not an address/);
  });
});
