// The test DNS server, exercised through Node's own resolver (c-ares) and
// through raw dns-packet queries for the wire details (AA, TC, EDNS).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { generateKeyPairSync } from 'node:crypto';
import { promises as dns } from 'node:dns';
import dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet } from 'dns-packet';
import { parseZoneText, reverseName, startDnsServer, type TestDnsServer } from './dns-server.js';

function resolverFor(server: TestDnsServer, timeout = 1000): dns.Resolver {
  const r = new dns.Resolver({ timeout, tries: 1 });
  r.setServers([server.address]);
  return r;
}

async function rawUdpQuery(server: TestDnsServer, packet: Packet): Promise<DecodedPacket> {
  const socket = dgram.createSocket('udp4');
  try {
    return await new Promise<DecodedPacket>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('message', (msg) => resolve(dnsPacket.decode(msg)));
      socket.send(dnsPacket.encode(packet), server.port, server.host);
    });
  } finally {
    socket.close();
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'no code';
  }
  return 'resolved';
}

// A 2048-bit RSA public key, as published in a DKIM record (RFC 6376 §3.6.1).
const dkimKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .publicKey.export({ type: 'spki', format: 'der' })
  .toString('base64');
const dkimValue = `v=DKIM1; k=rsa; p=${dkimKey}`;

describe('test DNS server', () => {
  let server: TestDnsServer;
  before(async () => {
    server = await startDnsServer({
      'example.com': {
        A: ['192.0.2.10'],
        AAAA: ['2001:db8::10'],
        MX: [
          { preference: 20, exchange: 'mx2.example.com' },
          { preference: 10, exchange: 'mx1.example.com' },
        ],
        TXT: ['v=spf1 ip4:192.0.2.10 -all'],
      },
      'mx1.example.com': { A: ['192.0.2.11'] },
      'alias.example.com': { CNAME: 'mx1.example.com' },
      'sel._domainkey.example.com': { TXT: [dkimValue] },
      'multi.example.com': { TXT: [['part one ', 'part two'], 'second record'] },
      'no-mail.example.org': { MX: [{ preference: 0, exchange: '.' }] },
      [reverseName('127.0.0.2')]: { PTR: ['mx1.example.com'] },
      'deep.below.example.net': { A: ['192.0.2.99'] },
    });
  });
  after(() => server.close());

  it('reports a usable address and port', () => {
    assert.equal(server.host, '127.0.0.1');
    assert.ok(server.port > 0);
    assert.equal(server.address, `127.0.0.1:${server.port}`);
  });

  it('answers MX, A, AAAA, TXT and PTR through dns.promises.Resolver', async () => {
    const r = resolverFor(server);
    const mx = await r.resolveMx('example.com');
    assert.deepEqual(
      mx.sort((a, b) => a.priority - b.priority),
      [
        { exchange: 'mx1.example.com', priority: 10 },
        { exchange: 'mx2.example.com', priority: 20 },
      ],
    );
    assert.deepEqual(await r.resolve4('example.com'), ['192.0.2.10']);
    assert.deepEqual(await r.resolve6('example.com'), ['2001:db8::10']);
    assert.deepEqual(await r.resolveTxt('example.com'), [['v=spf1 ip4:192.0.2.10 -all']]);
    assert.deepEqual(await r.reverse('127.0.0.2'), ['mx1.example.com']);
  });

  it('splits a DKIM-length TXT value into 255-byte character-strings', async () => {
    assert.ok(dkimValue.length > 255);
    const txt = await resolverFor(server).resolveTxt('sel._domainkey.example.com');
    assert.equal(txt.length, 1);
    const chunks = txt[0] as string[];
    assert.ok(chunks.length >= 2);
    assert.ok(chunks.slice(0, -1).every((c) => c.length === 255));
    assert.equal(chunks.join(''), dkimValue);
  });

  it('keeps a TXT record of several character-strings as one record', async () => {
    const txt = await resolverFor(server).resolveTxt('multi.example.com');
    const sorted = txt.map((chunks) => chunks.join('|')).sort();
    assert.deepEqual(sorted, ['part one |part two', 'second record']);
  });

  it('serves a null MX as an empty exchange', async () => {
    assert.deepEqual(await resolverFor(server).resolveMx('no-mail.example.org'), [{ exchange: '', priority: 0 }]);
  });

  it('answers NXDOMAIN, NODATA and empty non-terminals as a real server does', async () => {
    const r = resolverFor(server);
    assert.equal(await codeOf(r.resolveMx('nonexistent.example.com')), 'ENOTFOUND');
    assert.equal(await codeOf(r.resolve4('nonexistent.invalid')), 'ENOTFOUND');
    assert.equal(await codeOf(r.resolveMx('mx1.example.com')), 'ENODATA');
    assert.equal(await codeOf(r.resolve6('mx1.example.com')), 'ENODATA');
    // below.example.net has no records but deep.below.example.net exists (RFC 8020).
    assert.equal(await codeOf(r.resolve4('below.example.net')), 'ENODATA');
  });

  it('compares names case-insensitively and chases CNAMEs', async () => {
    const r = resolverFor(server);
    assert.deepEqual(await r.resolve4('EXAMPLE.Com'), ['192.0.2.10']);
    assert.deepEqual(await r.resolve4('alias.example.com'), ['192.0.2.11']);
    assert.deepEqual(await r.resolveCname('alias.example.com'), ['mx1.example.com']);
  });

  it('gives ESERVFAIL and ETIMEOUT for names told to fail', async () => {
    server.set('broken.example.com', { A: ['192.0.2.50'] });
    server.set('slow.example.com', { A: ['192.0.2.51'] });
    server.setBehaviour('broken.example.com', 'servfail');
    server.setBehaviour('SLOW.example.com', 'timeout');
    const r = resolverFor(server, 150);
    assert.equal(await codeOf(r.resolve4('broken.example.com')), 'ESERVFAIL');
    assert.equal(await codeOf(r.resolve4('slow.example.com')), 'ETIMEOUT');
    server.setBehaviour('broken.example.com', 'normal');
    assert.deepEqual(await r.resolve4('broken.example.com'), ['192.0.2.50']);
  });

  it('replaces and removes names, and logs the questions', async () => {
    const r = resolverFor(server);
    server.set('changing.example.com', { A: ['192.0.2.1'] });
    assert.deepEqual(await r.resolve4('changing.example.com'), ['192.0.2.1']);
    server.set('Changing.Example.com.', { A: ['192.0.2.2'] });
    assert.deepEqual(await r.resolve4('changing.example.com'), ['192.0.2.2']);
    server.remove('changing.example.com');
    assert.equal(await codeOf(r.resolve4('changing.example.com')), 'ENOTFOUND');
    const asked = server.queries.filter((q) => q.name === 'changing.example.com');
    assert.deepEqual(
      asked.map((q) => q.type),
      ['A', 'A', 'A'],
    );
  });

  it('sets AA, echoes RD, and truncates UDP answers over 512 bytes without EDNS', async () => {
    server.set('big.example.com', { TXT: Array.from({ length: 8 }, (_, i) => `record ${i} ${'x'.repeat(180)}`) });
    const plain = await rawUdpQuery(server, {
      type: 'query',
      id: 4242,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'TXT', name: 'big.example.com' }],
    });
    assert.equal(plain.id, 4242);
    assert.equal(plain.flag_aa, true);
    assert.equal(plain.flag_rd, true);
    assert.equal(plain.flag_tc, true);
    assert.equal(plain.answers?.length, 0);

    const small = await rawUdpQuery(server, { type: 'query', id: 7, questions: [{ type: 'A', name: 'example.com' }] });
    assert.equal(small.flag_tc, false);
    assert.equal(small.flag_rd, false);
    assert.equal(small.flag_aa, true);
    assert.equal(small.answers?.length, 1);
  });

  it('honours the EDNS UDP payload size', async () => {
    server.set('big.example.com', { TXT: Array.from({ length: 8 }, (_, i) => `record ${i} ${'x'.repeat(180)}`) });
    const opt = { type: 'OPT' as const, name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
    const withEdns = await rawUdpQuery(server, { type: 'query', id: 8, questions: [{ type: 'TXT', name: 'big.example.com' }], additionals: [opt] });
    assert.equal(withEdns.flag_tc, false);
    assert.equal(withEdns.answers?.length, 8);
    assert.ok(withEdns.additionals?.some((a) => a.type === 'OPT'));
  });

  it('serves answers too large for UDP over TCP, which Node falls back to', async () => {
    // ~3.5 KB of TXT: larger than any EDNS size c-ares offers, so it must use TCP.
    const values = Array.from({ length: 14 }, (_, i) => `record ${String(i).padStart(2, '0')} ${'y'.repeat(240)}`);
    server.set('huge.example.com', { TXT: values });
    const txt = await resolverFor(server).resolveTxt('huge.example.com');
    assert.deepEqual(txt.map((chunks) => chunks.join('')).sort(), values);
    const asked = server.queries.filter((q) => q.name === 'huge.example.com');
    assert.ok(asked.some((q) => q.transport === 'udp'));
    assert.ok(asked.some((q) => q.transport === 'tcp'));
  });
});

describe('zone text', () => {
  let server: TestDnsServer;
  before(async () => {
    server = await startDnsServer({ 'example.jp': { TXT: ['old value'], A: ['192.0.2.1'] } });
  });
  after(() => server.close());

  it('accepts pasted lines with and without TTL/class, relative and absolute names', async () => {
    server.loadZoneText(
      [
        '; records to publish',
        'example.jp. 3600 IN TXT "v=spf1 ip4:192.0.2.1 -all"',
        'example.jp IN MX 10 mx.example.jp.',
        'mx.example.jp. A 192.0.2.25',
        '_dmarc.example.jp.\tIN\tTXT\t"v=DMARC1; p=none; rua=mailto:dmarc@example.jp"  ; comment',
      ].join('\n'),
    );
    const r = resolverFor(server);
    // The pasted TXT replaced the old one; the A record nobody pasted is kept.
    assert.deepEqual(await r.resolveTxt('example.jp'), [['v=spf1 ip4:192.0.2.1 -all']]);
    assert.deepEqual(await r.resolve4('example.jp'), ['192.0.2.1']);
    assert.deepEqual(await r.resolveMx('example.jp'), [{ exchange: 'mx.example.jp', priority: 10 }]);
    assert.deepEqual(await r.resolve4('mx.example.jp'), ['192.0.2.25']);
    assert.deepEqual(await r.resolveTxt('_dmarc.example.jp'), [['v=DMARC1; p=none; rua=mailto:dmarc@example.jp']]);
  });

  it('reads a DKIM value given whole or split into quoted strings, in parentheses too', async () => {
    const half = Math.floor(dkimValue.length / 2);
    server.loadZoneText(`a._domainkey.example.jp. IN TXT "${dkimValue}"`);
    server.loadZoneText(`b._domainkey 300 IN TXT ( "${dkimValue.slice(0, half)}"\n\t"${dkimValue.slice(half)}" )  ; ----- DKIM key b`, 'example.jp');
    server.loadZoneText(`$ORIGIN example.jp.\n$TTL 1h\nc._domainkey TXT "${dkimValue.slice(0, 200)}" "${dkimValue.slice(200)}"`);
    const r = resolverFor(server);
    for (const sel of ['a', 'b', 'c']) {
      const txt = await r.resolveTxt(`${sel}._domainkey.example.jp`);
      assert.equal(txt.length, 1, sel);
      assert.equal((txt[0] as string[]).join(''), dkimValue, sel);
    }
  });

  it('parses owners, @, omitted owners, null MX, escapes and several records of one type', () => {
    const parsed = parseZoneText(
      [
        '$ORIGIN example.org.',
        '@ 600 IN MX 0 .',
        '  IN TXT "say \\"hi\\"" "semi;colon" "\\065BC"',
        'www CNAME @',
        'host A 192.0.2.1',
        'host A 192.0.2.2',
        'host AAAA 2001:db8::1',
        'example.org. IN SOA ns1 hostmaster 1 3600 600 86400 60',
      ].join('\n'),
    );
    assert.deepEqual(parsed, [
      { name: 'example.org', ttl: 600, type: 'MX', value: { preference: 0, exchange: '.' } },
      { name: 'example.org', ttl: undefined, type: 'TXT', value: ['say "hi"', 'semi;colon', 'ABC'] },
      { name: 'www.example.org', ttl: undefined, type: 'CNAME', value: 'example.org' },
      { name: 'host.example.org', ttl: undefined, type: 'A', value: '192.0.2.1' },
      { name: 'host.example.org', ttl: undefined, type: 'A', value: '192.0.2.2' },
      { name: 'host.example.org', ttl: undefined, type: 'AAAA', value: '2001:db8::1' },
    ]);
  });

  it('refuses what it cannot serve, with the line number', () => {
    assert.throws(() => parseZoneText('ok.example A 192.0.2.1\nbad.example A not-an-ip'), /line 2: bad IPv4/);
    assert.throws(() => parseZoneText('x.example IN NAPTR 1 1 "" "" "" .'), /NAPTR is not supported/);
    assert.throws(() => parseZoneText('x.example TXT "open'), /unterminated/);
  });

  it('computes reverse names for IPv4 and IPv6', () => {
    assert.equal(reverseName('192.0.2.5'), '5.2.0.192.in-addr.arpa');
    assert.equal(
      reverseName('2001:db8::1'),
      '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa',
    );
  });
});
