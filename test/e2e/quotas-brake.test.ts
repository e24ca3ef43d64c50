// Sending limits end to end: per-user and per-app-password quotas (with
// windows shortened through `quotas.hourWindow`), their survival across a
// restart, recipients per message, app passwords' own sender and network
// rules, and the compromised-account brake holding mail until `hikyaku user
// unflag` (the real CLI) releases it. Real sockets, real DNS, real MX.
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../helpers/smtp-sink.js';
import { SmtpDialog, type Reply } from '../helpers/smtp-dialog.js';
import { runCli, type CliRun, spawnHikyaku, startHikyaku, tempDir, testRawConfig, writeConfigFile, type Raw, type TestServer } from '../helpers/hikyaku.js';
import { UserStore } from '../../src/users/user-store.js';
import { openSqliteQueueStore } from '../../src/queue/sqlite-queue-store.js';
import { silentLogger } from '../../src/log/logger.js';
import { parseDuration } from '../../src/config/units.js';

let dns: TestDnsServer;
/** The MX of example.net: where every test message goes. */
let mx: SmtpSink;
/** The MX of admin.test: where the brake's alert goes. */
let adminMx: SmtpSink;

before(async () => {
  mx = await startSmtpSink({ host: '127.0.0.2' });
  adminMx = await startSmtpSink({ host: '127.0.0.3', port: mx.port });
  dns = await startDnsServer({
    'example.net': { MX: [{ preference: 10, exchange: 'mx.example.net' }] },
    'mx.example.net': { A: ['127.0.0.2'] },
    'admin.test': { MX: [{ preference: 10, exchange: 'mx.admin.test' }] },
    'mx.admin.test': { A: ['127.0.0.3'] },
  });
});

after(async () => {
  await mx?.close();
  await adminMx?.close();
  await dns?.close();
});

const env = (): { dns: string; mxPort: number } => ({ dns: dns.address, mxPort: mx.port });

async function serverFor(t: TestContext, over: Raw, options: { dataDir?: string } = {}): Promise<TestServer> {
  const server = await startHikyaku(env(), over, options);
  t.after(() => server.stop());
  return server;
}

// ---- SMTP helpers ----------------------------------------------------------------

const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** 587, STARTTLS, AUTH PLAIN: the reply to AUTH and the dialog. */
async function login(server: TestServer, user: string, password: string): Promise<{ d: SmtpDialog; auth: Reply }> {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission });
  assert.equal((await d.read()).code, 220);
  assert.equal((await d.command('EHLO client.test')).code, 250);
  assert.equal((await d.startTls()).code, 220);
  assert.equal((await d.command('EHLO client.test')).code, 250);
  const auth = await d.command(`AUTH PLAIN ${b64(`\0${user}\0${password}`)}`);
  return { d, auth };
}

async function session(server: TestServer, user: string, password: string): Promise<SmtpDialog> {
  const { d, auth } = await login(server, user, password);
  assert.equal(auth.code, 235, `AUTH as ${user}: ${auth.text}`);
  return d;
}

async function quit(d: SmtpDialog): Promise<void> {
  await d.command('QUIT').catch(() => undefined);
  await d.close();
}

interface Sent {
  readonly mail: Reply;
  readonly rcpt: Reply[];
  readonly data?: Reply;
}

/** One transaction; stops at a refused MAIL FROM, and when no recipient was accepted (then RSET). */
async function send(d: SmtpDialog, from: string, rcptTo: readonly string[], subject: string): Promise<Sent> {
  const mail = await d.command(`MAIL FROM:<${from}>`);
  if (mail.code !== 250) return { mail, rcpt: [] };
  const rcpt: Reply[] = [];
  for (const to of rcptTo) rcpt.push(await d.command(`RCPT TO:<${to}>`));
  if (!rcpt.some((r) => r.code === 250)) {
    await d.command('RSET');
    return { mail, rcpt };
  }
  assert.equal((await d.command('DATA')).code, 354);
  const data = await d.command(`From: <${from}>\r\nTo: <${rcptTo[0]}>\r\nSubject: ${subject}\r\n\r\n${subject}\r\n.`);
  return { mail, rcpt, data };
}

async function sendOk(d: SmtpDialog, from: string, rcptTo: readonly string[], subject: string): Promise<void> {
  const sent = await send(d, from, rcptTo, subject);
  assert.equal(sent.mail.code, 250, `MAIL FROM for "${subject}": ${sent.mail.text}`);
  assert.equal(sent.data?.code, 250, `DATA for "${subject}": ${sent.data?.text}`);
}

function subjectOf(mail: ReceivedMail): string | undefined {
  return /\r\nSubject: ([^\r\n]*)\r\n/i.exec(`\r\n${mail.raw.toString('utf8')}`)?.[1];
}

/** The message with this subject, once the sink has it (10 s at most). */
async function arrived(sink: SmtpSink, subject: string): Promise<ReceivedMail> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = sink.messages.find((m) => subjectOf(m) === subject);
    if (found) return found;
    const left = deadline - Date.now();
    assert.ok(left > 0, `"${subject}" did not reach ${sink.host} within 10 s; it has: ${sink.messages.map(subjectOf).join(' | ')}`);
    await sink.waitForMessages(sink.messages.length + 1, left).catch(() => undefined);
  }
}

/** After an abuse: a normal session of another user still sends, and the MX gets the message. */
async function normalMailFlows(server: TestServer, user: string, password: string, subject: string): Promise<void> {
  const d = await session(server, user, password);
  await sendOk(d, user, ['normal@example.net'], subject);
  await quit(d);
  await arrived(mx, subject);
}

/** The "resets at" time of a 450 4.7.1 quota reply. */
function resetsAt(reply: Reply): number {
  const at = /resets at (\S+)$/.exec(reply.text)?.[1];
  assert.ok(at, reply.text);
  const ms = Date.parse(at);
  assert.ok(Number.isFinite(ms), at);
  return ms;
}

function assertQuotaReply(reply: Reply, what: RegExp): void {
  assert.equal(reply.code, 450, reply.text);
  assert.equal(reply.enhanced, '4.7.1');
  assert.match(reply.text, what);
  assert.match(reply.text, /resets at \d{4}-\d\d-\d\dT/);
}

// ---- quotas ------------------------------------------------------------------------

test('messagesPerHour: the 4th message in the window gets 450 4.7.1 naming the limit; after the window it goes', async (t) => {
  const window = '6s';
  const server = await serverFor(t, { quotas: { user: { messagesPerHour: 3 }, hourWindow: window } });
  const user = 'hourly@shop.test';
  await server.addUser(user, 'hourly password');
  await server.addUser('other@shop.test', 'other password');

  const d = await session(server, user, 'hourly password');
  const firstAt = Date.now();
  for (let i = 1; i <= 3; i++) await sendOk(d, user, ['hourly@example.net'], `hourly ${i}`);
  const refused = await send(d, user, ['hourly@example.net'], 'hourly 4');
  assertQuotaReply(refused.mail, /3 messages per hour for user hourly@shop\.test/);
  const resetMs = resetsAt(refused.mail);
  // The oldest count leaves the window at most one window after it was made.
  assert.ok(resetMs > Date.now() - 1000 && resetMs <= firstAt + (parseDuration(window) as number) + 1000, `resets at ${new Date(resetMs).toISOString()}`);
  const logged = await server.waitForLog((r) => r.event === 'quota' && r['key'] === `user:${user}`);
  assert.equal(logged['limit'], 3);
  assert.equal(logged['window'], 'hour');

  // Another user is not affected.
  await normalMailFlows(server, 'other@shop.test', 'other password', 'hourly: someone else');

  // After the reset time the same session may send again (polled, with a deadline).
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, resetMs - Date.now())));
  const deadline = Date.now() + 5000;
  let mail = await d.command(`MAIL FROM:<${user}>`);
  while (mail.code !== 250 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    mail = await d.command(`MAIL FROM:<${user}>`);
  }
  assert.equal(mail.code, 250, `after the window: ${mail.text}`);
  await d.command('RSET');
  await sendOk(d, user, ['hourly@example.net'], 'hourly after the window');
  await quit(d);
  for (const subject of ['hourly 1', 'hourly 2', 'hourly 3', 'hourly after the window']) await arrived(mx, subject);
  assert.ok(!mx.messages.some((m) => subjectOf(m) === 'hourly 4'));
});

test('quota counters survive a restart on the same data directory', async (t) => {
  const dir = tempDir('hikyaku-quota-restart-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, 'data');
  // A long window: the restart certainly happens within it.
  const over = { quotas: { user: { messagesPerHour: 2 }, hourWindow: '10m' } };
  const user = 'restart@shop.test';

  const first = await startHikyaku(env(), over, { dataDir });
  try {
    await first.addUser(user, 'restart password');
    await first.addUser('steady@shop.test', 'steady password');
    const d = await session(first, user, 'restart password');
    await sendOk(d, user, ['restart@example.net'], 'restart 1');
    await sendOk(d, user, ['restart@example.net'], 'restart 2');
    await quit(d);
    // Delivered before the stop, so the stop has nothing in flight.
    await arrived(mx, 'restart 1');
    await arrived(mx, 'restart 2');
  } finally {
    await first.stop();
  }

  const second = await serverFor(t, over, { dataDir });
  const d = await session(second, user, 'restart password');
  const refused = await send(d, user, ['restart@example.net'], 'restart 3');
  assertQuotaReply(refused.mail, /2 messages per hour for user restart@shop\.test/);
  await quit(d);
  await normalMailFlows(second, 'steady@shop.test', 'steady password', 'restart: someone else');
  assert.ok(!mx.messages.some((m) => subjectOf(m) === 'restart 3'));
});

test('a per-user quota override: { quota: { messagesPerHour: 1 } } refuses the second message', async (t) => {
  const server = await serverFor(t, {});
  const user = 'single@shop.test';
  await server.addUser(user, 'single password', { quota: { messagesPerHour: 1 } });
  await server.addUser('plenty@shop.test', 'plenty password');

  const d = await session(server, user, 'single password');
  await sendOk(d, user, ['single@example.net'], 'single 1');
  const refused = await send(d, user, ['single@example.net'], 'single 2');
  assertQuotaReply(refused.mail, /1 messages per hour for user single@shop\.test/);
  await quit(d);
  await arrived(mx, 'single 1');
  await normalMailFlows(server, 'plenty@shop.test', 'plenty password', 'single: someone else');
  assert.ok(!mx.messages.some((m) => subjectOf(m) === 'single 2'));
});

test('recipientsPerMessage: the third RCPT gets 452 4.5.3 naming the limit; the message goes to the two, the session stays usable', async (t) => {
  const server = await serverFor(t, { quotas: { user: { recipientsPerMessage: 2 } } });
  const user = 'list@shop.test';
  await server.addUser(user, 'list password');

  const d = await session(server, user, 'list password');
  const sent = await send(d, user, ['r1@example.net', 'r2@example.net', 'r3@example.net'], 'three recipients');
  assert.equal(sent.mail.code, 250);
  assert.deepEqual(
    sent.rcpt.map((r) => r.code),
    [250, 250, 452],
  );
  const third = sent.rcpt[2] as Reply;
  assert.equal(third.enhanced, '4.5.3');
  assert.match(third.text, /at most 2 per message for list@shop\.test/);
  assert.equal(sent.data?.code, 250, sent.data?.text);
  // The same session sends on.
  await sendOk(d, user, ['r4@example.net'], 'same session after 452');
  await quit(d);
  const received = await arrived(mx, 'three recipients');
  assert.deepEqual([...received.rcptTo].sort(), ['r1@example.net', 'r2@example.net']);
  assert.ok(!mx.messages.some((m) => m.rcptTo.includes('r3@example.net')));
  await arrived(mx, 'same session after 452');
});

// ---- app passwords -----------------------------------------------------------------

test('app password: logs in, its own maySendAs and quota apply, the credential is named; a network-restricted one is refused with 535', async (t) => {
  const server = await serverFor(t, {});
  const user = 'owner@shop.test';
  await server.addUser(user, 'owner password');
  const users = UserStore.open(server.dataDir);
  let shopPassword: string;
  let officePassword: string;
  try {
    shopPassword = users.addAppPassword(user, { label: 'shop', maySendAs: ['news@shop.test'], quota: { messagesPerHour: 1 } });
    officePassword = users.addAppPassword(user, { label: 'office', networks: ['192.0.2.0/24'] });
  } finally {
    users.close();
  }

  const d = await session(server, user, shopPassword);
  const auth = await server.waitForLog((r) => r.event === 'auth' && r['user'] === user && r['credential'] === 'app-password:shop');
  assert.equal(auth['clientIp'], '127.0.0.1');

  // The app password's own maySendAs replaces the user's default (its own address).
  const outside = await send(d, user, ['app@example.net'], 'app: as the owner');
  assert.equal(outside.mail.code, 553, outside.mail.text);
  assert.equal(outside.mail.enhanced, '5.7.1');
  assert.match(outside.mail.text, /<owner@shop\.test> is not allowed for owner@shop\.test \(app password shop\)/);
  await server.waitForLog((r) => r.event === 'sender-denied' && r['mailFrom'] === user);

  await sendOk(d, 'news@shop.test', ['app@example.net'], 'app: newsletter 1');
  const accepted = await server.waitForLog((r) => r.event === 'accepted' && r['mailFrom'] === 'news@shop.test');
  assert.equal(accepted['user'], user);
  assert.equal(accepted['credential'], 'app-password:shop', 'the acceptance line names the credential');
  const refused = await send(d, 'news@shop.test', ['app@example.net'], 'app: newsletter 2');
  assertQuotaReply(refused.mail, /1 messages per hour for app password owner@shop\.test\/shop/);
  await quit(d);
  await arrived(mx, 'app: newsletter 1');

  // The user's own password is not limited by the app password's quota.
  await normalMailFlows(server, user, 'owner password', 'app: the owner with the main password');

  // Allowed only from 192.0.2.0/24: from 127.0.0.1 the right password is refused like a wrong one.
  const office = await login(server, user, officePassword);
  assert.equal(office.auth.code, 535, office.auth.text);
  assert.equal(office.auth.enhanced, '5.7.8');
  await quit(office.d);
  const failed = await server.waitForLog((r) => r.event === 'auth-failed' && r['login'] === user);
  assert.equal(failed['reason'], 'network-not-allowed');
  assert.ok(!mx.messages.some((m) => subjectOf(m) === 'app: newsletter 2' || subjectOf(m) === 'app: as the owner'));
});

/**
 * A server in its own process (a crash must not take the test runner with
 * it) with one user and, when asked, one app password without a quota of
 * its own; the reply to MAIL FROM after AUTH PLAIN with that credential.
 */
async function mailFromInChild(t: TestContext, over: Raw, useAppPassword: boolean): Promise<{ reply: Reply | Error; exited: boolean }> {
  const dir = tempDir('hikyaku-zero-limit-');
  const dataDir = join(dir, 'data');
  const user = 'zero@shop.test';
  const users = UserStore.open(dataDir);
  let password = 'zero limit password';
  try {
    await users.add(user, password);
    if (useAppPassword) password = users.addAppPassword(user, { label: 'plain' });
  } finally {
    users.close();
  }
  const child = await spawnHikyaku(['--config', writeConfigFile(dir, testRawConfig(env(), dataDir, over))], { expectListeners: 3 });
  t.after(async () => {
    if (child.process.exitCode === null && child.process.signalCode === null) {
      child.process.kill('SIGTERM');
      await child.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: child.ports['submission'] as number });
  await d.read();
  await d.command('EHLO client.test');
  await d.startTls();
  await d.command('EHLO client.test');
  assert.equal((await d.command(`AUTH PLAIN ${b64(`\0${user}\0${password}`)}`)).code, 235);
  const reply = await d.command(`MAIL FROM:<${user}>`).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  await quit(d);
  const exited = await Promise.race([child.exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000))]);
  return { reply, exited };
}

test('an app password without a quota of its own, default quotas.appPassword (0 = no limit): MAIL FROM is accepted', async (t) => {
  const { reply, exited } = await mailFromInChild(t, {}, true);
  assert.equal(exited, false, 'the server process is still running');
  assert.ok(!(reply instanceof Error), `no reply to MAIL FROM: ${String(reply)}`);
  assert.equal(reply.code, 250, reply.text);
});

test('quotas.user.messagesPerHour: 0 (documented "no limit"): MAIL FROM is accepted', async (t) => {
  const { reply, exited } = await mailFromInChild(t, { quotas: { user: { messagesPerHour: 0 } } }, false);
  assert.equal(exited, false, 'the server process is still running');
  assert.ok(!(reply instanceof Error), `no reply to MAIL FROM: ${String(reply)}`);
  assert.equal(reply.code, 250, reply.text);
});

// ---- the brake ---------------------------------------------------------------------

/**
 * The brake counts in windows aligned to the epoch. A window that ends
 * during the test would start the count again (and make the previous window
 * the sender's "normal"), so pick a length whose current window has at least
 * ten minutes left.
 */
function brakeWindowWithRoom(nowMs: number): string {
  for (let minutes = 60; minutes < 80; minutes++) {
    const ms = minutes * 60_000;
    if (ms - (nowMs % ms) > 10 * 60_000) return `${minutes}m`;
  }
  throw new Error('no brake window with room (cannot happen: 20 window lengths cannot all end within 10 minutes)');
}


async function heldMessages(dataDir: string): Promise<{ id: string; holdReason: string | undefined; subject: string | undefined }[]> {
  const queue = await openSqliteQueueStore({ dataDir, logger: silentLogger() });
  try {
    const out = [];
    for (const m of await queue.list()) {
      if (!m.held) continue;
      const raw = (await queue.readMessage(m.id))?.toString('utf8') ?? '';
      out.push({ id: m.id, holdReason: m.holdReason, subject: /\r\nSubject: ([^\r\n]*)\r\n/i.exec(raw)?.[1] });
    }
    return out;
  } finally {
    await queue.close();
  }
}

test('brake: a burst trips it; later mail is held (not delivered), logged, the admin alerted; `user unflag` sends the held mail and new mail flows', async (t) => {
  const dir = tempDir('hikyaku-brake-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, 'data');
  const over = { brake: { floor: 5, factor: 10, window: brakeWindowWithRoom(Date.now()), alertAddress: 'postmaster@admin.test' } };
  const configFile = writeConfigFile(dir, testRawConfig(env(), dataDir, over));
  const server = await serverFor(t, over, { dataDir });
  const user = 'burst@shop.test';
  await server.addUser(user, 'burst password');
  await server.addUser('calm@shop.test', 'calm password');

  // A new credential has no history: the floor (5) alone applies, so the 6th message trips.
  const d = await session(server, user, 'burst password');
  for (let i = 1; i <= 8; i++) await sendOk(d, user, ['burst@example.net'], `burst ${i}`);
  await quit(d);

  const brake = await server.waitForLog((r) => r.event === 'brake');
  assert.equal(brake['key'], `user:${user}`);
  assert.equal(brake['current'], 6);
  assert.equal(brake['threshold'], 5);
  assert.match(String(brake['hint']), /hikyaku user unflag burst@shop\.test/);

  // The admin's alert reaches the MX of the alert address.
  const [alert] = await adminMx.waitForMessages(1);
  assert.ok(alert);
  assert.equal(alert.mailFrom, '', 'sent with the null sender');
  assert.deepEqual(alert.rcptTo, ['postmaster@admin.test']);
  const parsed = await simpleParser(alert.raw);
  assert.match(parsed.subject ?? '', /Mail held: burst@shop\.test/);
  assert.match(parsed.text ?? '', /hikyaku user unflag burst@shop\.test/);
  assert.match(parsed.text ?? '', /6 messages in the current window, normal 0\.0, threshold 5/);

  // Messages 1–5 go out; 6 (the one that trips it), 7 and 8 are held in the queue with the brake's reason.
  for (let i = 1; i <= 5; i++) await arrived(mx, `burst ${i}`);
  const held = await heldMessages(dataDir);
  const heldSubjects = held.map((h) => h.subject).sort();
  assert.ok(heldSubjects.includes('burst 7') && heldSubjects.includes('burst 8'), `held: ${heldSubjects.join(', ')}`);
  for (const h of held) assert.equal(h.holdReason, `brake:user:${user}`);
  for (const i of [6, 7, 8]) {
    const accepted = await server.waitForLog((r) => r.event === 'accepted' && typeof r['queueId'] === 'string' && held.some((h) => h.id === r['queueId'] && h.subject === `burst ${i}`));
    assert.equal(accepted['held'], `brake:user:${user}`);
  }

  assert.ok(heldSubjects.includes('burst 6'), `the message that trips the brake is held too: ${heldSubjects.join(', ')}`);

  // A new session of the braked user is accepted and held as well.
  const again = await session(server, user, 'burst password');
  await sendOk(again, user, ['burst@example.net'], 'burst 9');
  await quit(again);
  const heldBefore = await heldMessages(dataDir);
  assert.ok(heldBefore.some((h) => h.subject === 'burst 9'));

  // Someone else's mail is not held.
  await normalMailFlows(server, 'calm@shop.test', 'calm password', 'brake: someone else');
  // Held mail never reached the MX.
  for (const subject of ['burst 6', 'burst 7', 'burst 8', 'burst 9']) assert.ok(!mx.messages.some((m) => subjectOf(m) === subject), `${subject} was delivered while held`);

  // `queue list` tells the admin why they wait.
  const listed = await runCli(['queue', 'list', '--json', '--config', configFile]);
  assert.equal(listed.code, 0, listed.stderr);
  const queued = JSON.parse(listed.stdout) as { held: boolean; holdReason?: string }[];
  assert.ok(queued.some((m) => m.held && m.holdReason === `brake:user:${user}`), listed.stdout);
  const plainList = await runCli(['queue', 'list', '--config', configFile]);
  assert.match(plainList.stdout, new RegExp(`held \\(brake:user:${user.replace('.', '\\.')}\\)`));

  // The admin releases the account with the real CLI, against the running server's data directory.
  const unflag = await runCli(['user', 'unflag', user, '--config', configFile]);
  assert.equal(unflag.code, 0, unflag.stderr);
  assert.match(unflag.stdout, new RegExp(`released for delivery: ${heldBefore.length}\\b`));
  assert.deepEqual(await heldMessages(dataDir), [], 'nothing is held after the release');
  for (const subject of ['burst 6', 'burst 7', 'burst 8', 'burst 9']) await arrived(mx, subject);

  // New mail of the released user flows at once, not held.
  const after = await session(server, user, 'burst password');
  await sendOk(after, user, ['burst@example.net'], 'burst after unflag');
  await quit(after);
  await arrived(mx, 'burst after unflag');
  const lastAccepted = server.logs.filter((r) => r.event === 'accepted' && r['user'] === user).at(-1);
  assert.equal(lastAccepted?.['held'], undefined);
});
