// `hikyaku doctor` against a real DNS server on loopback: one correct zone,
// one zone per common mistake, and the records of `recordsToPublish` pasted
// in as a user would. The doctor's resolver talks to the test server over
// UDP/TCP; nothing is stubbed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDnsServer, type RecordSet, type TestDnsServer, type Zone } from '../helpers/dns-server.js';
import { makeTestCertificate } from '../helpers/certs.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { createResolver } from '../../src/dns/resolver.js';
import { DomainStore, type SendingDomain } from '../../src/domains/domain-store.js';
import { dkimRecordValue, recordsToPublish } from '../../src/domains/records.js';
import { runDoctor, type DoctorContext } from '../../src/doctor/run-doctor.js';
import type { CheckStatus, Finding } from '../../src/doctor/types.js';
import { runDoctorCommand } from '../../src/cli/doctor-command.js';

const HOSTNAME = 'mail.example.com';
const OUR_IP = '127.0.0.2';

let dns: TestDnsServer;
let dataDir: string;
let registered: SendingDomain; // good.test, with real keys from the DomainStore
let config: Config;

/** A domain with the keys of the registered one: the keys are what matter, the name picks the zone. */
const domainNamed = (name: string): SendingDomain => ({ ...registered, name });

function makeConfig(over: Record<string, unknown> = {}): Config {
  return parseConfig({
    hostname: HOSTNAME,
    dataDir,
    outboundAddresses: [OUR_IP],
    delivery: { resolvers: [dns.address], dnsTimeout: '1s' },
    doctor: { blocklists: ['bl.test'] },
    ...over,
  });
}

/** Every record a correctly set-up sending domain has. */
function correctZone(name: string): Zone {
  const key = registered.keys[0];
  assert.ok(key);
  return {
    [name]: { TXT: [`v=spf1 ip4:${OUR_IP} ~all`], MX: [{ preference: 10, exchange: `mx.${name}` }] },
    [`mx.${name}`]: { A: ['127.0.0.10'] },
    [`_dmarc.${name}`]: { TXT: [`v=DMARC1; p=none; rua=mailto:dmarc@${name}`] },
    [`${key.selector}._domainkey.${name}`]: { TXT: [dkimRecordValue(key)] },
  };
}

/** A correct zone with some names replaced (undefined = removed). */
function zoneWith(name: string, changes: Record<string, RecordSet | undefined>): Zone {
  const zone: Zone = correctZone(name);
  for (const [owner, set] of Object.entries(changes)) {
    if (set === undefined) delete zone[owner];
    else zone[owner] = set;
  }
  return zone;
}

function serverZone(): Zone {
  return {
    [HOSTNAME]: { A: [OUR_IP], TXT: [`v=spf1 ip4:${OUR_IP} ~all`] },
    '2.0.0.127.in-addr.arpa': { PTR: [HOSTNAME] },
    // 127.0.0.3 has no PTR at all; 127.0.0.4's PTR name does not resolve back.
    '4.0.0.127.in-addr.arpa': { PTR: ['host4.example.net'] },
    'host4.example.net': { A: ['192.0.2.44'] },
    // 127.0.0.5 is listed on the test blocklist (RFC 5782 §2.1: 127.0.0.2 answer + TXT reason).
    '5.0.0.127.in-addr.arpa': { PTR: [HOSTNAME] },
    '5.0.0.127.bl.test': { A: ['127.0.0.2'], TXT: ['Listed for spam, see https://bl.test/lookup'] },
    'bl.test': { TXT: ['test blocklist'] },
    'txtonly.test': { TXT: ['site-verification=abc'] },
  };
}

function context(over: Partial<DoctorContext> & { domains: SendingDomain[] }): DoctorContext {
  return {
    resolver: createResolver({ servers: [dns.address], timeoutMs: 1000 }),
    config,
    outboundAddresses: [OUR_IP],
    checkPort25: false,
    nowMs: Date.now(),
    ...over,
  };
}

const byId = (findings: readonly Finding[], id: string): Finding[] => findings.filter((f) => f.id === id);

function assertFinding(findings: readonly Finding[], id: string, status: CheckStatus): Finding {
  const found = byId(findings, id).find((f) => f.status === status);
  assert.ok(found, `expected ${id} = ${status}; got ${JSON.stringify(findings.map((f) => `${f.id}:${f.status}`))}`);
  return found;
}

const errors = (findings: readonly Finding[]): string[] => findings.filter((f) => f.status === 'error').map((f) => `${f.id}: ${f.explanation.en}`);

/** Zone-file TXT strings joined back, so a value split at 255 bytes can be searched. */
const unsplit = (zoneLine: string | undefined): string => (zoneLine ?? '').replace(/" "/g, '');

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'hikyaku-doctor-'));
  registered = DomainStore.open(dataDir).add('good.test');
  dns = await startDnsServer({});
  config = makeConfig();
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const selector = registered.keys[0]?.selector as string;
  const zones: Zone[] = [
    serverZone(),
    correctZone('good.test'),
    zoneWith('nospf.test', { 'nospf.test': { MX: [{ preference: 10, exchange: 'mx.nospf.test' }] } }),
    zoneWith('twospf.test', {
      'twospf.test': { TXT: ['v=spf1 include:_spf.mailer.test ~all', `v=spf1 ip4:${OUR_IP} -all`], MX: [{ preference: 10, exchange: 'mx.twospf.test' }] },
      '_spf.mailer.test': { TXT: ['v=spf1 ip4:198.51.100.0/24 -all'] },
    }),
    // 1 (include s1) + 3 (a, mx, include s2) + 3 (a, mx, include s3) + 4 (a, mx, exists, include s4) = 11 lookups.
    zoneWith('lookups.test', {
      'lookups.test': { TXT: [`v=spf1 ip4:${OUR_IP} include:s1.lookups.test ~all`], MX: [{ preference: 10, exchange: 'mx.lookups.test' }] },
      's1.lookups.test': { TXT: ['v=spf1 a:h.lookups.test mx include:s2.lookups.test -all'] },
      's2.lookups.test': { TXT: ['v=spf1 a:h.lookups.test mx include:s3.lookups.test -all'] },
      's3.lookups.test': { TXT: ['v=spf1 a:h.lookups.test mx exists:%{i}.e.lookups.test include:s4.lookups.test -all'] },
      's4.lookups.test': { TXT: ['v=spf1 -all'] },
    }),
    zoneWith('nopass.test', { 'nopass.test': { TXT: ['v=spf1 ip4:192.0.2.1 ~all'], MX: [{ preference: 10, exchange: 'mx.nopass.test' }] } }),
    zoneWith('badsyntax.test', {
      'badsyntax.test': { TXT: [`v=spf1 ip4:${OUR_IP} inclde:_spf.mailer.test ~all`], MX: [{ preference: 10, exchange: 'mx.badsyntax.test' }] },
    }),
    zoneWith('loop.test', {
      'loop.test': { TXT: [`v=spf1 ip4:${OUR_IP} include:a.loop.test ~all`], MX: [{ preference: 10, exchange: 'mx.loop.test' }] },
      'a.loop.test': { TXT: ['v=spf1 include:loop.test -all'] },
    }),
    zoneWith('inclmissing.test', {
      'inclmissing.test': { TXT: [`v=spf1 include:nothing.test ip4:${OUR_IP} ~all`], MX: [{ preference: 10, exchange: 'mx.inclmissing.test' }] },
      'nothing.test': { A: ['192.0.2.7'] },
    }),
    zoneWith('redirect.test', {
      'redirect.test': { TXT: ['v=spf1 redirect=_spf.redirect.test'], MX: [{ preference: 10, exchange: 'mx.redirect.test' }] },
      '_spf.redirect.test': { TXT: [`v=spf1 a:h.redirect.test ip4:${OUR_IP} -all`] },
    }),
    zoneWith('nomx.test', { 'nomx.test': { TXT: [`v=spf1 ip4:${OUR_IP} ~all`], A: ['192.0.2.8'] } }),
    zoneWith('nullmx.test', { 'nullmx.test': { TXT: [`v=spf1 ip4:${OUR_IP} ~all`], MX: [{ preference: 0, exchange: '.' }] } }),
    zoneWith('dkimbad.test', { [`${selector}._domainkey.dkimbad.test`]: { TXT: [`v=DKIM1; k=rsa; p=${otherKey}`] } }),
    zoneWith('dkimnone.test', { [`${selector}._domainkey.dkimnone.test`]: undefined }),
    zoneWith('nodmarc.test', { '_dmarc.nodmarc.test': undefined }),
    zoneWith('baddmarc.test', { '_dmarc.baddmarc.test': { TXT: ['v=DMARC1; rua=mailto:dmarc@baddmarc.test'] } }),
    zoneWith('typodmarc.test', { '_dmarc.typodmarc.test': { TXT: ['v=DMARC1; p=rejct; pct=150'] } }),
    zoneWith('strict.test', {}),
    // MTA-STS published, policy host on loopback.
    zoneWith('sts.test', {
      '_mta-sts.sts.test': { TXT: ['v=STSv1; id=20260101'] },
      'mta-sts.sts.test': { A: ['127.0.0.1'] },
      '_smtp._tls.sts.test': { TXT: ['v=TLSRPTv1; rua=mailto:tls@sts.test'] },
    }),
    zoneWith('badsts.test', {
      '_mta-sts.badsts.test': { TXT: ['v=STSv1; id=not-valid!'] },
      '_smtp._tls.badsts.test': { TXT: ['v=TLSRPTv1'] },
    }),
  ];
  for (const zone of zones) for (const [name, set] of Object.entries(zone)) dns.set(name, set);
});

after(async () => {
  await dns.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('correct setup', () => {
  test('a correctly published domain has no errors', async () => {
    const findings = await runDoctor(context({ domains: [registered] }));
    assert.deepEqual(errors(findings), []);
    assertFinding(findings, 'spf.record', 'ok');
    assertFinding(findings, 'spf.syntax', 'ok');
    assertFinding(findings, 'spf.lookups', 'ok');
    assertFinding(findings, 'spf.result', 'ok');
    assertFinding(findings, 'dkim.key', 'ok');
    assertFinding(findings, 'dmarc.record', 'ok');
    assertFinding(findings, 'dmarc.policy', 'info');
    assertFinding(findings, 'dmarc.spf-alignment', 'ok');
    assertFinding(findings, 'dmarc.dkim-alignment', 'ok');
    assertFinding(findings, 'ptr.record', 'ok');
    assertFinding(findings, 'ptr.fcrdns', 'ok');
    assertFinding(findings, 'ptr.hostname', 'ok');
    assertFinding(findings, 'ehlo.resolves', 'ok');
    assertFinding(findings, 'mx.record', 'ok');
    assertFinding(findings, 'blocklist.listed', 'ok');
    assertFinding(findings, 'mta-sts.record', 'info');
    assertFinding(findings, 'tls.certificate', 'info');
  });

  test('the records from recordsToPublish, pasted as zone text, pass', async () => {
    const hostname = 'mail.pasted.test';
    const ip = '127.0.0.6';
    const domain = domainNamed('pasted.test');
    // The domain already receives mail elsewhere; everything else comes from the paste.
    dns.set('pasted.test', { MX: [{ preference: 10, exchange: 'mx.elsewhere.test' }] });
    const records = recordsToPublish(domain, { hostname, outboundAddresses: [ip], smarthost: undefined, nowMs: Date.now() });
    dns.loadZoneText(records.map((r) => r.zoneLine).join('\n'));
    const pastedConfig = makeConfig({ hostname, outboundAddresses: [ip] });
    const findings = await runDoctor(context({ domains: [domain], config: pastedConfig, outboundAddresses: [ip] }));
    assert.deepEqual(errors(findings), []);
    assertFinding(findings, 'spf.result', 'ok');
    assertFinding(findings, 'dkim.key', 'ok');
    assertFinding(findings, 'dmarc.record', 'ok');
    assertFinding(findings, 'ptr.fcrdns', 'ok');
    assertFinding(findings, 'ptr.hostname', 'ok');
    assertFinding(findings, 'ehlo.resolves', 'ok');
    // The server's own name gets SPF too (bounces are checked against it).
    assert.ok(byId(findings, 'spf.record').every((f) => f.status === 'ok'));
  });
});

describe('SPF mistakes', () => {
  test('no SPF record: error with the record to publish', async () => {
    const findings = await runDoctor(context({ domains: [domainNamed('nospf.test')] }));
    const f = assertFinding(findings, 'spf.record', 'error');
    assert.match(f.fix?.record ?? '', /^nospf\.test\. \d+ IN TXT "v=spf1 ip4:127\.0\.0\.2 ~all"$/);
  });

  test('two SPF records: error offering one merged record', async () => {
    const findings = await runDoctor(context({ domains: [domainNamed('twospf.test')] }));
    const f = assertFinding(findings, 'spf.record', 'error');
    assert.match(f.explanation.en, /2 SPF records/);
    assert.equal(f.fix?.record, 'twospf.test. 3600 IN TXT "v=spf1 include:_spf.mailer.test ip4:127.0.0.2 ~all"');
  });

  test('11 DNS lookups through chained includes: error', async () => {
    const findings = await runDoctor(context({ domains: [domainNamed('lookups.test')] }));
    const f = assertFinding(findings, 'spf.lookups', 'error');
    assert.match(f.title.en, /11\/10/);
    // The address matches before the limit is reached, so evaluation alone would not show it.
    assertFinding(findings, 'spf.result', 'ok');
  });

  test('an SPF record not covering the outbound address: error with the amended record', async () => {
    const findings = await runDoctor(context({ domains: [domainNamed('nopass.test')] }));
    const f = assertFinding(findings, 'spf.result', 'error');
    assert.match(f.explanation.en, /softfail/);
    assert.equal(f.fix?.record, 'nopass.test. 3600 IN TXT "v=spf1 ip4:127.0.0.2 ip4:192.0.2.1 ~all"');
  });

  test('an include that loops back: error', async () => {
    const findings = await runDoctor(context({ domains: [domainNamed('loop.test')] }));
    const f = assertFinding(findings, 'spf.include', 'error');
    assert.match(f.explanation.en, /loop/);
  });

  test('an include of a domain without SPF: error, and permerror when evaluation reaches it', async () => {
    const findings = await runDoctor(context({ domains: [domainNamed('inclmissing.test')] }));
    assertFinding(findings, 'spf.include', 'error');
    const f = assertFinding(findings, 'spf.result', 'error');
    assert.match(f.explanation.en, /permerror/);
  });

  test('redirect= is followed and counted', async () => {
    const findings = await runDoctor(context({ domains: [domainNamed('redirect.test')] }));
    const f = assertFinding(findings, 'spf.lookups', 'ok');
    assert.match(f.title.en, / 2\/10/); // redirect + a
    assertFinding(findings, 'spf.result', 'ok');
  });

  test('an unknown mechanism: syntax error and permerror', async () => {
    const findings = await runDoctor(context({ domains: [domainNamed('badsyntax.test')] }));
    const f = assertFinding(findings, 'spf.syntax', 'error');
    assert.match(f.explanation.en, /inclde:_spf\.mailer\.test/);
    assert.match(f.explanation.ja, /inclde:_spf\.mailer\.test/);
    assertFinding(findings, 'spf.result', 'error');
  });
});

describe('DKIM mistakes', () => {
  test('a published key that does not match ours: error showing the right value', async () => {
    const findings = await runDoctor(context({ domains: [domainNamed('dkimbad.test')] }));
    const f = assertFinding(findings, 'dkim.key', 'error');
    const key = registered.keys[0];
    assert.ok(key);
    assert.ok(unsplit(f.fix?.record).includes(`p=${key.publicKeyBase64}`));
    assert.ok(f.fix?.record?.startsWith(`${key.selector}._domainkey.dkimbad.test. `));
  });

  test('no key record: error with the record', async () => {
    const findings = await runDoctor(context({ domains: [domainNamed('dkimnone.test')] }));
    const f = assertFinding(findings, 'dkim.record', 'error');
    const key = registered.keys[0];
    assert.ok(key);
    assert.ok(unsplit(f.fix?.record).includes(dkimRecordValue(key)));
  });

  test('a domain that is not registered: warning telling to run hikyaku domain add', async () => {
    const findings = await runDoctor(context({ domains: [], unregisteredDomains: ['good.test'] }));
    const f = assertFinding(findings, 'dkim.unregistered', 'warning');
    assert.equal(f.fix?.record, 'hikyaku domain add good.test');
    // SPF still aligns, so DMARC can pass without DKIM: a warning, not an error.
    assertFinding(findings, 'dmarc.dkim-alignment', 'warning');
  });
});

describe('DMARC mistakes', () => {
  test('missing DMARC: error with a p=none record to publish', async () => {
    const findings = await runDoctor(context({ domains: [domainNamed('nodmarc.test')] }));
    const f = assertFinding(findings, 'dmarc.record', 'error');
    assert.match(f.fix?.record ?? '', /^_dmarc\.nodmarc\.test\. 3600 IN TXT "v=DMARC1; p=none;/);
  });

  test('DMARC without p=: syntax error with a repaired record', async () => {
    const findings = await runDoctor(context({ domains: [domainNamed('baddmarc.test')] }));
    const f = assertFinding(findings, 'dmarc.syntax', 'error');
    assert.match(f.explanation.en, /p= tag/);
    assert.match(f.fix?.record ?? '', /"v=DMARC1; p=none; rua=mailto:dmarc@baddmarc\.test"/);
  });

  test('DMARC with bad tag values: syntax error naming them', async () => {
    const findings = await runDoctor(context({ domains: [domainNamed('typodmarc.test')] }));
    const f = assertFinding(findings, 'dmarc.syntax', 'error');
    assert.match(f.explanation.en, /p=rejct is not allowed/);
    assert.match(f.explanation.en, /pct=150 is not allowed/);
  });

  test('a return-path domain outside the organisational domain does not align SPF', async () => {
    const domain: SendingDomain = { ...domainNamed('strict.test'), returnPathDomain: 'bounces.other.test' };
    const findings = await runDoctor(context({ domains: [domain] }));
    // DKIM still aligns: a warning. The return-path domain has no SPF: an error of its own.
    assertFinding(findings, 'dmarc.spf-alignment', 'warning');
    assert.ok(byId(findings, 'spf.record').some((f) => f.status === 'error' && f.subject === 'bounces.other.test'));
  });
});

describe('MX', () => {
  test('no MX but an address: warning; a null MX: warning', async () => {
    assertFinding(await runDoctor(context({ domains: [domainNamed('nomx.test')] })), 'mx.record', 'warning');
    const f = assertFinding(await runDoctor(context({ domains: [domainNamed('nullmx.test')] })), 'mx.record', 'warning');
    assert.match(f.explanation.en, /null MX/);
  });

  test('no MX and no address, or no domain at all: error', async () => {
    const findings = await runDoctor(context({ domains: [], unregisteredDomains: ['txtonly.test', 'nothing-here.test'] }));
    const noAddress = byId(findings, 'mx.record').find((x) => x.subject === 'txtonly.test');
    assert.equal(noAddress?.status, 'error');
    assert.match(noAddress?.explanation.en ?? '', /neither an MX nor an A\/AAAA/);
    const nx = byId(findings, 'mx.record').find((x) => x.subject === 'nothing-here.test');
    assert.equal(nx?.status, 'error');
    assert.match(nx?.explanation.en ?? '', /NXDOMAIN/);
  });
});

describe('reverse DNS and blocklists', () => {
  test('no PTR for the outbound address: error with the PTR to ask for', async () => {
    const findings = await runDoctor(context({ domains: [registered], outboundAddresses: ['127.0.0.3'] }));
    const f = assertFinding(findings, 'ptr.record', 'error');
    assert.equal(f.fix?.record, `3.0.0.127.in-addr.arpa. 3600 IN PTR ${HOSTNAME}.`);
  });

  test('a PTR that does not resolve back: FCrDNS error, and EHLO name mismatch', async () => {
    const findings = await runDoctor(context({ domains: [registered], outboundAddresses: ['127.0.0.4'] }));
    const f = assertFinding(findings, 'ptr.fcrdns', 'error');
    assert.equal(f.fix?.record, 'host4.example.net. 3600 IN A 127.0.0.4');
    assertFinding(findings, 'ptr.hostname', 'warning');
  });

  test('a listed address: error with the list reason; unanswered lists: warning', async () => {
    dns.setBehaviour('2.0.0.127.slow.test', 'timeout');
    const slowConfig = makeConfig({ doctor: { blocklists: ['bl.test', 'slow.test'] } });
    const resolver = createResolver({ servers: [dns.address], timeoutMs: 200, tries: 1 });
    const listed = await runDoctor(context({ domains: [], outboundAddresses: ['127.0.0.5'] }));
    const f = assertFinding(listed, 'blocklist.listed', 'error');
    assert.match(f.explanation.en, /Listed for spam/);
    const slow = await runDoctor(context({ domains: [], config: slowConfig, resolver }));
    assertFinding(slow, 'blocklist.listed', 'warning');
    assertFinding(slow, 'blocklist.listed', 'ok');
  });
});

describe('MTA-STS, TLS-RPT and port 25', () => {
  test('a published MTA-STS policy is fetched and checked against the MX', async (t) => {
    const cert = await makeTestCertificate(['mta-sts.sts.test']);
    const server = createHttpsServer({ key: cert.key, cert: cert.cert }, (req, res) => {
      assert.equal(req.headers.host, 'mta-sts.sts.test');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('version: STSv1\nmode: enforce\nmx: other.sts.test\nmax_age: 86400\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as net.AddressInfo).port;
    const findings = await runDoctor(context({ domains: [domainNamed('sts.test')], mtaStsFetch: { port, ca: cert.cert, timeoutMs: 2000 } }));
    assertFinding(findings, 'mta-sts.record', 'ok');
    assertFinding(findings, 'mta-sts.policy', 'ok');
    // mx.sts.test is not in the policy, and mode is enforce: senders would refuse it.
    const f = assertFinding(findings, 'mta-sts.mx', 'error');
    assert.equal(f.fix?.record, 'mx: mx.sts.test');
    assertFinding(findings, 'tls-rpt.record', 'ok');
  });

  test('an MTA-STS policy that cannot be fetched: warning', async () => {
    const port = await closedPort();
    const findings = await runDoctor(context({ domains: [domainNamed('sts.test')], mtaStsFetch: { port, timeoutMs: 1000 } }));
    const f = assertFinding(findings, 'mta-sts.policy', 'warning');
    assert.match(f.explanation.en, /ECONNREFUSED/);
  });

  test('invalid MTA-STS and TLS-RPT records: errors', async () => {
    const findings = await runDoctor(context({ domains: [domainNamed('badsts.test')] }));
    assertFinding(findings, 'mta-sts.record', 'error');
    assertFinding(findings, 'tls-rpt.record', 'error');
  });

  test('port 25: a greeting server is ok, a closed port is a warning with a smarthost snippet', async (t) => {
    const greeter = net.createServer((socket) => {
      socket.on('error', () => socket.destroy());
      socket.resume(); // read (and discard) QUIT, so the client's FIN is seen and the socket closes
      socket.end('220 mx.test ESMTP\r\n');
    });
    await new Promise<void>((resolve) => greeter.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => greeter.close(() => resolve())));
    const open = { host: '127.0.0.1', port: (greeter.address() as net.AddressInfo).port };
    const ok = await runDoctor(context({ domains: [], checkPort25: true, port25Target: open, port25TimeoutMs: 2000 }));
    assertFinding(ok, 'port25.outbound', 'ok');
    const closed = { host: '127.0.0.1', port: await closedPort() };
    const blocked = await runDoctor(context({ domains: [], checkPort25: true, port25Target: closed, port25TimeoutMs: 2000 }));
    const f = assertFinding(blocked, 'port25.outbound', 'warning');
    assert.match(f.fix?.record ?? '', /smarthost:/);
  });
});

describe('the doctor command', () => {
  test('renders in Japanese and English, and exits 0 without errors', async () => {
    const lines: string[] = [];
    const out = (s: string): void => void lines.push(s);
    const code = await runDoctorCommand(['good.test', '--no-port25', '--lang', 'ja'], { config, lang: 'en', out, isTty: false });
    assert.equal(code, 0);
    const ja = lines.join('\n');
    assert.match(ja, /good\.test の SPF レコード/);
    assert.match(ja, /まとめ: エラー 0 件/);
    assert.doesNotMatch(ja, /\x1b\[/); // not a terminal: no colour codes

    lines.length = 0;
    assert.equal(await runDoctorCommand(['good.test', '--no-port25'], { config, lang: 'en', out, isTty: true }), 0);
    const en = lines.join('\n');
    assert.match(en, /SPF record of good\.test/);
    assert.match(en, /Summary: 0 error\(s\)/);
    assert.match(en, /\x1b\[32m/); // a terminal: OK in green
  });

  test('exits 1 when there is an error, and --json gives both languages', async () => {
    const storeDir = mkdtempSync(path.join(tmpdir(), 'hikyaku-doctor-cmd-'));
    try {
      const lines: string[] = [];
      const cmdConfig = makeConfig({ dataDir: storeDir });
      const code = await runDoctorCommand(['nodmarc.test', '--no-port25', '--json'], { config: cmdConfig, lang: 'en', out: (s) => void lines.push(s), isTty: false });
      assert.equal(code, 1);
      const report = JSON.parse(lines.join('\n')) as { ok: boolean; findings: Finding[] };
      assert.equal(report.ok, false);
      const dmarc = report.findings.find((f) => f.id === 'dmarc.record');
      assert.equal(dmarc?.status, 'error');
      assert.ok(dmarc?.title.ja.includes('DMARC'));
      assert.ok(dmarc?.title.en.includes('DMARC'));
      // Not registered in this data directory: DKIM cannot be checked, the user is told how to register.
      assert.equal(report.findings.find((f) => f.id === 'dkim.unregistered')?.status, 'warning');
    } finally {
      rmSync(storeDir, { recursive: true, force: true });
    }
  });
});

/** A loopback port with nothing listening: bind, read the port, close. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
