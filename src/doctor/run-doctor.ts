// `hikyaku doctor` without the printing: runs every check family against
// live DNS and this server's files, and returns the findings in the order
// they are shown: each sending domain, then the server itself.
import type { Resolver } from 'node:dns/promises';
import type { Config } from '../config/types.js';
import type { DkimKey, SendingDomain } from '../domains/domain-store.js';
import { dkimRecordName, dkimRecordValue, recordsToPublish, type DnsRecord } from '../domains/records.js';
import { reverseDnsName } from '../domains/reverse-dns-name.js';
import { checkBlocklists } from './blocklist-check.js';
import { bulkSenderFindings } from './bulk-sender-check.js';
import { checkDkim, unregisteredDkimFinding } from './dkim-check.js';
import { checkDaneResolver } from './dane-check.js';
import { checkDmarc } from './dmarc-check.js';
import { general, port25 } from './messages.js';
import { checkMtaSts } from './mta-sts-check.js';
import { checkMx } from './mx-check.js';
import { checkPort25, type Port25Target } from './port25-check.js';
import { checkEhloName, checkPtr } from './ptr-check.js';
import { checkSpf } from './spf-check.js';
import { checkTls } from './tls-check.js';
import { finding, type Finding } from './types.js';
import { txtZoneLine } from './zone-line.js';
import { checkAutoconfigNames, isLoopbackHost } from './autoconfig-check.js';
import { autoconfig as autoconfigText } from './messages.js';

export interface DoctorContext {
  readonly resolver: Resolver;
  readonly config: Config;
  /** Registered domains to check (all of them, or the one named on the command line). */
  readonly domains: readonly SendingDomain[];
  /** Domains named on the command line that are not registered: checked, with a warning. */
  readonly unregisteredDomains?: readonly string[];
  readonly outboundAddresses: readonly string[];
  /** false = skip the outbound port 25 test (--no-port25). */
  readonly checkPort25?: boolean;
  /** Where the port 25 test connects; default: the first domain's MX. Tests use a loopback listener. */
  readonly port25Target?: Port25Target;
  readonly port25TimeoutMs?: number;
  /** MTA-STS policy fetch: timeout, and for loopback tests a port and CA. */
  readonly mtaStsFetch?: { readonly timeoutMs?: number; readonly port?: number; readonly ca?: string };
  /** The signed name the DANE resolver check asks for (default the root SOA); tests use their own zone. */
  readonly daneProbe?: { readonly name: string; readonly type: 'SOA' | 'MX' };
  readonly nowMs: number;
}

const DEFAULT_PORT25_TIMEOUT_MS = 5000;
const DEFAULT_MTA_STS_TIMEOUT_MS = 5000;

export async function runDoctor(context: DoctorContext): Promise<Finding[]> {
  const { config } = context;
  const registered = context.domains.map((d) => ({ domain: d, registered: true }));
  const unregistered = (context.unregisteredDomains ?? []).map((name) => ({ domain: pseudoDomain(name, context.nowMs), registered: false }));
  const all = [...registered, ...unregistered];
  const perDomain = await Promise.all(all.map(({ domain, registered: isRegistered }) => domainFindings(context, domain, isRegistered)));
  const out: Finding[] = perDomain.flat();
  if (context.outboundAddresses.length === 0) {
    out.push(finding('doctor.addresses', 'warning', config.hostname, general.noAddresses(), 'outboundAddresses:\n  - 203.0.113.25'));
  }
  if (all.length === 0) out.push(finding('doctor.domains', 'warning', config.hostname, general.noDomains(), 'hikyaku domain add example.com'));
  out.push(...(await serverFindings(context, all.map((d) => d.domain.name))));
  // A summary of what the checks above found, per registered domain.
  out.push(...bulkSenderFindings(out, registered.map((d) => d.domain.name), config));
  return out;
}

/** A stand-in for a domain that is not registered: no keys, so no DKIM. */
function pseudoDomain(name: string, nowMs: number): SendingDomain {
  return { name: name.toLowerCase().replace(/\.$/, ''), createdAtMs: nowMs, keys: [], returnPathDomain: undefined };
}

function smarthostForAll(config: Config): string | undefined {
  const smarthost = config.delivery.smarthost;
  return smarthost !== undefined && smarthost.domains.length === 0 ? smarthost.host : undefined;
}

async function domainFindings(context: DoctorContext, domain: SendingDomain, registered: boolean): Promise<Finding[]> {
  const { resolver, config, nowMs } = context;
  const records = recordsToPublish(domain, {
    hostname: config.hostname,
    outboundAddresses: context.outboundAddresses,
    smarthost: config.delivery.smarthost,
    nowMs,
  });
  const spfLine = (name: string): string | undefined => records.find((r) => r.purpose === 'spf' && r.name === name)?.zoneLine;
  const envelopeDomain = domain.returnPathDomain ?? domain.name;
  const spfDomains = [...new Set([domain.name, envelopeDomain])];
  const smarthostHost = smarthostForAll(config);
  const checks: Promise<Finding[]>[] = [
    ...spfDomains.map((name) =>
      guarded(`SPF ${name}`, name, () =>
        checkSpf({ resolver, domain: name, hostname: config.hostname, outboundAddresses: context.outboundAddresses, suggestedZoneLine: spfLine(name), smarthostHost, identity: 'mail-from' }),
      ),
    ),
    registered
      ? guarded(`DKIM ${domain.name}`, domain.name, () => checkDkim({ resolver, domain, nowMs, zoneLineFor: (key) => dkimZoneLine(records, domain.name, key) }))
      : Promise.resolve([unregisteredDkimFinding(domain.name)]),
    guarded(`DMARC ${domain.name}`, domain.name, () =>
      checkDmarc({
        resolver,
        domain: domain.name,
        envelopeDomain,
        signs: domain.keys.some((k) => k.state === 'active'),
        suggestedZoneLine: records.find((r) => r.purpose === 'dmarc')?.zoneLine,
      }),
    ),
    ...spfDomains.map((name) => guarded(`MX ${name}`, name, () => checkMx(resolver, name))),
    guarded(`MTA-STS ${domain.name}`, domain.name, () =>
      checkMtaSts({
        resolver,
        domain: domain.name,
        nowMs,
        fetchTimeoutMs: context.mtaStsFetch?.timeoutMs ?? DEFAULT_MTA_STS_TIMEOUT_MS,
        ...(context.mtaStsFetch?.port !== undefined ? { fetchPort: context.mtaStsFetch.port } : {}),
        ...(context.mtaStsFetch?.ca !== undefined ? { fetchCa: context.mtaStsFetch.ca } : {}),
      }),
    ),
  ];
  if (servesAutoconfig(config)) {
    const host = config.autoconfig.smtpHost ?? config.hostname;
    checks.push(guarded(`autoconfig ${domain.name}`, domain.name, () => checkAutoconfigNames({ resolver, domain: domain.name, host })));
  }
  return (await Promise.all(checks)).flat();
}

/** Mail-client autoconfiguration is served (src/autoconfig/): on the HTTP listener, when both are on. */
function servesAutoconfig(config: Config): boolean {
  return config.autoconfig.enabled && config.listeners.http.enabled;
}

function dkimZoneLine(records: readonly DnsRecord[], domain: string, key: DkimKey): string {
  const name = dkimRecordName(domain, key.selector);
  return records.find((r) => r.purpose === 'dkim' && r.name === name)?.zoneLine ?? txtZoneLine(name, dkimRecordValue(key));
}

async function serverFindings(context: DoctorContext, domainNames: readonly string[]): Promise<Finding[]> {
  const { resolver, config, nowMs } = context;
  const hostname = config.hostname;
  const ips = context.outboundAddresses;
  const records = recordsToPublish(pseudoDomain(hostname, nowMs), { hostname, outboundAddresses: ips, smarthost: config.delivery.smarthost, nowMs });
  const ptrZoneLineFor = (ip: string): string => {
    const name = reverseDnsName(ip);
    return records.find((r) => r.type === 'PTR' && r.name === name)?.zoneLine ?? `${name}. 3600 IN PTR ${hostname}.`;
  };
  const smarthostHost = smarthostForAll(config);
  const checks: Promise<Finding[]>[] = [guarded('EHLO', hostname, () => checkEhloName({ resolver, hostname, outboundAddresses: ips }))];
  // Bounces (empty MAIL FROM) are checked against the EHLO name's SPF (RFC 7208 §2.3).
  if (!domainNames.includes(hostname.toLowerCase())) {
    const spfLine = records.find((r) => r.purpose === 'spf' && r.name === hostname)?.zoneLine;
    checks.push(
      guarded(`SPF ${hostname}`, hostname, () =>
        checkSpf({ resolver, domain: hostname, hostname, outboundAddresses: ips, suggestedZoneLine: spfLine, smarthostHost, identity: 'helo' }),
      ),
    );
  }
  if (smarthostHost !== undefined) {
    checks.push(Promise.resolve([finding('delivery.smarthost', 'info', hostname, general.smarthostAll(smarthostHost))]));
  } else {
    checks.push(guarded('PTR', hostname, () => checkPtr({ resolver, hostname, outboundAddresses: ips, ptrZoneLineFor })));
    checks.push(guarded('DNSBL', hostname, () => checkBlocklists({ resolver, zones: config.doctor.blocklists, outboundAddresses: ips })));
  }
  checks.push(guarded('TLS', hostname, async () => checkTls({ hostname, certFile: config.tls.certFile, keyFile: config.tls.keyFile, dataDir: config.dataDir, nowMs })));
  if (smarthostHost === undefined) checks.push(port25Findings(context, domainNames));
  const dane = config.delivery.dane;
  if (dane?.enabled === true) checks.push(guarded('DANE', hostname, () => checkDaneResolver({ resolver: dane.resolver, timeoutMs: dane.timeoutMs, probe: context.daneProbe })));
  if (servesAutoconfig(config) && domainNames.length > 0 && isLoopbackHost(config.listeners.http.host)) {
    const where = `${config.listeners.http.host}:${config.listeners.http.port}`;
    checks.push(Promise.resolve([finding('autoconfig.reachable', 'info', hostname, autoconfigText.loopback(where))]));
  }
  return (await Promise.all(checks)).flat();
}

async function port25Findings(context: DoctorContext, domainNames: readonly string[]): Promise<Finding[]> {
  if (context.checkPort25 === false) {
    return [finding('port25.outbound', 'info', 'port 25', port25.skipped())];
  }
  return guarded('port 25', 'port 25', async () => [
    await checkPort25({
      resolver: context.resolver,
      domains: domainNames,
      target: context.port25Target,
      timeoutMs: context.port25TimeoutMs ?? DEFAULT_PORT25_TIMEOUT_MS,
    }),
  ]);
}

/** One check failing unexpectedly must not take the whole report with it. */
async function guarded(check: string, subject: string, run: () => Promise<Finding[]>): Promise<Finding[]> {
  try {
    return await run();
  } catch (err) {
    return [finding('doctor.internal', 'warning', subject, general.checkFailed(check, err instanceof Error ? err.message : String(err)))];
  }
}
