// SCRAM-SHA-256 (RFC 7677 / RFC 5802) and CRAM-MD5 (RFC 2195) over real
// sockets: port 587, STARTTLS, then AUTH. The client side of each exchange
// is written here from the RFC formulas with node:crypto, so the test checks
// the server against the standard, not against its own code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { SmtpDialog, type Reply } from '../helpers/smtp-dialog.js';
import { startHikyaku, type TestServer } from '../helpers/hikyaku.js';
import { UserStore } from '../../src/users/user-store.js';
import { loadCramKey } from '../../src/users/cram-key.js';

let dns: TestDnsServer;
let mx: SmtpSink;
/** The defaults: CRAM-MD5 off. */
let server: TestServer;
/** `auth.cramMd5: true`. */
let cramServer: TestServer;

const USER = 'scram@shop.test';
const PASSWORD = 'scram pencil sharpener';
const CRAM_USER = 'cram@shop.test';
const CRAM_PASSWORD = 'cram notebook binder';

before(async () => {
  mx = await startSmtpSink({ host: '127.0.0.2' });
  dns = await startDnsServer({
    'example.net': { MX: [{ preference: 10, exchange: 'mx.example.net' }] },
    'mx.example.net': { A: ['127.0.0.2'] },
  });
  const env = { dns: dns.address, mxPort: mx.port };
  server = await startHikyaku(env);
  cramServer = await startHikyaku(env, { auth: { cramMd5: true } });
  await server.addUser(USER, PASSWORD);
  // As `hikyaku user add` does beside a server with CRAM-MD5 on: the store is
  // opened with the key the server made, so the password is kept for CRAM-MD5.
  const users = UserStore.open(cramServer.dataDir, { cramKey: loadCramKey(cramServer.dataDir) });
  try {
    await users.add(CRAM_USER, CRAM_PASSWORD);
  } finally {
    users.close();
  }
});

after(async () => {
  await server?.stop();
  await cramServer?.stop();
  await mx?.close();
  await dns?.close();
});

// ---- helpers -----------------------------------------------------------------

const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');
const unb64 = (text: string): string => Buffer.from(text, 'base64').toString('utf8');
const hmac = (algorithm: string, key: Buffer | string, data: string): Buffer => createHmac(algorithm, key).update(data, 'utf8').digest();
const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

function xor(a: Buffer, b: Buffer): Buffer {
  assert.equal(a.length, b.length);
  return Buffer.from(a.map((byte, i) => byte ^ (b[i] ?? 0)));
}

/** Greeting, EHLO, STARTTLS, EHLO again: a dialog ready for AUTH, with the EHLO reply after TLS. */
async function openSecure(target: TestServer): Promise<{ d: SmtpDialog; ehlo: Reply }> {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: target.ports.submission });
  assert.equal((await d.read()).code, 220);
  assert.equal((await d.command('EHLO client.test')).code, 250);
  assert.equal((await d.startTls()).code, 220);
  const ehlo = await d.command('EHLO client.test');
  assert.equal(ehlo.code, 250);
  return { d, ehlo };
}

/** MAIL, RCPT, DATA of one small message; the final reply. */
async function sendOne(d: SmtpDialog, from: string, to: string, subject: string): Promise<Reply> {
  assert.equal((await d.command(`MAIL FROM:<${from}>`)).code, 250);
  assert.equal((await d.command(`RCPT TO:<${to}>`)).code, 250);
  assert.equal((await d.command('DATA')).code, 354);
  return d.command(`From: <${from}>\r\nTo: <${to}>\r\nSubject: ${subject}\r\n\r\n${subject}\r\n.`);
}

/** Waits until the MX has a message for `to` and returns it. */
async function receivedFor(to: string): Promise<{ rcptTo: string[]; mailFrom: string; raw: Buffer }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = mx.messages.find((m) => m.rcptTo.includes(to));
    if (found) return found;
    assert.ok(Date.now() < deadline, `no message for ${to} at the MX within 10 s`);
    await mx.waitForMessages(mx.messages.length + 1, Math.max(1, deadline - Date.now())).catch(() => undefined);
  }
}

interface ServerFirst {
  readonly nonce: string;
  readonly salt: Buffer;
  readonly iterations: number;
  readonly text: string;
}

/** RFC 5802 §7: server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count. */
function parseServerFirst(text: string): ServerFirst {
  const m = /^r=([^,]+),s=([A-Za-z0-9+/=]+),i=(\d+)$/.exec(text);
  assert.ok(m, `server-first message: ${text}`);
  return { nonce: m[1] as string, salt: Buffer.from(m[2] as string, 'base64'), iterations: Number(m[3]), text };
}

/** The client side of SCRAM-SHA-256 (RFC 5802 §3), from the formulas. */
class ScramClient {
  readonly clientNonce = randomBytes(18).toString('base64');
  readonly gs2Header = 'n,,';
  readonly clientFirstBare: string;

  constructor(readonly user: string) {
    // RFC 5802 §5.1: ',' and '=' in the name are written =2C and =3D.
    this.clientFirstBare = `n=${user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${this.clientNonce}`;
  }

  get clientFirst(): string {
    return this.gs2Header + this.clientFirstBare;
  }

  /** client-final-message and the ServerSignature the server must prove with. */
  final(serverFirst: ServerFirst, password: string): { clientFinal: string; serverSignature: Buffer } {
    const saltedPassword = pbkdf2Sync(password, serverFirst.salt, serverFirst.iterations, 32, 'sha256');
    const clientKey = hmac('sha256', saltedPassword, 'Client Key');
    const storedKey = sha256(clientKey);
    const serverKey = hmac('sha256', saltedPassword, 'Server Key');
    // c= is the base64 of the gs2 header (no channel binding data): "biws" for "n,,".
    const withoutProof = `c=${b64(this.gs2Header)},r=${serverFirst.nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst.text},${withoutProof}`;
    const clientSignature = hmac('sha256', storedKey, authMessage);
    const clientProof = xor(clientKey, clientSignature);
    const serverSignature = hmac('sha256', serverKey, authMessage);
    return { clientFinal: `${withoutProof},p=${clientProof.toString('base64')}`, serverSignature };
  }
}

/** AUTH SCRAM-SHA-256 with the client-first as initial response; the server-first it answered with. */
async function scramBegin(d: SmtpDialog, client: ScramClient): Promise<ServerFirst> {
  const reply = await d.command(`AUTH SCRAM-SHA-256 ${b64(client.clientFirst)}`);
  assert.equal(reply.code, 334, reply.text);
  const serverFirst = parseServerFirst(unb64(reply.text));
  assert.ok(serverFirst.nonce.startsWith(client.clientNonce) && serverFirst.nonce.length > client.clientNonce.length, 'the nonce extends ours');
  // RFC 7677 §4: at least 4096 iterations.
  assert.ok(serverFirst.iterations >= 4096, `iterations ${serverFirst.iterations}`);
  return serverFirst;
}

function cramDigest(password: string, challenge: string): string {
  return hmac('md5', password, challenge).toString('hex');
}

// ---- EHLO --------------------------------------------------------------------

test('EHLO: no AUTH before TLS; after STARTTLS AUTH PLAIN LOGIN SCRAM-SHA-256, and CRAM-MD5 only when auth.cramMd5 is on', async () => {
  const plain = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission });
  await plain.read();
  const clear = await plain.command('EHLO client.test');
  assert.ok(!clear.lines.some((l) => l.startsWith('AUTH')), clear.text);
  await plain.close();

  const { d, ehlo } = await openSecure(server);
  assert.deepEqual(
    ehlo.lines.filter((l) => l.startsWith('AUTH')),
    ['AUTH PLAIN LOGIN SCRAM-SHA-256'],
  );
  await d.command('QUIT');
  await d.close();

  const withCram = await openSecure(cramServer);
  assert.deepEqual(
    withCram.ehlo.lines.filter((l) => l.startsWith('AUTH')),
    ['AUTH PLAIN LOGIN SCRAM-SHA-256 CRAM-MD5'],
  );
  await withCram.d.command('QUIT');
  await withCram.d.close();
});

test('AUTH before STARTTLS is refused with 530 5.7.0 for every mechanism', async () => {
  for (const [target, mechanisms] of [
    [server, ['PLAIN', 'LOGIN', 'SCRAM-SHA-256']],
    [cramServer, ['PLAIN', 'LOGIN', 'SCRAM-SHA-256', 'CRAM-MD5']],
  ] as const) {
    const d = await SmtpDialog.open({ host: '127.0.0.1', port: target.ports.submission });
    await d.read();
    await d.command('EHLO client.test');
    for (const mechanism of mechanisms) {
      const bare = await d.command(`AUTH ${mechanism}`);
      assert.equal(bare.code, 530, `${mechanism}: ${bare.text}`);
      assert.equal(bare.enhanced, '5.7.0');
    }
    const withInitial = await d.command(`AUTH SCRAM-SHA-256 ${b64(new ScramClient(USER).clientFirst)}`);
    assert.equal(withInitial.code, 530);
    assert.equal(withInitial.enhanced, '5.7.0');
    const plain = await d.command(`AUTH PLAIN ${b64(`\0${USER}\0${PASSWORD}`)}`);
    assert.equal(plain.code, 530);
    // The session is still usable: it can go on to STARTTLS.
    assert.equal((await d.startTls()).code, 220);
    await d.command('QUIT');
    await d.close();
  }
});

// ---- SCRAM-SHA-256 -----------------------------------------------------------

// USER never logs in with PLAIN/LOGIN in this file (that would make the keys on the fly):
// a user made by `addUser` has SCRAM keys from the start.
test('SCRAM-SHA-256: a full exchange, the server signature verified; the message then reaches the MX', async () => {
  const { d } = await openSecure(server);
  const client = new ScramClient(USER);
  const serverFirst = await scramBegin(d, client);
  const { clientFinal, serverSignature } = client.final(serverFirst, PASSWORD);

  const serverFinal = await d.command(b64(clientFinal));
  assert.equal(serverFinal.code, 334, serverFinal.text);
  // RFC 5802 §3: the client authenticates the server by its signature.
  assert.equal(unb64(serverFinal.text), `v=${serverSignature.toString('base64')}`);

  const done = await d.command('');
  assert.equal(done.code, 235, done.text);
  assert.equal(done.enhanced, '2.7.0');
  const auth = await server.waitForLog((r) => r.event === 'auth' && r['user'] === USER);
  assert.equal(auth['credential'], 'password');

  const sent = await sendOne(d, USER, 'scram@example.net', 'after SCRAM');
  assert.equal(sent.code, 250, sent.text);
  await d.command('QUIT');
  await d.close();
  const received = await receivedFor('scram@example.net');
  assert.equal(received.mailFrom, USER);
  assert.match(received.raw.toString('utf8'), /\r\nSubject: after SCRAM\r\n/);
});

test('SCRAM-SHA-256 without an initial response: an empty 334, then the same exchange', async () => {
  const { d } = await openSecure(server);
  const empty = await d.command('AUTH SCRAM-SHA-256');
  assert.equal(empty.code, 334);
  assert.equal(empty.text, '');
  const client = new ScramClient(USER);
  const first = await d.command(b64(client.clientFirst));
  assert.equal(first.code, 334);
  const { clientFinal, serverSignature } = client.final(parseServerFirst(unb64(first.text)), PASSWORD);
  const final = await d.command(b64(clientFinal));
  assert.equal(unb64(final.text), `v=${serverSignature.toString('base64')}`);
  assert.equal((await d.command('')).code, 235);
  await d.command('QUIT');
  await d.close();
});

test('SCRAM-SHA-256 with a wrong password: 535 5.7.8 after the tarpit, auth-failed logged, no server signature', async () => {
  const { d } = await openSecure(server);
  const client = new ScramClient(USER);
  const serverFirst = await scramBegin(d, client);
  const { clientFinal } = client.final(serverFirst, 'not the password');
  const sentAt = Date.now();
  const failed = await d.command(b64(clientFinal));
  // The tarpit (auth.tarpitDelay, 50 ms in the test configuration) comes first: a lower bound, not a speed.
  assert.ok(Date.now() - sentAt >= server.config.auth.tarpitDelayMs - 5, `answered after ${Date.now() - sentAt} ms`);
  assert.equal(failed.code, 535, failed.text);
  assert.equal(failed.enhanced, '5.7.8');
  const logged = await server.waitForLog((r) => r.event === 'auth-failed' && r['login'] === USER);
  assert.equal(logged['reason'], 'bad-credentials');
  assert.equal(logged['clientIp'], '127.0.0.1');
  // The session goes on: a right exchange still succeeds.
  const again = new ScramClient(USER);
  const second = again.final(await scramBegin(d, again), PASSWORD);
  assert.equal(unb64((await d.command(b64(second.clientFinal))).text), `v=${second.serverSignature.toString('base64')}`);
  assert.equal((await d.command('')).code, 235);
  await d.command('QUIT');
  await d.close();
});

test('SCRAM-SHA-256 for an unknown user: a server-first like any other (stable salt, same iterations), then 535', async () => {
  const known = await openSecure(server);
  const knownFirst = await scramBegin(known.d, new ScramClient(USER));
  await known.d.command('*'); // cancel
  await known.d.command('QUIT');
  await known.d.close();

  const ghost = 'nobody@shop.test';
  const salts: string[] = [];
  for (let i = 0; i < 2; i++) {
    const { d } = await openSecure(server);
    const client = new ScramClient(ghost);
    const serverFirst = await scramBegin(d, client);
    assert.equal(serverFirst.iterations, knownFirst.iterations, 'same iteration count as a real user');
    assert.equal(serverFirst.salt.length, knownFirst.salt.length, 'same salt length as a real user');
    salts.push(serverFirst.salt.toString('base64'));
    const failed = await d.command(b64(client.final(serverFirst, PASSWORD).clientFinal));
    assert.equal(failed.code, 535, failed.text);
    assert.equal(failed.enhanced, '5.7.8');
    await d.command('QUIT');
    await d.close();
  }
  // A salt that changed per attempt would tell the name does not exist.
  assert.equal(salts[0], salts[1]);
  await server.waitForLog((r) => r.event === 'auth-failed' && r['login'] === ghost);

  // Spellings of one name: a real user's salt is the same for each, so an unknown name's must be too.
  const saltOf = async (name: string): Promise<string> => {
    const { d } = await openSecure(server);
    const first = await scramBegin(d, new ScramClient(name));
    await d.command('*');
    await d.command('QUIT');
    await d.close();
    return first.salt.toString('base64');
  };
  const upper = (name: string): string => name.replace(/@(.*)$/, (_, domain: string) => `@${domain.toUpperCase()}`);
  assert.equal(await saltOf(upper(USER)), knownFirst.salt.toString('base64'), 'a real user: the domain case does not matter');
  assert.equal(await saltOf(upper(ghost)), salts[0], 'an unknown name: the same');
});

// ---- CRAM-MD5 ----------------------------------------------------------------

test('CRAM-MD5 (auth.cramMd5: true): challenge, HMAC-MD5 answer → 235; a wrong digest → 535 5.7.8', async () => {
  const { d } = await openSecure(cramServer);
  const challengeReply = await d.command('AUTH CRAM-MD5');
  assert.equal(challengeReply.code, 334);
  const challenge = unb64(challengeReply.text);
  // RFC 2195 §2: the challenge has the form of a msg-id.
  assert.match(challenge, /^<[^<>@\s]+@mail\.hikyaku\.test>$/);
  const wrong = await d.command(b64(`${CRAM_USER} ${cramDigest('wrong password', challenge)}`));
  assert.equal(wrong.code, 535, wrong.text);
  assert.equal(wrong.enhanced, '5.7.8');
  await cramServer.waitForLog((r) => r.event === 'auth-failed' && r['login'] === CRAM_USER);

  const second = await d.command('AUTH CRAM-MD5');
  assert.equal(second.code, 334);
  const challenge2 = unb64(second.text);
  assert.notEqual(challenge2, challenge, 'a fresh challenge each time');
  // An answer to the old challenge does not count for the new one.
  const ok = await d.command(b64(`${CRAM_USER} ${cramDigest(CRAM_PASSWORD, challenge2)}`));
  assert.equal(ok.code, 235, ok.text);
  assert.equal(ok.enhanced, '2.7.0');
  const sent = await sendOne(d, CRAM_USER, 'cram@example.net', 'after CRAM-MD5');
  assert.equal(sent.code, 250, sent.text);
  await d.command('QUIT');
  await d.close();
  assert.equal((await receivedFor('cram@example.net')).mailFrom, CRAM_USER);
});

test('CRAM-MD5 with nodemailer as the client delivers; a wrong password is refused', async () => {
  const transport = (pass: string) =>
    nodemailer.createTransport({
      host: '127.0.0.1',
      port: cramServer.ports.submission,
      secure: false,
      requireTLS: true,
      authMethod: 'CRAM-MD5',
      auth: { user: CRAM_USER, pass },
      tls: { rejectUnauthorized: false },
    });
  const good = transport(CRAM_PASSWORD);
  try {
    const info = await good.sendMail({ from: CRAM_USER, to: 'nodemailer-cram@example.net', subject: 'nodemailer CRAM-MD5', text: 'hello' });
    assert.match(info.response, /^250 2\.0\.0 /);
  } finally {
    good.close();
  }
  const bad = transport('a wrong password');
  try {
    await assert.rejects(bad.verify(), (err: Error & { responseCode?: number }) => err.responseCode === 535);
  } finally {
    bad.close();
  }
  await receivedFor('nodemailer-cram@example.net');
});

test('CRAM-MD5 for a user set before the key existed: refused until one PLAIN login keeps the password, then accepted', async () => {
  // server.addUser opens the store without the CRAM-MD5 key: nothing recoverable is kept.
  const late = 'late@shop.test';
  const latePassword = 'late arrival password';
  await cramServer.addUser(late, latePassword);
  const tryCram = async (): Promise<Reply> => {
    const { d } = await openSecure(cramServer);
    const challenge = unb64((await d.command('AUTH CRAM-MD5')).text);
    const reply = await d.command(b64(`${late} ${cramDigest(latePassword, challenge)}`));
    await d.command('QUIT');
    await d.close();
    return reply;
  };
  assert.equal((await tryCram()).code, 535);

  const { d } = await openSecure(cramServer);
  assert.equal((await d.command(`AUTH PLAIN ${b64(`\0${late}\0${latePassword}`)}`)).code, 235);
  await d.command('QUIT');
  await d.close();
  assert.equal((await tryCram()).code, 235);
});
