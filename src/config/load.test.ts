import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ConfigError, configReference, configToYaml, configWarnings, loadConfig, parseConfig } from './load.js';
import { entries } from './schema-table.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hikyaku-load-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function loadError(path: string): Promise<ConfigError> {
  try {
    await loadConfig(path);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err;
  }
  assert.fail('expected a ConfigError');
}

const CUSTOM = `
hostname: mail.example.org
dataDir: spool             # relative to this file
outboundAddresses: [192.0.2.25, 2001:db8::25]
listeners:
  submission: { enabled: false, host: 127.0.0.1, port: 2587 }
  submissions: { host: '::', port: 2465 }
  relay:
    enabled: true
    port: 2525
    trustedNetworks: [10.0.0.0/8, 192.0.2.9]
    maySendAs: ['*@example.com', 'printer@example.net', '*']
  http: { enabled: false, host: '::1', port: 8443 }
tls:
  certFile: tls/cert.pem
  keyFile: tls/key.pem
  minVersion: TLSv1.3
limits:
  { maxMessageSize: 10MiB, maxRecipients: 50, maxConnections: 20, socketTimeout: 1m, maxConnectionsPerClient: 5,
    connectionRatePerClient: 30, clientLimitExemptNetworks: [127.0.0.1], commandDeadline: 30s, dataDeadline: 5m, maxReceivedHeaders: 30 }
auth: { tarpitDelay: 2s, maxFailuresPerSession: 2, maxFailuresPerClient: 5, maxFailuresPerLogin: 6, failureWindow: 1h, blockDuration: 2h, cramMd5: true }
quotas:
  user: { messagesPerHour: 10, messagesPerDay: 20, recipientsPerMessage: 30 }
  appPassword: { messagesPerHour: 1, messagesPerDay: 2, recipientsPerMessage: 3 }
  domain: { messagesPerHour: 100, messagesPerDay: 200 }
  hourWindow: 2s
  dayWindow: 4s
brake: { enabled: false, factor: 5, floor: 50, window: 10m, historyWindows: 24, alertAddress: admin@example.org }
suppression: { expireAfter: off }
delivery:
  resolvers: ['127.0.0.1:5353', '192.0.2.53']
  mxPort: 2525
  tls: required
  connectTimeout: 5s
  commandTimeout: 2m
  dnsTimeout: 3s
  maxConnectionsPerDestination: 4
  maxMessagesPerConnection: 10
  idleConnectionTimeout: 500ms
  maxConcurrentDeliveries: 8
  sourceAddress: 192.0.2.25
  smarthost:
    host: relay.example.net
    port: 465
    tls: implicit
    username: relay-user
    passwordFile: secrets/relay
    domains: [example.com, example.net]
    caFile: tls/ca.pem
    verifyCertificate: false
  mtaSts: { enabled: false, caFile: tls/ca.pem, fetchTimeout: 2s, policyPort: 8443, recheckInterval: 1m }
  dane: { enabled: true, resolver: '127.0.0.1:5353', timeout: 2s }
queue:
  retry: { initialDelay: 1m, maxDelay: 30m, maxLifetime: 2d, delayNoticeAfter: off }
  pollInterval: 2s
  claimLease: 45s
store: postgres://hikyaku@db.example.org/hikyaku
log: { level: debug, file: logs/hikyaku.log, format: pretty }
autoconfig: { enabled: false, smtpHost: smtp.example.org, imapHost: imap.example.org, imapPort: 143 }
domains: { rotationOverlap: 3d }
doctor: { blocklists: [zen.spamhaus.org], interval: off }
status: { queueAgeWarning: 2h, queueAgeCritical: 3d }
webhooks:
  - { url: 'https://app.example.org/events', events: [delivered, bounced], secret: 0123456789abcdef }
tlsReports: { enabled: false, organizationName: Example Org, contactInfo: tls-reports@example.org }
deliverability:
  enabled: false
  groups: [{ name: gmail, mx: ['*.gmail-like.example'], perMinute: 30 }]
  coolingPeriod: 30m
  recoveryStep: 10m
  suspendPeriod: 2h
  rateInterval: 1m
  warmup: { enabled: true, firstDay: 20, growth: 3, day: 1d }
`;

test('a config file round trip: every setting read from YAML, written back and read again', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'tls'));
  mkdirSync(join(dir, 'secrets'));
  for (const f of ['cert.pem', 'key.pem', 'ca.pem']) writeFileSync(join(dir, 'tls', f), 'placeholder');
  writeFileSync(join(dir, 'secrets', 'relay'), 'pa$$word\n');
  writeFileSync(join(dir, 'hikyaku.yaml'), CUSTOM);

  const { config, source, warnings } = await loadConfig(join(dir, 'hikyaku.yaml'));
  assert.equal(source, join(dir, 'hikyaku.yaml'));
  assert.deepEqual(config, {
    hostname: 'mail.example.org',
    dataDir: join(dir, 'spool'),
    outboundAddresses: ['192.0.2.25', '2001:db8::25'],
    listeners: {
      submission: { enabled: false, host: '127.0.0.1', port: 2587 },
      submissions: { enabled: true, host: '::', port: 2465 },
      relay: {
        enabled: true,
        host: '0.0.0.0',
        port: 2525,
        trustedNetworks: ['10.0.0.0/8', '192.0.2.9/32'],
        maySendAs: ['*@example.com', 'printer@example.net', '*'],
      },
      http: { enabled: false, host: '::1', port: 8443 },
    },
    tls: { certFile: join(dir, 'tls/cert.pem'), keyFile: join(dir, 'tls/key.pem'), minVersion: 'TLSv1.3' },
    limits: {
      maxMessageBytes: 10 * 1024 * 1024,
      maxRecipients: 50,
      maxConnections: 20,
      socketTimeoutMs: 60_000,
      maxConnectionsPerClient: 5,
      connectionRatePerClient: 30,
      clientLimitExemptNetworks: ['127.0.0.1/32'],
      commandDeadlineMs: 30_000,
      dataDeadlineMs: 300_000,
      maxReceivedHeaders: 30,
    },
    auth: {
      tarpitDelayMs: 2000,
      maxFailuresPerSession: 2,
      maxFailuresPerClient: 5,
      maxFailuresPerLogin: 6,
      failureWindowMs: 3600_000,
      blockDurationMs: 7200_000,
      cramMd5: true,
    },
    quotas: {
      user: { messagesPerHour: 10, messagesPerDay: 20, recipientsPerMessage: 30 },
      appPassword: { messagesPerHour: 1, messagesPerDay: 2, recipientsPerMessage: 3 },
      domain: { messagesPerHour: 100, messagesPerDay: 200 },
      hourWindowMs: 2000,
      dayWindowMs: 4000,
    },
    brake: { enabled: false, factor: 5, floor: 50, windowMs: 600_000, historyWindows: 24, alertAddress: 'admin@example.org' },
    suppression: { expireAfterMs: undefined },
    delivery: {
      resolvers: ['127.0.0.1:5353', '192.0.2.53'],
      mxPort: 2525,
      tls: 'required',
      connectTimeoutMs: 5000,
      commandTimeoutMs: 120_000,
      dnsTimeoutMs: 3000,
      maxConnectionsPerDestination: 4,
      maxMessagesPerConnection: 10,
      idleConnectionTimeoutMs: 500,
      maxConcurrentDeliveries: 8,
      sourceAddress: '192.0.2.25',
      smarthost: {
        host: 'relay.example.net',
        port: 465,
        tls: 'implicit',
        username: 'relay-user',
        password: 'pa$$word',
        domains: ['example.com', 'example.net'],
        caFile: join(dir, 'tls/ca.pem'),
        verifyCertificate: false,
      },
      mtaSts: { enabled: false, caFile: join(dir, 'tls/ca.pem'), fetchTimeoutMs: 2000, policyPort: 8443, recheckIntervalMs: 60_000 },
      dane: { enabled: true, resolver: '127.0.0.1:5353', timeoutMs: 2000 },
    },
    queue: { retry: { initialDelayMs: 60_000, maxDelayMs: 1_800_000, maxLifetimeMs: 172_800_000, delayNoticeAfterMs: undefined }, pollIntervalMs: 2000, claimLeaseMs: 45_000 },
    log: { level: 'debug', file: join(dir, 'logs/hikyaku.log'), format: 'pretty' },
    domains: { rotationOverlapMs: 3 * 86_400_000, autoActivate: true, autoActivateIntervalMs: 600_000 },
    doctor: { blocklists: ['zen.spamhaus.org'], intervalMs: undefined },
    webhooks: [{ url: 'https://app.example.org/events', events: ['delivered', 'bounced'], secret: '0123456789abcdef' }],
    deliverability: {
      enabled: false,
      groups: [{ name: 'gmail', mx: ['*.gmail-like.example'], perMinute: 30 }],
      coolingPeriodMs: 1_800_000,
      recoveryStepMs: 600_000,
      suspendPeriodMs: 7_200_000,
      rateIntervalMs: 60_000,
      warmup: { enabled: true, firstDay: 20, growth: 3, dayMs: 86_400_000 },
    },
    metrics: { enabled: true, token: undefined },
    history: { retentionDays: 30 },
    bulk: { unsubscribeUrl: undefined },
    status: { queueAgeWarningMs: 2 * 3600_000, queueAgeCriticalMs: 3 * 86_400_000 },
    tlsReports: { enabled: false, organizationName: 'Example Org', contactInfo: 'tls-reports@example.org' },
    store: 'postgres://hikyaku@db.example.org/hikyaku',
    autoconfig: { enabled: false, smtpHost: 'smtp.example.org', imapHost: 'imap.example.org', imapPort: 143 },
  });
  assert.ok(warnings.some((w) => w.startsWith('delivery.smarthost.verifyCertificate: false')));

  // Written back (absolute paths, the password inline) and read again: the same Config.
  const again = join(dir, 'elsewhere');
  mkdirSync(again);
  writeFileSync(join(again, 'copy.yaml'), configToYaml(config));
  assert.deepEqual((await loadConfig(join(again, 'copy.yaml'))).config, config);
});

test('no file: the built-in defaults', async () => {
  const { config, source } = await loadConfig(undefined);
  assert.equal(source, 'built-in defaults');
  assert.deepEqual(config, parseConfig({}));
});

test('YAML syntax errors give the line and column', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'broken.yaml');
  writeFileSync(file, 'hostname: mail.example.org\nlisteners:\n  submission:\n    port: [587\n');
  const err = await loadError(file);
  assert.ok(err.problems.length >= 1);
  assert.match(err.problems[0] as string, /^line \d+, column \d+: /);
  assert.ok(err.message.startsWith(`${file}: invalid configuration`));

  writeFileSync(file, 'hostname: a.example\nhostname: b.example\n');
  const duplicate = await loadError(file);
  assert.match(duplicate.problems[0] as string, /^line 2, column 1: .*[Uu]nique/);
});

test('schema problems name the file', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'delivery:\n  tls: maybe\n');
  const err = await loadError(file);
  assert.deepEqual(err.problems, ['delivery.tls: "maybe" is not allowed (allowed: none, opportunistic, required)']);
  assert.match(err.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid configuration \\(1 problem\\)`));
  assert.deepEqual((await loadError(join(dir, 'absent.yaml'))).problems, ['cannot read the configuration file: no such file']);
});

test('warnings: a host name that is not fully qualified, an open relay', () => {
  const warnings = configWarnings(parseConfig({ hostname: 'mailhost', listeners: { relay: { enabled: true, trustedNetworks: ['0.0.0.0/0'] } } }));
  assert.equal(warnings.length, 2);
  assert.match(warnings[0] as string, /^hostname: "mailhost" is not a fully qualified domain name/);
  assert.match(warnings[1] as string, /open relay/);
  assert.deepEqual(configWarnings(parseConfig({ hostname: 'mail.example.org' })), []);
});

test('the reference documents every key in both languages', () => {
  for (const lang of ['en', 'ja'] as const) {
    const doc = configReference(lang);
    for (const entry of entries) assert.ok(doc.includes(`| \`${entry.key}\` |`), `${lang}: ${entry.key}`);
  }
  assert.match(configReference('en'), /\| `delivery\.connectTimeout` \| duration \| `30s` \|.*\(Field: `delivery\.connectTimeoutMs`\)/);
  assert.match(configReference('ja'), /\| `limits\.maxMessageSize` \| サイズ \| `35MiB` \|/);
});
