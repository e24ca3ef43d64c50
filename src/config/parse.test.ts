import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { defaultRetrySchedule } from '../core/retry.js';
import { ConfigError, parseConfig } from './load.js';
import { defaultConfigYaml } from './schema.js';
import type { Config } from './types.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

// Written out in full (and typed as Config, so a field missing here or in the
// schema fails the type check or the comparison).
function expectedDefaults(baseDir: string): Config {
  return {
    hostname: hostname(),
    dataDir: join(baseDir, 'data'),
    outboundAddresses: [],
    listeners: {
      submission: { enabled: true, host: '0.0.0.0', port: 587 },
      submissions: { enabled: true, host: '0.0.0.0', port: 465 },
      relay: { enabled: false, host: '0.0.0.0', port: 25, trustedNetworks: ['127.0.0.0/8', '::1/128'], maySendAs: [] },
      http: { enabled: true, host: '127.0.0.1', port: 8025 },
    },
    tls: { certFile: undefined, keyFile: undefined, minVersion: 'TLSv1.2' },
    limits: {
      maxMessageBytes: 35 * 1024 * 1024,
      maxRecipients: 100,
      maxConnections: 1000,
      socketTimeoutMs: 300_000,
      maxConnectionsPerClient: 20,
      connectionRatePerClient: 120,
      clientLimitExemptNetworks: [],
      commandDeadlineMs: 60_000,
      dataDeadlineMs: 600_000,
      maxReceivedHeaders: 50,
    },
    auth: {
      tarpitDelayMs: 1000,
      maxFailuresPerSession: 3,
      maxFailuresPerClient: 10,
      maxFailuresPerLogin: 10,
      failureWindowMs: 900_000,
      blockDurationMs: 900_000,
      cramMd5: false,
    },
    quotas: {
      user: { messagesPerHour: 1000, messagesPerDay: 10000, recipientsPerMessage: 0 },
      appPassword: { messagesPerHour: 0, messagesPerDay: 0, recipientsPerMessage: 0 },
      domain: { messagesPerHour: 0, messagesPerDay: 0 },
      hourWindowMs: 3600_000,
      dayWindowMs: 86_400_000,
    },
    brake: { enabled: true, factor: 10, floor: 200, windowMs: 3600_000, historyWindows: 168, alertAddress: undefined },
    suppression: { expireAfterMs: 90 * 86_400_000 },
    delivery: {
      resolvers: [],
      mxPort: 25,
      tls: 'opportunistic',
      connectTimeoutMs: 30_000,
      commandTimeoutMs: 300_000,
      dnsTimeoutMs: 10_000,
      maxConnectionsPerDestination: 20,
      maxMessagesPerConnection: 100,
      idleConnectionTimeoutMs: 5000,
      maxConcurrentDeliveries: 100,
      sourceAddress: undefined,
      smarthost: undefined,
      mtaSts: { enabled: true, caFile: undefined, fetchTimeoutMs: 10_000, policyPort: 443, recheckIntervalMs: 300_000 },
      dane: { enabled: false, resolver: '127.0.0.1:53', timeoutMs: 5000 },
    },
    queue: { retry: { ...defaultRetrySchedule }, pollIntervalMs: 1000, claimLeaseMs: 30_000 },
    log: { level: 'info', file: undefined, format: 'auto' },
    domains: { rotationOverlapMs: 7 * 24 * 3600_000, autoActivate: true, autoActivateIntervalMs: 600_000 },
    doctor: { blocklists: ['zen.spamhaus.org', 'bl.spamcop.net', 'b.barracudacentral.org'], intervalMs: 6 * 3600_000 },
    webhooks: [],
    metrics: { enabled: true, token: undefined },
    history: { retentionDays: 30 },
    bulk: { unsubscribeUrl: undefined },
    status: { queueAgeWarningMs: 3600_000, queueAgeCriticalMs: 86_400_000 },
    tlsReports: { enabled: true, organizationName: undefined, contactInfo: undefined },
    deliverability: { enabled: true, groups: [], coolingPeriodMs: 900_000, recoveryStepMs: 300_000, suspendPeriodMs: 3_600_000, rateIntervalMs: 60_000, warmup: { enabled: false, firstDay: 50, growth: 2, dayMs: 86_400_000 } },
    store: 'embedded',
    autoconfig: { enabled: true, smtpHost: undefined, imapHost: undefined, imapPort: 993 },
  };
}

test('an empty file gives every default, deep-frozen', () => {
  const config = parseConfig(null, { baseDir: '/srv/hikyaku' });
  assert.deepEqual(config, expectedDefaults('/srv/hikyaku'));
  assert.deepEqual(parseConfig({}, { baseDir: '/srv/hikyaku' }), config);
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.listeners.relay));
  assert.ok(Object.isFrozen(config.listeners.relay.trustedNetworks));
  assert.ok(Object.isFrozen(config.queue.retry));
  assert.throws(() => {
    (config.limits as { maxRecipients: number }).maxRecipients = 1;
  }, TypeError);
});

test('without baseDir, relative paths resolve against the current directory', () => {
  assert.equal(parseConfig({}).dataDir, join(process.cwd(), 'data'));
  assert.equal(parseConfig({ dataDir: 'spool' }, { baseDir: '/etc/hikyaku' }).dataDir, '/etc/hikyaku/spool');
});

test('durations, sizes and `off` are converted into the Config units', () => {
  const config = parseConfig({
    limits: { maxMessageSize: '10MiB', socketTimeout: '90s' },
    delivery: { connectTimeout: '500ms', commandTimeout: 120_000, idleConnectionTimeout: '1m30s' },
    queue: { retry: { initialDelay: '1m', maxDelay: '2h', maxLifetime: '3d', delayNoticeAfter: 'off' }, pollInterval: '250ms' },
    domains: { rotationOverlap: '0s' },
  });
  assert.equal(config.limits.maxMessageBytes, 10 * 1024 * 1024);
  assert.equal(config.limits.socketTimeoutMs, 90_000);
  assert.equal(config.delivery.connectTimeoutMs, 500);
  assert.equal(config.delivery.commandTimeoutMs, 120_000);
  assert.equal(config.delivery.idleConnectionTimeoutMs, 90_000);
  assert.deepEqual(config.queue.retry, { initialDelayMs: 60_000, maxDelayMs: 7_200_000, maxLifetimeMs: 259_200_000, delayNoticeAfterMs: undefined });
  assert.equal(config.queue.pollIntervalMs, 250);
  assert.equal(config.domains.rotationOverlapMs, 0);
  assert.equal(parseConfig({ limits: { maxMessageSize: '35MB' } }).limits.maxMessageBytes, 35_000_000);
  assert.equal(parseConfig({ limits: { maxMessageSize: 2048 } }).limits.maxMessageBytes, 2048);
});

test('every problem is reported together, each naming its key and what is allowed', (t) => {
  const dir = tempDir(t);
  const problems = problemsOf(() =>
    parseConfig(
      {
        hostname: 'bad host!',
        outboundAddresses: ['192.0.2.1', 'not-an-ip'],
        listeners: { submission: { port: 70000, enabled: 'yes' }, relay: { trustedNetworks: ['10.0.0.0/33', '192.0.2.0/24', 'fe80::/129'] } },
        tls: { certFile: 'missing.pem', minVersion: 'TLSv1.1' },
        limits: { maxMessageSize: '10XB', maxRecipients: 0 },
        delivery: {
          tls: 'maybe',
          resolvers: ['1.1.1.1', '1.1.1.1:99999', '[::1]:53', 'dns.example'],
          connectTimeout: 'soon',
          smarthost: { username: 'relay-user', port: 0, caFile: 'ca.pem' },
        },
        queue: { retry: { maxDelay: '1m', delayNoticeAfter: 'never' } },
        log: { level: 'verbose' },
        doctor: { blocklists: 'zen.spamhaus.org' },
      },
      { baseDir: dir },
    ),
  );
  const expected = [
    'hostname: "bad host!" is not allowed (allowed: a domain name such as mail.example.com)',
    'outboundAddresses[1]: "not-an-ip" is not allowed (allowed: an IPv4 or IPv6 address)',
    'listeners.submission.enabled: "yes" is not allowed (allowed: true, false)',
    'listeners.submission.port: 70000 is not allowed (allowed: an integer from 0 to 65535)',
    'listeners.relay.trustedNetworks[0]: "10.0.0.0/33" is not allowed (allowed: an address block such as 192.0.2.0/24 or 2001:db8::/32)',
    'listeners.relay.trustedNetworks[2]: "fe80::/129" is not allowed (allowed: an address block such as 192.0.2.0/24 or 2001:db8::/32)',
    `tls.certFile: cannot read "${join(dir, 'missing.pem')}": no such file`,
    'tls.keyFile: missing (tls.certFile is set; set both, or neither to use a generated self-signed certificate)',
    'tls.minVersion: "TLSv1.1" is not allowed (allowed: TLSv1.2, TLSv1.3)',
    'limits.maxMessageSize: "10XB" is not allowed (allowed: a size such as 35MiB, 10MB, 512KiB, or a number of bytes; at least 1024)',
    'limits.maxRecipients: 0 is not allowed (allowed: an integer ≥ 1)',
    'delivery.resolvers[1]: "1.1.1.1:99999" is not allowed (allowed: an IP address with an optional port, e.g. 192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53)',
    'delivery.resolvers[3]: "dns.example" is not allowed (allowed: an IP address with an optional port, e.g. 192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53)',
    'delivery.tls: "maybe" is not allowed (allowed: none, opportunistic, required)',
    'delivery.connectTimeout: "soon" is not allowed (allowed: a duration such as 500ms, 30s, 5m, 1h, 5d, or a number of milliseconds)',
    'delivery.smarthost.host: missing (required when delivery.smarthost is set)',
    'delivery.smarthost.port: 0 is not allowed (allowed: an integer from 1 to 65535)',
    'delivery.smarthost.password: missing (username is set; set password or passwordFile)',
    `delivery.smarthost.caFile: cannot read "${join(dir, 'ca.pem')}": no such file`,
    'queue.retry.maxDelay: shorter than queue.retry.initialDelay (allowed: at least initialDelay)',
    'queue.retry.delayNoticeAfter: "never" is not allowed (allowed: off, or a duration such as 500ms, 30s, 5m, 1h, 5d, or a number of milliseconds)',
    'log.level: "verbose" is not allowed (allowed: trace, debug, info, warn, error, fatal, silent)',
    'doctor.blocklists: "zen.spamhaus.org" is not allowed (allowed: a list of domain name)',
  ];
  assert.deepEqual([...problems].sort(), [...expected].sort());
});

test('unknown keys are errors, with a suggestion when one is close', () => {
  const problems = problemsOf(() =>
    parseConfig({
      hostnam: 'mail.example.com',
      connectTimeout: '10s',
      delivery: { conectTimeout: '10s', connectTimeoutMs: 10_000 },
      listeners: { submision: { port: 2587 } },
      tsl: { minVersion: 'TLSv1.3' },
      colour: 'blue',
    }),
  );
  assert.deepEqual([...problems].sort(), [
    'colour: unknown key (allowed: hostname, dataDir, outboundAddresses, listeners, tls, limits, delivery, queue, log, domains, doctor, metrics, history, bulk, status, auth, quotas, brake, suppression, tlsReports, deliverability, webhooks, store, autoconfig)',
    'connectTimeout: unknown key (did you mean "delivery.connectTimeout"?)',
    'delivery.conectTimeout: unknown key (did you mean "delivery.connectTimeout"?)',
    'delivery.connectTimeoutMs: unknown key (did you mean "delivery.connectTimeout"?)',
    'hostnam: unknown key (did you mean "hostname"?)',
    'listeners.submision: unknown key (did you mean "listeners.submission"?)',
    'tsl: unknown key (did you mean "tls"?)',
  ]);
});

test('sections must be mappings; empty values are errors unless the setting is optional', () => {
  assert.deepEqual(problemsOf(() => parseConfig({ listeners: ['submission'], tls: { minVersion: null } })), [
    'listeners: a list is not allowed (allowed: a mapping of settings)',
    'tls.minVersion: null is not allowed (allowed: TLSv1.2, TLSv1.3)',
  ]);
  assert.deepEqual(problemsOf(() => parseConfig('hostname: x')), ['(top level): "hostname: x" is not allowed (allowed: a mapping of settings)']);
  // `certFile:` with no value and `smarthost:` with every child commented out mean "unset".
  const config = parseConfig({ tls: { certFile: null, keyFile: null }, delivery: { smarthost: null }, log: { file: null } });
  assert.equal(config.tls.certFile, undefined);
  assert.equal(config.delivery.smarthost, undefined);
});

test('listener ports may be 0 (any free port); ports to connect to may not', () => {
  assert.equal(parseConfig({ listeners: { submission: { port: 0 } } }).listeners.submission.port, 0);
  assert.deepEqual(problemsOf(() => parseConfig({ delivery: { mxPort: 0 }, listeners: { relay: { port: -1 } } })), [
    'listeners.relay.port: -1 is not allowed (allowed: an integer from 0 to 65535)',
    'delivery.mxPort: 0 is not allowed (allowed: an integer from 1 to 65535)',
  ]);
});

test('trusted networks: bare addresses become single-address blocks', () => {
  const config = parseConfig({ listeners: { relay: { enabled: true, trustedNetworks: ['192.0.2.7', '2001:db8::/32', '10.0.0.0/8'] } } });
  assert.deepEqual(config.listeners.relay.trustedNetworks, ['192.0.2.7/32', '2001:db8::/32', '10.0.0.0/8']);
});

test('smarthost: defaults, password from passwordFile, and the credential rules', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'relay-password'), 's3cret pass\n');
  writeFileSync(join(dir, 'empty-password'), '');
  const config = parseConfig(
    { delivery: { smarthost: { host: 'smtp.relay.example', username: 'me@example.com', passwordFile: 'relay-password', domains: ['Example.COM'] } } },
    { baseDir: dir },
  );
  assert.deepEqual(config.delivery.smarthost, {
    host: 'smtp.relay.example',
    port: 587,
    tls: 'starttls',
    username: 'me@example.com',
    password: 's3cret pass',
    domains: ['example.com'],
    caFile: undefined,
    verifyCertificate: true,
  });
  assert.equal(
    parseConfig({ delivery: { smarthost: { host: 'relay.example', username: 'u', password: 'inline' } } }).delivery.smarthost?.password,
    'inline',
  );

  assert.deepEqual(
    problemsOf(() => parseConfig({ delivery: { smarthost: { host: 'relay.example', username: 'u', password: 'p', passwordFile: 'relay-password' } } }, { baseDir: dir })),
    ['delivery.smarthost.password: set together with passwordFile (set only one)'],
  );
  assert.deepEqual(problemsOf(() => parseConfig({ delivery: { smarthost: { host: 'relay.example', password: 'p' } } })), [
    'delivery.smarthost.username: missing (a password is set but no username)',
  ]);
  assert.deepEqual(
    problemsOf(() => parseConfig({ delivery: { smarthost: { host: 'relay.example', username: 'u', passwordFile: 'nope' } } }, { baseDir: dir })),
    [`delivery.smarthost.passwordFile: cannot read "${join(dir, 'nope')}": no such file`],
  );
  assert.deepEqual(
    problemsOf(() => parseConfig({ delivery: { smarthost: { host: 'relay.example', username: 'u', passwordFile: 'empty-password' } } }, { baseDir: dir })),
    [`delivery.smarthost.passwordFile: "${join(dir, 'empty-password')}" is empty`],
  );
  assert.deepEqual(problemsOf(() => parseConfig({ delivery: { smarthost: { host: 'relay.example', passwordFile: dir } } }, { baseDir: dir })), [
    `delivery.smarthost.passwordFile: cannot read "${dir}": it is not a regular file`,
    'delivery.smarthost.username: missing (a password is set but no username)',
  ]);
});

test('certFile and keyFile must both be set and readable', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'cert.pem'), 'x');
  writeFileSync(join(dir, 'key.pem'), 'x');
  const config = parseConfig({ tls: { certFile: 'cert.pem', keyFile: 'key.pem' } }, { baseDir: dir });
  assert.equal(config.tls.certFile, join(dir, 'cert.pem'));
  assert.equal(config.tls.keyFile, join(dir, 'key.pem'));
  assert.deepEqual(problemsOf(() => parseConfig({ tls: { keyFile: 'key.pem' } }, { baseDir: dir })), [
    'tls.certFile: missing (tls.keyFile is set; set both, or neither to use a generated self-signed certificate)',
  ]);
});

test('defaultConfigYaml parses back into the defaults', () => {
  const raw: unknown = parseYaml(defaultConfigYaml);
  assert.deepEqual(parseConfig(raw, { baseDir: '/etc/hikyaku' }), parseConfig({}, { baseDir: '/etc/hikyaku' }));
  // The commented-out examples are valid settings too once uncommented.
  assert.match(defaultConfigYaml, /^# hostname: mail\.example\.com$/m);
  assert.match(defaultConfigYaml, /^ {2}# smarthost:$/m);
  assert.match(defaultConfigYaml, /^ {4}# host: smtp\.relay\.example\.net$/m);
});

test('webhooks: each item is checked, with English and Japanese problems', () => {
  const good = parseConfig({ webhooks: [{ url: 'https://app.example.com/h', events: ['delivered', 'bounced'], secret: '0123456789abcdef' }] });
  assert.deepEqual(good.webhooks, [{ url: 'https://app.example.com/h', events: ['delivered', 'bounced'], secret: '0123456789abcdef' }]);
  try {
    parseConfig({ webhooks: [{ url: 'ftp://x', events: ['sent'], secret: 'short' }] });
    assert.fail('expected a ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.length, 3);
    assert.match(err.problems[0] ?? '', /^webhooks\[0\]\.url: .*http:\/\/ or https:\/\/ .* \/ .*URL を指定/);
    assert.match(err.problems[1] ?? '', /^webhooks\[0\]\.events\[0\]: "sent" is not allowed/);
    assert.match(err.problems[2] ?? '', /^webhooks\[0\]\.secret: too short: 5 characters .*16 文字以上/);
  }
});
