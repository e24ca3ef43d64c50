// The doctor's autoconfiguration names against the test DNS server (real
// UDP/TCP on loopback): autoconfig.DOMAIN (A or CNAME), autodiscover.DOMAIN
// or the SRV record _autodiscover._tcp.DOMAIN, present and missing; and the
// note that a loopback-only HTTP listener is not reachable by clients.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { createResolver } from '../../src/dns/resolver.js';
import { checkAutoconfigNames } from '../../src/doctor/autoconfig-check.js';
import { runDoctor } from '../../src/doctor/run-doctor.js';
import { parseConfig } from '../../src/config/load.js';
import type { Finding } from '../../src/doctor/types.js';

let dns: TestDnsServer;

before(async () => {
  dns = await startDnsServer({
    'mail.hikyaku.test': { A: ['192.0.2.25'] },
    // Both names published: a CNAME and an A record.
    'autoconfig.full.test': { CNAME: 'mail.hikyaku.test' },
    'autodiscover.full.test': { A: ['192.0.2.25'] },
    // Only the SRV record for Outlook.
    'srv.test': { TXT: ['v=spf1 -all'] },
    '_autodiscover._tcp.srv.test': { SRV: [{ priority: 0, weight: 0, port: 443, target: 'mail.hikyaku.test' }] },
    'bare.test': { TXT: ['v=spf1 -all'] },
  });
});

after(async () => {
  await dns?.close();
});

const resolver = () => createResolver({ servers: [dns.address], timeoutMs: 1000 });
const byId = (findings: readonly Finding[], id: string): Finding => {
  const found = findings.find((f) => f.id === id);
  assert.ok(found, `no ${id} in ${JSON.stringify(findings.map((f) => f.id))}`);
  return found;
};

test('both names published (CNAME and A): ok, with what they resolve to', async () => {
  const findings = await checkAutoconfigNames({ resolver: resolver(), domain: 'full.test', host: 'mail.hikyaku.test' });
  const thunderbird = byId(findings, 'autoconfig.thunderbird');
  assert.equal(thunderbird.status, 'ok');
  assert.match(thunderbird.explanation.en, /autoconfig\.full\.test is published \(192\.0\.2\.25\)/);
  assert.equal(byId(findings, 'autoconfig.autodiscover').status, 'ok');
});

test('only the SRV record for Autodiscover: Outlook is served, Thunderbird is missing with the record to publish', async () => {
  const findings = await checkAutoconfigNames({ resolver: resolver(), domain: 'srv.test', host: 'mail.hikyaku.test' });
  const autodiscover = byId(findings, 'autoconfig.autodiscover');
  assert.equal(autodiscover.status, 'ok');
  assert.match(autodiscover.explanation.en, /_autodiscover\._tcp\.srv\.test is published \(mail\.hikyaku\.test:443\)/);
  const thunderbird = byId(findings, 'autoconfig.thunderbird');
  assert.equal(thunderbird.status, 'info');
  assert.equal(thunderbird.fix?.record, 'autoconfig.srv.test. 3600 IN CNAME mail.hikyaku.test.');
});

test('neither name: information (not a warning about sending) with both records, in both languages', async () => {
  const findings = await checkAutoconfigNames({ resolver: resolver(), domain: 'bare.test', host: 'mail.hikyaku.test' });
  const autodiscover = byId(findings, 'autoconfig.autodiscover');
  assert.equal(autodiscover.status, 'info');
  assert.equal(autodiscover.fix?.record, 'autodiscover.bare.test. 3600 IN CNAME mail.hikyaku.test.');
  assert.match(autodiscover.fix?.en ?? '', /_autodiscover\._tcp\.bare\.test\. 3600 IN SRV 0 0 443/);
  assert.match(autodiscover.explanation.ja, /Outlook は bare\.test のアドレスを自動設定できません/);
  assert.equal(byId(findings, 'autoconfig.thunderbird').status, 'info');
});

test('runDoctor includes the checks for each sending domain and says the loopback listener must be exposed', async () => {
  const config = parseConfig({ hostname: 'mail.hikyaku.test', autoconfig: { smtpHost: 'smtp.hikyaku.test' }, delivery: { resolvers: [dns.address], dnsTimeout: '1s' }, doctor: { blocklists: [] } });
  const domain = { name: 'bare.test', createdAtMs: 0, keys: [], returnPathDomain: undefined };
  const findings = await runDoctor({ resolver: resolver(), config, domains: [domain], outboundAddresses: ['192.0.2.25'], checkPort25: false, nowMs: Date.now() });
  assert.equal(byId(findings, 'autoconfig.thunderbird').fix?.record, 'autoconfig.bare.test. 3600 IN CNAME smtp.hikyaku.test.');
  const reachable = byId(findings, 'autoconfig.reachable');
  assert.match(reachable.explanation.en, /listens on 127\.0\.0\.1:8025 only/);
  assert.match(reachable.fix?.en ?? '', /reverse proxy/);

  const off = parseConfig({ hostname: 'mail.hikyaku.test', autoconfig: { enabled: false }, delivery: { resolvers: [dns.address], dnsTimeout: '1s' }, doctor: { blocklists: [] } });
  const without = await runDoctor({ resolver: resolver(), config: off, domains: [domain], outboundAddresses: ['192.0.2.25'], checkPort25: false, nowMs: Date.now() });
  assert.equal(without.filter((f) => f.id.startsWith('autoconfig.')).length, 0);
});
