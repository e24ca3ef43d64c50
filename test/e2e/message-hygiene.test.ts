// Message hygiene and the 8BITMIME downgrade, end to end over real sockets:
// raw messages submitted on the trusted relay listener (exact bytes: long
// lines, bare CR, NUL, 8-bit text) arrive at receiving servers clean on the
// wire, with the same content once decoded (mailparser), and with DKIM
// signatures that Debian's python3-dkim verifies. One receiver offers
// 8BITMIME and gets the 8-bit message as it is with BODY=8BITMIME; the other
// does not (smtp-server's hide8BITMIME) and gets it 7-bit, re-signed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isAscii } from 'node:buffer';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startHikyaku, tempDir, type TestServer } from '../helpers/hikyaku.js';
import { pythonVerify, skipPython } from '../helpers/python-dkim.js';
import { SmtpDialog } from '../helpers/smtp-dialog.js';
import { DomainStore } from '../../src/domains/domain-store.js';
import { recordsToPublish } from '../../src/domains/records.js';

interface Received {
  readonly mailFrom: string;
  readonly body: string | undefined;
  readonly raw: Buffer;
}

interface Receiver {
  readonly messages: Received[];
  waitFor(match: (m: Received) => boolean): Promise<Received>;
  close(): Promise<void>;
}

/** A receiving MX that records the MAIL FROM parameters (BODY=) with the exact bytes received. */
async function startReceiver(host: string, port: number, offer8BitMime: boolean): Promise<{ receiver: Receiver; port: number }> {
  const messages: Received[] = [];
  const server = new SMTPServer({
    name: `mx-${host}`,
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hide8BITMIME: !offer8BitMime,
    closeTimeout: 200,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const from = session.envelope.mailFrom;
        const args = from === false ? undefined : (from.args as Record<string, string> | false | undefined);
        messages.push({ mailFrom: from === false ? '' : from.address, body: args ? args['BODY'] : undefined, raw: Buffer.concat(chunks) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  const receiver: Receiver = {
    messages,
    async waitFor(match) {
      for (let i = 0; i < 150; i++) {
        const found = messages.find(match);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no matching message at ${host}`);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return { receiver, port: bound };
}

let dns: TestDnsServer;
let eightBitMx: Receiver;
let sevenBitMx: Receiver;
let server: TestServer;
let dnsPort: number;
const dataDir = tempDir();

before(async () => {
  const first = await startReceiver('127.0.0.2', 0, true);
  eightBitMx = first.receiver;
  sevenBitMx = (await startReceiver('127.0.0.3', first.port, false)).receiver;
  dns = await startDnsServer({
    'eight.test': { MX: [{ preference: 10, exchange: 'mx.eight.test' }] },
    'mx.eight.test': { A: ['127.0.0.2'] },
    'seven.test': { MX: [{ preference: 10, exchange: 'mx.seven.test' }] },
    'mx.seven.test': { A: ['127.0.0.3'] },
  });
  dnsPort = Number(dns.address.split(':')[1]);
  const store = DomainStore.open(dataDir);
  store.add('shop.test', { ed25519: true });
  const domain = store.get('shop.test');
  assert.ok(domain);
  const records = recordsToPublish(domain, { hostname: 'mail.hikyaku.test', outboundAddresses: ['127.0.0.1'], smarthost: undefined, nowMs: Date.now() });
  dns.loadZoneText(records.filter((r) => r.purpose === 'dkim').map((r) => r.zoneLine).join('\n'));
  server = await startHikyaku({ dns: dns.address, mxPort: first.port }, {}, { dataDir });
});

after(async () => {
  await server?.stop();
  await eightBitMx?.close();
  await sevenBitMx?.close();
  await dns?.close();
});

/** Submit exact bytes on the trusted relay listener; the final reply. */
async function submitRaw(rcptTo: string, message: Buffer): Promise<{ code: number; text: string; enhanced: string | undefined }> {
  const d = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.relay, localAddress: '127.0.0.2' });
  try {
    await d.read();
    await d.command('EHLO app.shop.test');
    assert.equal((await d.command('MAIL FROM:<app@shop.test>')).code, 250);
    assert.equal((await d.command(`RCPT TO:<${rcptTo}>`)).code, 250);
    assert.equal((await d.command('DATA')).code, 354);
    // No line of these messages starts with a dot: nothing to dot-stuff.
    d.write(Buffer.concat([message, Buffer.from('.\r\n')]));
    const reply = await d.read();
    await d.command('QUIT');
    return reply;
  } finally {
    await d.close();
  }
}

/** Every line ≤ 1,000 octets with its CRLF; no bare CR, bare LF or NUL. */
function assertCleanOnWire(raw: Buffer): void {
  assert.equal(raw.indexOf(0), -1, 'NUL on the wire');
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x0d) assert.equal(raw[i + 1], 0x0a, `bare CR at ${i}`);
    if (raw[i] === 0x0a) {
      assert.equal(raw[i - 1], 0x0d, `bare LF at ${i}`);
      assert.ok(i + 1 - start <= 1000, `line of ${i + 1 - start} octets with its CRLF`);
      start = i + 1;
    }
  }
  assert.ok(raw.length - start <= 1000);
}

async function assertDkimVerifies(raw: Buffer): Promise<void> {
  const [results] = await pythonVerify([raw], dnsPort);
  assert.ok(results && results.length === 2, `two signatures: ${JSON.stringify(results)}`);
  assert.deepEqual(results.map((r) => r.ok), [true, true], JSON.stringify(results));
}

function header(subject: string, extra: string[] = [], rcptTo = 'user@eight.test'): string {
  return ['From: Shop <app@shop.test>', `To: <${rcptTo}>`, `Subject: ${subject}`, 'MIME-Version: 1.0', ...extra, '', ''].join('\r\n');
}

test('a 5,000-octet HTML line leaves as quoted-printable: clean on the wire, same HTML, DKIM verifies', { skip: skipPython }, async () => {
  const html = '<html><body>' + '<p>Sale!</p>'.repeat(416) + '</body></html>';
  assert.ok(html.length > 5000);
  const message = Buffer.from(header('long html', ['Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: 8bit']) + html + '\r\n');
  assert.equal((await submitRaw('user@eight.test', message)).code, 250);
  const m = await eightBitMx.waitFor((r) => r.raw.includes('Subject: long html'));
  assertCleanOnWire(m.raw);
  assert.match(m.raw.toString(), /Content-Transfer-Encoding: quoted-printable/);
  assert.equal((await simpleParser(m.raw)).html, html + '\n');
  await assertDkimVerifies(m.raw);
});

test('a bare CR in a text part survives as content (=0D): clean on the wire, DKIM verifies', { skip: skipPython }, async () => {
  const text = 'first half\rsecond half\r\nnext line\r\n';
  const message = Buffer.from(header('bare cr', ['Content-Type: text/plain; charset=us-ascii']) + text);
  assert.equal((await submitRaw('user@eight.test', message)).code, 250);
  const m = await eightBitMx.waitFor((r) => r.raw.includes('Subject: bare cr'));
  assertCleanOnWire(m.raw);
  assert.match(m.raw.toString(), /first half=0Dsecond half\r\n/);
  const parsed = await simpleParser(m.raw);
  assert.equal(parsed.text, 'first half\rsecond half\nnext line\n');
  await assertDkimVerifies(m.raw);
});

test('a NUL in a body part is re-encoded as base64, content byte for byte', { skip: skipPython }, async () => {
  const content = Buffer.from('PHP wrote\0this\0\r\n');
  const message = Buffer.concat([
    Buffer.from(
      header('nul body', ['Content-Type: multipart/mixed; boundary="b1"']) +
        '--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=x.bin\r\n\r\n',
    ),
    content,
    Buffer.from('\r\n--b1--\r\n'),
  ]);
  assert.equal((await submitRaw('user@eight.test', message)).code, 250);
  const m = await eightBitMx.waitFor((r) => r.raw.includes('Subject: nul body'));
  assertCleanOnWire(m.raw);
  const parsed = await simpleParser(m.raw);
  assert.equal(parsed.text?.trim(), 'hello');
  assert.deepEqual(parsed.attachments[0]?.content, content);
  await assertDkimVerifies(m.raw);
});

test('a 1,500-octet header field is folded; its value unchanged once unfolded', { skip: skipPython }, async () => {
  const refs = Array.from({ length: 60 }, (_, i) => `<ref-${i}-abcdefghij@shop.test>`).join(' ');
  assert.ok(refs.length > 1500);
  const message = Buffer.from(header('long header', [`References: ${refs}`, 'Content-Type: text/plain']) + 'body\r\n');
  assert.equal((await submitRaw('user@eight.test', message)).code, 250);
  const m = await eightBitMx.waitFor((r) => r.raw.includes('Subject: long header'));
  assertCleanOnWire(m.raw);
  const parsed = await simpleParser(m.raw);
  assert.equal(((parsed.headers.get('references') as string[] | string | undefined) ?? []).toString().replace(/,/g, ' '), refs);
  await assertDkimVerifies(m.raw);
});

test('a NUL in the header block is refused with 554 5.6.0', async () => {
  const reply = await submitRaw('user@eight.test', Buffer.from(header('nul\0header', ['Content-Type: text/plain']) + 'body\r\n'));
  assert.equal(reply.code, 554);
  assert.equal(reply.enhanced, '5.6.0');
  assert.match(reply.text, /NUL/);
});

test('8BITMIME: the receiver that offers it gets 8-bit with BODY=8BITMIME; the one that does not gets 7-bit, re-signed; same content', { skip: skipPython }, async () => {
  const text = '日本語の本文です。お届けものがあります。\r\nよろしくお願いいたします。\r\n';
  const subject = '配送のお知らせ';
  const build = (rcptTo: string): Buffer =>
    Buffer.from(
      ['From: 山田商店 <app@shop.test>', `To: <${rcptTo}>`, `Subject: ${subject}`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', text].join('\r\n'),
    );
  assert.equal((await submitRaw('user@eight.test', build('user@eight.test'))).code, 250);
  assert.equal((await submitRaw('user@seven.test', build('user@seven.test'))).code, 250);
  const eight = await eightBitMx.waitFor((r) => r.raw.includes('user@eight.test') && r.raw.includes(Buffer.from(text)));
  const seven = await sevenBitMx.waitFor((r) => r.raw.includes('user@seven.test'));

  assert.equal(eight.body, '8BITMIME');
  assert.ok(!isAscii(eight.raw), '8-bit as submitted');
  assert.equal(seven.body, undefined, 'no BODY= to a server without 8BITMIME');
  assert.ok(isAscii(seven.raw), 'only 7-bit data to the server without 8BITMIME');
  assertCleanOnWire(seven.raw);
  assert.match(seven.raw.toString(), /Content-Transfer-Encoding: base64/);

  const [a, b] = await Promise.all([simpleParser(eight.raw), simpleParser(seven.raw)]);
  assert.equal(a.text, text.replace(/\r\n/g, '\n'));
  assert.equal(b.text, a.text);
  assert.equal(a.subject, subject);
  assert.equal(b.subject, subject);
  assert.deepEqual(b.from?.value, [{ name: '山田商店', address: 'app@shop.test' }], 'raw UTF-8 display name sent as an encoded-word');
  assert.deepEqual(a.from?.value, b.from?.value);

  const results = await pythonVerify([eight.raw, seven.raw], dnsPort);
  for (const r of results) assert.deepEqual(r.map((x) => x.ok), [true, true], JSON.stringify(results));
  // The downgraded copy carries only the new signatures, not the intake ones that no longer match.
  assert.equal([...seven.raw.toString().matchAll(/^DKIM-Signature:/gim)].length, 2);
});

test('8BITMIME: a raw UTF-8 address in a header cannot be made 7-bit: deferred with 4.6.3 and the reason, nothing sent', async () => {
  const before = sevenBitMx.messages.length;
  const message = Buffer.from(
    ['From: <app@shop.test>', 'To: <やまだ@seven.test>', 'Subject: raw address', 'Content-Type: text/plain; charset=utf-8', '', 'こんにちは', ''].join('\r\n'),
  );
  assert.equal((await submitRaw('user@seven.test', message)).code, 250);
  const line = await server.waitForLog((r) => r.event === 'delivery' && r['rcptTo'] === 'user@seven.test' && r['status'] === 'deferred');
  assert.equal(line['dsn'], '4.6.3');
  assert.match(String(line['reply']), /To header field has 8-bit characters/);
  assert.equal(sevenBitMx.messages.length, before);
});
