// `hikyaku tlsrpt report` as an admin runs it: the real command, a config
// file, tlsrpt.db with a recorded day, a real DNS server publishing the
// domain's _smtp._tls record; --dry-run prints the RFC 8460 report, a real
// run queues the mailed report (into the maildrop, no server running).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TlsReportStore } from '../../src/tlsrpt/tlsrpt-store.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { runCli, tempDir, testRawConfig, writeConfigFile } from '../helpers/hikyaku.js';
import { rfc8460Problems } from '../helpers/tlsrpt-schema.js';

test('hikyaku tlsrpt report: --dry-run prints a valid report; a real run queues it; a bad date is named', async (t) => {
  const dir = tempDir('hikyaku-tlsrpt-cli-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dns = await startDnsServer({ '_smtp._tls.sts.test': { TXT: ['v=TLSRPTv1; rua=mailto:tls-reports@sts.test'] } });
  t.after(() => dns.close());
  const dataDir = join(dir, 'data');
  const config = writeConfigFile(dir, testRawConfig({ dns: dns.address, mxPort: 25 }, dataDir));

  const store = TlsReportStore.open(dataDir, () => Date.parse('2026-12-03T08:00:00Z'));
  const base = { policyDomain: 'sts.test', policyType: 'sts' as const, policyStrings: ['version: STSv1', 'mode: enforce', 'mx: mx.sts.test', 'max_age: 86400'], mxPatterns: ['mx.sts.test'], receivingMxHostname: 'mx.sts.test', receivingIp: '192.0.2.7', sendingIp: undefined };
  store.record({ ...base, failure: undefined });
  store.record({ ...base, failure: { resultType: 'certificate-expired', detail: 'certificate not valid: CERT_HAS_EXPIRED' } });
  store.close();

  const dry = await runCli(['tlsrpt', 'report', '--date', '2026-12-03', '--dry-run', '--config', config]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^sts\.test: would send to mailto:tls-reports@sts\.test$/m);
  const report = JSON.parse(dry.stdout.slice(dry.stdout.indexOf('{'))) as Record<string, unknown>;
  assert.deepEqual(rfc8460Problems(report), []);
  assert.equal(report['date-range'] && (report['date-range'] as Record<string, string>)['start-datetime'], '2026-12-03T00:00:00Z');
  assert.equal(report['organization-name'], 'mail.hikyaku.test');
  assert.ok(!readdirSync(dataDir).includes('maildrop'), 'a dry run queues nothing');

  const real = await runCli(['tlsrpt', 'report', '--date', '2026-12-03', '--config', config]);
  assert.equal(real.code, 0, real.stderr + real.stdout);
  assert.match(real.stdout, /sts\.test: sent to mailto:tls-reports@sts\.test/);
  const dropped = readdirSync(join(dataDir, 'maildrop'));
  assert.equal(dropped.length, 1);
  const frame = readFileSync(join(dataDir, 'maildrop', dropped[0]!), 'latin1');
  assert.match(frame, /TLS-Report-Domain: sts\.test/);
  assert.match(frame, /application\/tlsrpt\+gzip/);

  const bad = await runCli(['tlsrpt', 'report', '--date', '03.12.2026', '--config', config]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /"03\.12\.2026" is not a date\. Write it as YYYY-MM-DD/);
});
