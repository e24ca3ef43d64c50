import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { generateDkimKeyPair } from './dkim-key-generation.js';
import { dkimRecordValue, recordsToPublish, splitTxtForZone, type DnsRecord } from './records.js';
import { reverseDnsName } from './reverse-dns-name.js';
import { guessSpfInclude } from './spf-include.js';
import type { DkimKey, SendingDomain } from './types.js';

const NOW = Date.UTC(2026, 10, 15);
const DAY = 24 * 3600_000;

function key(selector: string, algorithm: DkimKey['algorithm'], state: DkimKey['state'], retireUntilMs?: number): DkimKey {
  return {
    selector,
    algorithm,
    ...generateDkimKeyPair(algorithm),
    createdAtMs: NOW,
    state,
    activatedAtMs: state === 'pending' ? undefined : NOW,
    retiredAtMs: state === 'retiring' ? NOW : undefined,
    retireUntilMs,
  };
}

const rsa = key('hk202611', 'rsa-sha256', 'active');
const domain: SendingDomain = {
  name: 'example.com',
  createdAtMs: NOW,
  returnPathDomain: undefined,
  keys: [
    rsa,
    key('hk202611e', 'ed25519-sha256', 'active'),
    key('hk202610', 'ed25519-sha256', 'retiring', NOW + 3 * DAY),
    key('hk202609', 'ed25519-sha256', 'retiring', NOW - DAY),
  ],
};
const context = {
  hostname: 'mail.example.net',
  outboundAddresses: ['203.0.113.25', '2001:db8::25'],
  smarthost: undefined,
  nowMs: NOW,
};

/** The character-strings of a zone-file TXT line, unquoted, as a resolver would return them. */
function zoneStrings(zoneLine: string): string[] {
  const data = zoneLine.slice(zoneLine.indexOf(' IN TXT ') + ' IN TXT '.length);
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"/g;
  let m: RegExpExecArray | null;
  let consumed = '';
  while ((m = re.exec(data))) {
    out.push((m[1] as string).replace(/\\(.)/g, '$1'));
    consumed += m[0] + ' ';
  }
  assert.equal(consumed.trim(), data.trim(), 'nothing outside the quoted strings');
  return out;
}

test('splitTxtForZone: quoted strings of at most 255 bytes that join back to the value', () => {
  for (const value of ['', 'short', 'x'.repeat(255), 'y'.repeat(256), dkimRecordValue(rsa), 'a"b\\c'.repeat(100), 'é'.repeat(300)]) {
    const strings = zoneStrings(`n. IN TXT ${splitTxtForZone(value)}`);
    assert.equal(strings.join(''), value);
    for (const s of strings) assert.ok(Buffer.byteLength(s) <= 255, `${Buffer.byteLength(s)} bytes`);
    assert.equal(strings.length, Math.max(1, Math.ceil(Buffer.byteLength(value) / 255)));
  }
});

test('DKIM records: one per active and retiring key, both forms agree', () => {
  const records = recordsToPublish(domain, context);
  const dkim = records.filter((r) => r.purpose === 'dkim');
  assert.deepEqual(
    dkim.map((r) => r.name),
    ['hk202611._domainkey.example.com', 'hk202611e._domainkey.example.com', 'hk202610._domainkey.example.com', 'hk202609._domainkey.example.com'],
  );
  for (const [i, r] of dkim.entries()) {
    const k = domain.keys[i]!;
    assert.equal(r.type, 'TXT');
    assert.equal(r.value, `v=DKIM1; k=${k.algorithm === 'rsa-sha256' ? 'rsa' : 'ed25519'}; p=${k.publicKeyBase64}`);
    assert.ok(r.zoneLine.startsWith(`${r.name}. 3600 IN TXT "`));
    const strings = zoneStrings(r.zoneLine);
    assert.equal(strings.join(''), r.value, 'zone-line form reassembles to the web-form value');
    for (const s of strings) assert.ok(Buffer.byteLength(s) <= 255);
  }
  assert.ok(zoneStrings(dkim[0]!.zoneLine).length >= 2, 'an RSA-2048 record needs more than one string');
  assert.match(dkim[0]!.note.en, /Publish it before sending/);
  assert.match(dkim[2]!.note.en, /keep it published until 2026-11-18 00:00 UTC/);
  assert.match(dkim[2]!.note.ja, /2026-11-18 00:00 UTC/);
  assert.match(dkim[3]!.note.en, /Remove this record/);
  for (const r of records) {
    assert.ok(r.note.en.length > 0 && r.note.ja.length > 0, `${r.name}: notes in both languages`);
    assert.match(r.note.ja, /[\u3040-\u30ff\u4e00-\u9fff]/, `${r.name}: the Japanese note is Japanese`);
  }
});

test('SPF, DMARC and reverse DNS records', () => {
  const records = recordsToPublish(domain, context);
  const spf = records.filter((r) => r.purpose === 'spf');
  assert.deepEqual(
    spf.map((r) => [r.name, r.value]),
    [
      ['example.com', 'v=spf1 ip4:203.0.113.25 ip6:2001:db8::25 ~all'],
      ['mail.example.net', 'v=spf1 ip4:203.0.113.25 ip6:2001:db8::25 ~all'],
    ],
  );
  assert.match(spf[0]!.note.en, /only ONE SPF record/);
  assert.match(spf[0]!.note.ja, /1 つだけ/);
  const dmarc = records.filter((r) => r.purpose === 'dmarc');
  assert.deepEqual(
    dmarc.map((r) => [r.name, r.type, r.value, r.zoneLine]),
    [
      [
        '_dmarc.example.com',
        'TXT',
        'v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com; adkim=r; aspf=r',
        '_dmarc.example.com. 3600 IN TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com; adkim=r; aspf=r"',
      ],
    ],
  );
  assert.match(dmarc[0]!.note.en, /p=quarantine, then to p=reject/);
  const ptr = records.filter((r) => r.purpose === 'ptr');
  assert.deepEqual(
    ptr.map((r) => r.zoneLine),
    [
      '25.113.0.203.in-addr.arpa. 3600 IN PTR mail.example.net.',
      'mail.example.net. 3600 IN A 203.0.113.25',
      '5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 3600 IN PTR mail.example.net.',
      'mail.example.net. 3600 IN AAAA 2001:db8::25',
    ],
  );
  assert.match(ptr[0]!.note.en, /provider of the IP address/);
  assert.deepEqual(
    [...new Set(records.map((r) => r.purpose))],
    ['dkim', 'spf', 'dmarc', 'ptr'],
    'grouped in a stable order',
  );
});

test('smarthost: include: guessed from the host, with a note; return-path domain gets SPF too', () => {
  const records = recordsToPublish(
    { ...domain, returnPathDomain: 'bounces.example.com' },
    { ...context, smarthost: { host: 'smtp.relay.example.co.jp' } },
  );
  const spf = records.filter((r) => r.purpose === 'spf');
  assert.deepEqual(
    spf.map((r) => [r.name, r.value]),
    [
      ['example.com', 'v=spf1 ip4:203.0.113.25 ip6:2001:db8::25 include:example.co.jp ~all'],
      ['bounces.example.com', 'v=spf1 ip4:203.0.113.25 ip6:2001:db8::25 include:example.co.jp ~all'],
      ['mail.example.net', 'v=spf1 ip4:203.0.113.25 ip6:2001:db8::25 include:example.co.jp ~all'],
    ],
  );
  assert.match(spf[0]!.note.en, /only a guess/);
  assert.match(spf[1]!.note.en, /envelope sender/);

  const outside = recordsToPublish({ ...domain, returnPathDomain: 'bounce.other.example' }, context).filter((r) => r.purpose === 'spf');
  assert.match(outside[1]!.note.en, /will not align for DMARC/);
});

test('guessSpfInclude: known providers, registrable domain, IP literal', () => {
  assert.deepEqual(guessSpfInclude('smtp.sendgrid.net'), { include: 'sendgrid.net', known: true });
  assert.deepEqual(guessSpfInclude('email-smtp.ap-northeast-1.amazonaws.com'), { include: 'amazonses.com', known: true });
  assert.deepEqual(guessSpfInclude('smtp-relay.gmail.com'), { include: '_spf.google.com', known: true });
  assert.deepEqual(guessSpfInclude('mx.relay.example.com'), { include: 'example.com', known: false });
  assert.deepEqual(guessSpfInclude('smtp.example.ne.jp'), { include: 'example.ne.jp', known: false });
  assert.equal(guessSpfInclude('192.0.2.7'), undefined);
  assert.equal(guessSpfInclude('[2001:db8::7]'), undefined);
});

test('reverseDnsName for IPv4, IPv6 and an IPv4-mapped IPv6 address', () => {
  assert.equal(reverseDnsName('192.0.2.1'), '1.2.0.192.in-addr.arpa');
  assert.equal(reverseDnsName('2001:db8:0:1::ab'), 'b.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
  assert.equal(reverseDnsName('::ffff:192.0.2.1'), '1.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa');
  assert.throws(() => reverseDnsName('not-an-ip'));
});

test('no configured addresses: the public interface addresses are used, and the note says so', () => {
  const records = recordsToPublish(domain, { ...context, outboundAddresses: [] });
  const spf = records.find((r) => r.purpose === 'spf' && r.name === 'example.com') as DnsRecord;
  assert.match(spf.note.en, /outboundAddresses is empty/);
  assert.match(spf.note.ja, /outboundAddresses が空/);
  const interfaceAddresses = Object.values(os.networkInterfaces())
    .flatMap((l) => l ?? [])
    .filter((i) => !i.internal)
    .map((i) => i.address);
  const used = spf.value
    .split(' ')
    .filter((m) => m.startsWith('ip4:') || m.startsWith('ip6:'))
    .map((m) => m.slice(4));
  for (const ip of used) assert.ok(interfaceAddresses.includes(ip), `${ip} is an interface address`);
  assert.ok(!used.some((ip) => ip.startsWith('127.') || ip === '::1'), 'never loopback');
  if (used.length === 0) assert.ok(spf.value.includes('a:mail.example.net'), 'falls back to the hostname');
  const ptrs = records.filter((r) => r.type === 'PTR').map((r) => r.name);
  assert.deepEqual(
    ptrs,
    used.map((ip) => reverseDnsName(ip)),
  );
});
