// The doctor's DANE resolver check, with delivery.dane on: a local Unbound
// validating a zone signed by ldns-signzone passes; the (non-validating)
// test DNS server itself, and a resolver that does not answer, are errors
// that say what to run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { createResolver } from '../../src/dns/resolver.js';
import { runDoctor } from '../../src/doctor/run-doctor.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { signZone } from '../helpers/signed-zone.js';
import { startUnbound } from '../helpers/unbound.js';

test('doctor: the DANE resolver must validate (AD bit)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-dane-doctor-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const signed = await signZone(dir, 'dane.test', ['dane.test. 3600 IN MX 10 mx.dane.test.', 'mx.dane.test. 3600 IN A 127.0.0.2']);
  const dns = await startDnsServer(signed.zone);
  t.after(() => dns.close());
  const unbound = await startUnbound({ dir, zone: 'dane.test', trustAnchor: signed.trustAnchor, authority: dns.address });
  t.after(() => unbound.close());

  const danes = async (resolver: string) => {
    const config = parseConfig({
      hostname: 'mail.hikyaku.test',
      dataDir: join(dir, 'data'),
      outboundAddresses: ['127.0.0.2'],
      delivery: { resolvers: [dns.address], dnsTimeout: '1s', dane: { enabled: true, resolver, timeout: '1s' } },
      doctor: { blocklists: [] },
    });
    const findings = await runDoctor({
      resolver: createResolver({ servers: [dns.address], timeoutMs: 1000 }),
      config,
      domains: [],
      outboundAddresses: ['127.0.0.2'],
      checkPort25: false,
      daneProbe: { name: 'dane.test', type: 'MX' },
      nowMs: Date.now(),
    });
    return findings.filter((f) => f.id === 'dane.resolver');
  };

  const [ok] = await danes(unbound.address);
  assert.equal(ok?.status, 'ok', JSON.stringify(ok));

  const [plain] = await danes(dns.address);
  assert.equal(plain?.status, 'error');
  assert.match(plain?.explanation.en ?? '', /without the AD bit: it does not validate DNSSEC/);
  assert.match(plain?.explanation.ja ?? '', /AD ビットがありません/);
  assert.match(plain?.fix?.record ?? '', /unbound/i);

  const [silent] = await danes('127.0.0.1:9');
  assert.equal(silent?.status, 'error');
  assert.match(silent?.explanation.en ?? '', /did not answer/);
});
