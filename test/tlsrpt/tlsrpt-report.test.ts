// TLS-RPT (RFC 8460) from real deliveries: sessions to an MTA-STS testing
// domain whose MX certificate names another host, and to a domain without
// TLS, counted in tlsrpt.db; the day's report built, checked against the
// RFC's fields, mailed (rua=mailto:, gzip attachment) and POSTed (rua=https:)
// to a real HTTPS server; a domain without _smtp._tls gets none.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { simpleParser } from 'mailparser';
import { createResolver } from '../../src/dns/resolver.js';
import { createDeliverer } from '../../src/outbound/deliverer.js';
import { sendReports } from '../../src/tlsrpt/report-send.js';
import { TlsReportStore } from '../../src/tlsrpt/tlsrpt-store.js';
import { makeTestCertificate } from '../helpers/certs.js';
import { startPolicyServer } from '../helpers/policy-server.js';
import { rfc8460Problems } from '../helpers/tlsrpt-schema.js';
import { deliveryConfig, dnsServer, HOSTNAME, request, silentLogger, sinks } from '../outbound/fixtures.js';

interface Posted {
  contentType: string | undefined;
  body: Buffer;
}

async function reportEndpoint(t: TestContext, cert: { key: string; cert: string }): Promise<{ port: number; posted: Posted[] }> {
  const posted: Posted[] = [];
  const server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/tlsrpt') posted.push({ contentType: req.headers['content-type'], body: Buffer.concat(chunks) });
      res.writeHead(req.url === '/tlsrpt' ? 201 : 404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.8', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, posted };
}

test('a day of TLS sessions becomes an RFC 8460 report, mailed and POSTed to the rua of the domain', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-tlsrpt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const policyCert = await makeTestCertificate(['mta-sts.sts.test']);
  const reportsCert = await makeTestCertificate(['reports.sts.test']);
  const otherCert = await makeTestCertificate(['other.sts.test']);
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, policyCert.cert + reportsCert.cert + otherCert.cert);
  const policy = await startPolicyServer({ host: '127.0.0.9', ...policyCert, policy: 'version: STSv1\nmode: testing\nmx: mx.sts.test\nmax_age: 86400\n' });
  t.after(() => policy.close());
  const endpoint = await reportEndpoint(t, reportsCert);
  const dns = await dnsServer(t, {
    'sts.test': { MX: [{ preference: 10, exchange: 'mx.sts.test' }] },
    'mx.sts.test': { A: ['127.0.0.2'] },
    '_mta-sts.sts.test': { TXT: ['v=STSv1; id=1'] },
    'mta-sts.sts.test': { A: ['127.0.0.9'] },
    '_smtp._tls.sts.test': { TXT: [`v=TLSRPTv1; rua=mailto:tls-reports@sts.test,https://reports.sts.test:${endpoint.port}/tlsrpt`] },
    'reports.sts.test': { A: ['127.0.0.8'] },
    'plain.test': { MX: [{ preference: 10, exchange: 'mx.plain.test' }] },
    'mx.plain.test': { A: ['127.0.0.3'] },
  });
  // The MX of sts.test shows a trusted certificate for another name; plain.test has no TLS.
  const [stsMx] = await sinks(t, [
    { host: '127.0.0.2', tls: otherCert },
    { host: '127.0.0.3', tls: false },
  ]);

  const store = TlsReportStore.open(dir);
  t.after(() => store.close());
  const config = deliveryConfig(dns, stsMx!.port, {
    maxMessagesPerConnection: 1, // one session per message: each is counted
    mtaSts: { enabled: true, caFile, fetchTimeoutMs: 5000, policyPort: policy.port, recheckIntervalMs: 60_000 },
  });
  const d = createDeliverer(config, { hostname: HOSTNAME, logger: silentLogger, dataDir: dir, tlsReport: store });
  t.after(() => d.close());
  for (const rcpts of [['a@sts.test'], ['b@sts.test'], ['c@plain.test']]) {
    const [o] = await d.deliver(request(rcpts));
    assert.equal(o?.kind, 'delivered', JSON.stringify(o));
  }

  const day = new Date().toISOString().slice(0, 10);
  const mailed: { from: string; to: string; message: Buffer }[] = [];
  const results = await sendReports({
    store,
    resolver: createResolver({ servers: [dns.address], timeoutMs: 1000 }),
    meta: { organizationName: 'Hikyaku Test', contactInfo: 'postmaster@out.hikyaku.test', submitter: HOSTNAME, day },
    from: 'postmaster@out.hikyaku.test',
    mail: async (from, to, message) => {
      mailed.push({ from, to, message });
      return 'queued';
    },
    dryRun: false,
    ca: reportsCert.cert,
  });

  assert.deepEqual(results.map((r) => [r.domain, r.rua.length]), [
    ['plain.test', 0],
    ['sts.test', 2],
  ]);
  assert.match(results[0]?.noRecordReason ?? '', /_smtp\._tls\.plain\.test/);
  const sts = results[1]!;
  assert.deepEqual(sts.results.map((x) => x.ok), [true, true], JSON.stringify(sts.results));
  assert.deepEqual(rfc8460Problems(sts.report), []);
  assert.deepEqual(rfc8460Problems(results[0]?.report), []);
  const [entry] = sts.report.policies;
  assert.equal(entry?.policy['policy-type'], 'sts');
  assert.deepEqual(entry?.policy['mx-host'], ['mx.sts.test']);
  assert.ok(entry?.policy['policy-string']?.includes('mode: testing'));
  assert.deepEqual(entry?.summary, { 'total-successful-session-count': 0, 'total-failure-session-count': 2 });
  assert.deepEqual(
    entry?.['failure-details']?.map((f) => [f['result-type'], f['receiving-mx-hostname'], f['receiving-ip'], f['failed-session-count']]),
    [['certificate-host-mismatch', 'mx.sts.test', '127.0.0.2', 2]],
  );
  assert.equal(sts.report['date-range']['start-datetime'], `${day}T00:00:00Z`);
  assert.equal(sts.report['date-range']['end-datetime'], `${day}T23:59:59Z`);
  // plain.test, no policy: counted as no-policy-found, STARTTLS not offered.
  assert.equal(results[0]?.report.policies[0]?.policy['policy-type'], 'no-policy-found');
  assert.equal(results[0]?.report.policies[0]?.['failure-details']?.[0]?.['result-type'], 'starttls-not-supported');

  // RFC 8460 §5.3: the mailed report.
  assert.equal(mailed.length, 1);
  assert.equal(mailed[0]?.to, 'tls-reports@sts.test');
  const parsed = await simpleParser(mailed[0]!.message);
  assert.equal(parsed.subject, `Report Domain: sts.test Submitter: ${HOSTNAME} Report-ID: <${sts.report['report-id']}>`);
  assert.equal(parsed.headers.get('tls-report-domain'), 'sts.test');
  assert.equal(parsed.headers.get('tls-report-submitter'), HOSTNAME);
  assert.equal((parsed.headers.get('content-type') as { params: Record<string, string> }).params['report-type'], 'tlsrpt');
  const attachment = parsed.attachments.find((a) => a.contentType === 'application/tlsrpt+gzip');
  assert.ok(attachment, 'a gzip attachment');
  assert.match(attachment.filename ?? '', new RegExp(`^${HOSTNAME.replace(/\./g, '\\.')}!sts\\.test!\\d+!\\d+\\.json\\.gz$`));
  assert.deepEqual(JSON.parse(gunzipSync(attachment.content).toString('utf8')), sts.report);

  // RFC 8460 §5.4: the POSTed report.
  assert.equal(endpoint.posted.length, 1);
  assert.equal(endpoint.posted[0]?.contentType, 'application/tlsrpt+gzip');
  assert.deepEqual(JSON.parse(gunzipSync(endpoint.posted[0]!.body).toString('utf8')), sts.report);
});

test('the counts survive a reopen of tlsrpt.db; a dry run sends nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-tlsrpt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fixed = Date.parse('2026-12-03T10:00:00Z');
  const first = TlsReportStore.open(dir, () => fixed);
  const base = { policyDomain: 'x.test', policyType: 'no-policy-found' as const, policyStrings: [], mxPatterns: [], receivingMxHostname: 'mx.x.test', receivingIp: '192.0.2.1', sendingIp: undefined };
  first.record({ ...base, failure: undefined });
  first.record({ ...base, failure: undefined });
  first.record({ ...base, failure: { resultType: 'starttls-not-supported', detail: 'STARTTLS not offered' } });
  first.close();
  const again = TlsReportStore.open(dir);
  t.after(() => again.close());
  const [day] = again.day('2026-12-03');
  assert.equal(day?.successes, 2);
  assert.equal(day?.failures, 1);
  assert.deepEqual(again.day('2026-12-04'), []);
  const dns = await dnsServer(t, { '_smtp._tls.x.test': { TXT: ['v=TLSRPTv1; rua=mailto:r@x.test'] } });
  let mailed = 0;
  const results = await sendReports({
    store: again,
    resolver: createResolver({ servers: [dns.address], timeoutMs: 1000 }),
    meta: { organizationName: 'o', contactInfo: 'c@example.org', submitter: HOSTNAME, day: '2026-12-03' },
    from: 'c@example.org',
    mail: async () => {
      mailed++;
      return 'queued';
    },
    dryRun: true,
  });
  assert.deepEqual(results[0]?.rua, ['mailto:r@x.test']);
  assert.deepEqual(rfc8460Problems(results[0]?.report), []);
  assert.equal(mailed, 0);
});
