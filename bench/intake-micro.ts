// Micro-benchmark of the per-message work intake does on the main thread
// before a message reaches the queue (src/intake/intake.ts, Intake.accept):
// canonical line endings, the submission header stamp (Received, Date,
// Message-ID), the From address, the sending-domain lookup and the
// return-path alignment. DKIM signing and the queue write are left out: they
// have benchmarks of their own (npm run bench).
//
//   node --import tsx bench/intake-micro.ts [iterations]   (default 100000)
//
// Prints µs per message for each step and for the whole sequence (as
// intake.ts makes it today, and with prepareIntakeMessage, which does the
// message steps with one walk over the header block), for two
// 4 KiB messages: a mail client's (Date and Message-ID present, folded
// fields, MIME) and a web application's (only From/To/Subject, so Date and
// Message-ID are added). The machine is shared: compare figures from runs
// made one right after the other.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Submitter } from '../src/core/envelope.js';
import { domainOf } from '../src/core/address.js';
import { DomainStore } from '../src/domains/domain-store.js';
import { alignedReturnPath } from '../src/intake/return-path.js';
import { toCrlf } from '../src/message/canonical.js';
import { headerFromAddress } from '../src/message/from-address.js';
import { prepareIntakeMessage } from '../src/message/intake-message.js';
import { stampSubmittedMessage } from '../src/message/submission-headers.js';

const iterations = Number(process.argv[2] ?? 100_000);
if (!Number.isInteger(iterations) || iterations <= 0) throw new Error('usage: intake-micro.ts [iterations]');

const BODY_LINE = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n';

function body(bytes: number): string {
  return BODY_LINE.repeat(Math.ceil(bytes / BODY_LINE.length)).slice(0, bytes - 2) + '\r\n';
}

function messageOf(header: string, totalBytes: number): Buffer {
  return Buffer.from(header + '\r\n' + body(totalBytes - Buffer.byteLength(header) - 2), 'utf8');
}

const MUA = messageOf(
  [
    'Return-Path: <alice@mail.shop.example>',
    'From: Alice Example <alice@mail.shop.example>',
    'To: Bob Receiver <bob@example.org>, Carol Receiver <carol@example.org>,',
    ' Dave Receiver <dave@example.org>',
    'Subject: =?UTF-8?B?5pyI5qyh44Os44Od44O844OI?= for the quarterly review,',
    ' please read before Friday',
    'Date: Tue, 2 Jan 2024 09:04:05 +0900',
    'Message-ID: <20240102090405.12345.abcdef@laptop.shop.example>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8; format=flowed',
    'Content-Transfer-Encoding: 8bit',
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101',
    ' Thunderbird/115.6.0',
    'Content-Language: ja-JP',
    '',
  ].join('\r\n'),
  4096,
);

const WEB_APP = messageOf(['From: <news@shop.example>', 'To: <customer@example.org>', 'Subject: Your order 12345', ''].join('\r\n'), 4096);

const submitter: Submitter = {
  clientIp: '::ffff:192.0.2.10',
  clientHostname: 'client.example.net',
  helo: 'laptop.example.net',
  user: 'alice@shop.example',
  protocol: 'ESMTPSA',
  tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
  via: 'submission',
};
const rcptTo = ['bob@example.org'];

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hikyaku-intake-micro-'));
process.on('exit', () => fs.rmSync(dataDir, { recursive: true, force: true }));
const domains = DomainStore.open(dataDir);
domains.add('shop.example');

let sink = 0; // keeps results alive so the JIT cannot drop the work

function timeUs(run: () => void): number {
  for (let i = 0; i < Math.min(iterations, 5_000); i++) run(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) run();
  return Number(process.hrtime.bigint() - start) / 1e3 / iterations;
}

/** The same with prepareIntakeMessage in place of the three message steps. */
function onePassSequence(raw: Buffer, mailFrom: string): void {
  const nowMs = Date.now();
  const { message, fromAddress } = prepareIntakeMessage(raw, { hostname: 'mail.shop.example', queueId: '01HQ0000000000ABC', nowMs, submitter, rcptTo });
  const fromDomain = fromAddress === undefined ? undefined : domainOf(fromAddress);
  const sending = fromDomain ? domains.findForFromDomain(fromDomain) : undefined;
  const aligned = alignedReturnPath(mailFrom, fromAddress, sending);
  sink += message.length + aligned.length;
}

/** What Intake.accept does with a message, up to the DKIM signer. */
function intakeSequence(raw: Buffer, mailFrom: string): void {
  const nowMs = Date.now();
  let message = toCrlf(raw);
  message = stampSubmittedMessage(message, { hostname: 'mail.shop.example', queueId: '01HQ0000000000ABC', nowMs, submitter, rcptTo });
  const fromAddress = headerFromAddress(message);
  const fromDomain = fromAddress === undefined ? undefined : domainOf(fromAddress);
  const sending = fromDomain ? domains.findForFromDomain(fromDomain) : undefined;
  const aligned = alignedReturnPath(mailFrom, fromAddress, sending);
  sink += message.length + aligned.length;
}

function report(label: string, raw: Buffer, mailFrom: string): void {
  const nowMs = Date.now();
  const stamp = { hostname: 'mail.shop.example', queueId: '01HQ0000000000ABC', nowMs, submitter, rcptTo };
  const stamped = stampSubmittedMessage(toCrlf(raw), stamp);
  const fromAddress = headerFromAddress(stamped);
  const fromDomain = domainOf(fromAddress ?? '');
  const found = domains.findForFromDomain(fromDomain);
  const lf = Buffer.from(raw.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
  const rows: [string, () => void][] = [
    ['toCrlf (already CRLF)', () => (sink += toCrlf(raw).length)],
    ['toCrlf (LF only)', () => (sink += toCrlf(lf).length)],
    ['stampSubmittedMessage', () => (sink += stampSubmittedMessage(raw, stamp).length)],
    ['headerFromAddress', () => (sink += headerFromAddress(stamped)?.length ?? 0)],
    ['findForFromDomain', () => (sink += domains.findForFromDomain(fromDomain)?.name.length ?? 0)],
    ['alignedReturnPath', () => (sink += alignedReturnPath(mailFrom, fromAddress, found).length)],
    ['whole intake sequence', () => intakeSequence(raw, mailFrom)],
    ['… with prepareIntakeMessage', () => onePassSequence(raw, mailFrom)],
  ];
  console.log(`\n${label}: ${raw.length} bytes, From ${fromAddress} → sending domain ${found?.name ?? '(none)'}`);
  for (const [name, run] of rows) console.log(`  ${name.padEnd(28)} ${timeUs(run).toFixed(2).padStart(8)} µs/message`);
}

console.log(`intake micro-benchmark, ${iterations} iterations per row, Node ${process.version}`);
report('mail client message', MUA, 'alice@mail.shop.example');
report('web application message', WEB_APP, 'www-data@vps-1234.provider.example');
if (sink === 0) console.log('(nothing measured)');
