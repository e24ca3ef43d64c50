// The dashboard's traffic light per sending domain: the doctor's checks
// (doctor/run-doctor.ts, the same as `hikyaku doctor`) run in the
// background, from the first time the dashboard is shown and then every
// `intervalMs` (default 6 h), and the result is cached; a request only reads
// the cache (and starts the background runs once). Not at server start: a
// server whose console nobody opens makes no DNS queries for it. DNS answers change
// slowly and each run makes dozens of lookups (and an HTTPS fetch per
// domain for MTA-STS): running it per page view would be slow and rude to
// the resolvers. The outbound port 25 probe is left out (it is about the
// server, not a domain, and `hikyaku doctor` runs it).
// With doctor.interval (on by default) the server itself starts the same runs
// a minute after start (main.ts: startIn) and records each result for
// `hikyaku status` (onRun); the console then shares that one instance.
import type { Resolver } from 'node:dns/promises';
import type { Config } from '../config/types.js';
import type { DomainStore, SendingDomain } from '../domains/domain-store.js';
import { outboundAddresses } from '../domains/outbound-addresses.js';
import { runDoctor } from '../doctor/run-doctor.js';
import type { CheckStatus, Finding } from '../doctor/types.js';
import type { Logger } from '../log/logger.js';

export type Light = 'green' | 'amber' | 'red';

export interface DomainLight {
  readonly domain: string;
  readonly light: Light;
  /** Checks that warned or failed, worst first: what the light is about. */
  readonly problems: readonly Finding[];
}

export interface DoctorSnapshot {
  /** undefined until the first run has finished. */
  readonly checkedAtMs: number | undefined;
  readonly running: boolean;
  readonly domains: readonly DomainLight[];
  /** The server's own checks (EHLO name, PTR, blocklists, TLS). */
  readonly server: DomainLight | undefined;
  /** Every finding of the last run (for a page that lists them per check). */
  readonly findings: readonly Finding[];
}

export interface DoctorLightsOptions {
  readonly config: Config;
  readonly domains: DomainStore;
  readonly resolver: Resolver;
  readonly logger: Logger;
  /** Default 6 hours. */
  readonly intervalMs?: number;
  /** Told the findings of every run that finished (the server records them for `hikyaku status`). */
  readonly onRun?: (checkedAtMs: number, findings: readonly Finding[]) => void;
}

/** The findings about one sending domain (its own name and its return-path domain), as the lights group them. */
export function findingsOfDomain(domain: Pick<SendingDomain, 'name' | 'returnPathDomain'>, findings: readonly Finding[]): Finding[] {
  const subjects = new Set([domain.name, domain.returnPathDomain ?? domain.name]);
  return findings.filter((f) => f.subject !== undefined && subjects.has(f.subject));
}

/** green / amber / red for a set of findings (an error → red, a warning → amber). */
export function lightOfFindings(findings: readonly Finding[]): Light {
  return lightOf(findings);
}

const RANK: Record<CheckStatus, number> = { error: 0, warning: 1, info: 2, ok: 3 };

function lightOf(findings: readonly Finding[]): Light {
  if (findings.some((f) => f.status === 'error')) return 'red';
  if (findings.some((f) => f.status === 'warning')) return 'amber';
  return 'green';
}

function problemsOf(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.status === 'error' || f.status === 'warning').sort((a, b) => RANK[a.status] - RANK[b.status]);
}

export class DoctorLights {
  private snapshot: DoctorSnapshot = { checkedAtMs: undefined, running: false, domains: [], server: undefined, findings: [] };
  private timer: NodeJS.Timeout | undefined;
  private delayTimer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: DoctorLightsOptions) {}

  /** Starts the runs unless started: the first now (in the background), then one every interval. */
  ensureStarted(): void {
    if (this.timer !== undefined || this.stopped) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.intervalMs ?? 6 * 3_600_000);
    this.timer.unref();
  }

  /** Starts the runs `delayMs` from now (unless the console started them sooner). */
  startIn(delayMs: number): void {
    if (this.stopped) return;
    this.delayTimer = setTimeout(() => this.ensureStarted(), delayMs);
    this.delayTimer.unref();
  }

  latest(): DoctorSnapshot {
    return this.snapshot;
  }

  /** Runs the checks unless a run is going on; resolves when the run in progress ends. */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.current !== undefined) return this.current;
    this.snapshot = { ...this.snapshot, running: true };
    this.current = this.run().finally(() => {
      this.current = undefined;
      this.snapshot = { ...this.snapshot, running: false };
    });
    return this.current;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.delayTimer !== undefined) clearTimeout(this.delayTimer);
    await this.current;
  }

  private async run(): Promise<void> {
    const { config, logger } = this.options;
    try {
      const domains = this.options.domains.list();
      const nowMs = Date.now();
      const findings = await runDoctor({
        resolver: this.options.resolver,
        config,
        domains,
        outboundAddresses: [...outboundAddresses(config.outboundAddresses).addresses],
        checkPort25: false,
        nowMs,
      });
      const lights = domains.map((domain) => {
        const own = findingsOfDomain(domain, findings);
        return { domain: domain.name, light: lightOf(own), problems: problemsOf(own) };
      });
      const domainSubjects = new Set(domains.flatMap((d) => [d.name, d.returnPathDomain ?? d.name]));
      const serverFindings = findings.filter((f) => f.subject === undefined || !domainSubjects.has(f.subject));
      const server = { domain: config.hostname, light: lightOf(serverFindings), problems: problemsOf(serverFindings) };
      this.snapshot = { checkedAtMs: Date.now(), running: true, domains: lights, server, findings };
      this.options.onRun?.(this.snapshot.checkedAtMs ?? nowMs, findings);
    } catch (err) {
      logger.warn({ err }, 'console: the background doctor run failed; the traffic lights keep their last result');
    }
  }
}
