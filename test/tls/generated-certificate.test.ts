// The generated certificates on the real listeners: a current client gets
// the ECDSA P-256 certificate on 465 (implicit TLS) and 587 (STARTTLS); a
// client that only accepts RSA signatures, or only RSA cipher suites in
// TLS 1.2, still connects and gets the RSA 2048 one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type DetailedPeerCertificate } from 'node:tls';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startHikyaku, type TestServer } from '../helpers/hikyaku.js';

let dns: TestDnsServer;
let server: TestServer;

before(async () => {
  dns = await startDnsServer({});
  server = await startHikyaku({ dns: dns.address, mxPort: 25 });
});

after(async () => {
  await server?.stop();
  await dns?.close();
});

interface Negotiated {
  readonly cert: DetailedPeerCertificate;
  readonly protocol: string | null;
  readonly cipher: string;
  readonly greeting: string;
}

/** Reads from a plain socket until `done` says the text so far is complete. */
function readUntil(socket: Socket, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (!done(text)) return;
      socket.off('data', onData);
      socket.off('error', reject);
      resolve(text);
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/** A complete SMTP reply: its last line has a space after the code. */
const replyDone = (text: string): boolean => /(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(text);

function handshake(options: ConnectionOptions): Promise<{ cert: DetailedPeerCertificate; protocol: string | null; cipher: string; socket: ReturnType<typeof tlsConnect> }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ rejectUnauthorized: false, servername: 'mail.hikyaku.test', ...options }, () =>
      resolve({ cert: socket.getPeerCertificate(true), protocol: socket.getProtocol(), cipher: socket.getCipher().name, socket }),
    );
    socket.once('error', reject);
  });
}

async function implicitTls(options: ConnectionOptions = {}): Promise<Negotiated> {
  const { cert, protocol, cipher, socket } = await handshake({ host: '127.0.0.1', port: server.ports.submissions, ...options });
  const greeting = await readUntil(socket as unknown as Socket, replyDone);
  socket.destroy();
  return { cert, protocol, cipher, greeting };
}

async function startTls(options: ConnectionOptions = {}): Promise<Negotiated> {
  const plain = netConnect({ host: '127.0.0.1', port: server.ports.submission });
  const greeting = await readUntil(plain, replyDone);
  plain.write('EHLO client.example\r\n');
  assert.match(await readUntil(plain, replyDone), /STARTTLS/);
  plain.write('STARTTLS\r\n');
  assert.match(await readUntil(plain, replyDone), /^220 /);
  const { cert, protocol, cipher, socket } = await handshake({ socket: plain, ...options });
  socket.destroy();
  return { cert, protocol, cipher, greeting };
}

function assertEcdsa(n: Negotiated): void {
  assert.match(n.greeting, /^220 /);
  assert.equal(n.cert.asn1Curve, 'prime256v1', JSON.stringify({ bits: n.cert.bits, curve: n.cert.asn1Curve }));
  assert.equal(n.cert.bits, 256);
  assert.equal(n.cert.pubkey?.length, 65, 'an uncompressed P-256 point');
  assert.equal(n.cert.subject.CN, 'mail.hikyaku.test');
}

function assertRsa(n: Negotiated): void {
  assert.match(n.greeting, /^220 /);
  assert.equal(n.cert.bits, 2048);
  assert.equal(n.cert.asn1Curve, undefined);
  assert.ok(n.cert.modulus, 'an RSA modulus');
  assert.equal(n.cert.subject.CN, 'mail.hikyaku.test');
}

test('465 and 587: a current client negotiates the ECDSA P-256 certificate (TLS 1.3 and 1.2)', async () => {
  const tls13 = await implicitTls();
  assert.equal(tls13.protocol, 'TLSv1.3');
  assertEcdsa(tls13);
  const starttls = await startTls();
  assertEcdsa(starttls);
  const tls12 = await implicitTls({ maxVersion: 'TLSv1.2' });
  assert.match(tls12.cipher, /^ECDHE-ECDSA-/);
  assertEcdsa(tls12);
});

test('465 and 587: a client that only accepts RSA signatures, or RSA suites, gets the RSA certificate', async () => {
  const rsaSigalgs = 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256';
  assertRsa(await implicitTls({ sigalgs: rsaSigalgs }));
  assertRsa(await startTls({ sigalgs: rsaSigalgs }));
  const oldClient = await startTls({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
  assert.equal(oldClient.protocol, 'TLSv1.2');
  assert.equal(oldClient.cipher, 'ECDHE-RSA-AES128-GCM-SHA256');
  assertRsa(oldClient);
});
