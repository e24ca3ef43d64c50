// Delivers one queued message to its recipients: groups them by route
// (recipient domain via MX, or the smarthost), tries the candidate hosts in
// order (RFC 5321 §5.1), sends each group in one transaction, and returns
// exactly one outcome per requested recipient. It never throws for anything
// remote: every failure becomes outcomes, via classify.ts.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { domainOf, isRoutableAddress } from '../core/address.js';
import type { EnvelopeParams } from '../core/envelope.js';
import type { RecipientOutcome, RelayInfo } from '../core/outcome.js';
import type { DeliveryConfig, SmarthostConfig } from '../config/types.js';
import { createResolver } from '../dns/resolver.js';
import { lookupMx } from '../dns/mx-lookup.js';
import { hasTlsRequiredNo } from '../message/tls-required.js';
import { createDaneSource } from '../dane/dane-lookup.js';
import { createPolicySource, type PolicySource } from '../mtasts/policy-source.js';
import type { TlsSessionRecorder } from '../tlsrpt/session-result.js';
import { canonicalCandidates, type Candidate } from './candidates.js';
import {
  classifyBadAddress,
  classifyLookup,
  classifyRecipient,
  classifySessionFailure,
  classifySmarthostLookup,
  classifyUnexpected,
  toOutcome,
  type AttemptContext,
  type RecipientResult,
  type SessionFailure,
  type Verdict,
} from './classify.js';
import { ConnectionPool } from './connection-pool.js';
import { SecureRoute } from './secure-route.js';
import { SmtpClient, SmtpSessionError, type ClientTlsMode, type SmtpClientOptions } from './smtp-client.js';
import { reviewVerdict, type ShapingGate, type ShapingPass } from './shaping-gate.js';

export interface DeliveryRequest {
  readonly id: string;
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  readonly message: Buffer;
  /** RFC 3461 / RFC 6531 parameters (smtp-client.ts passes them on where the server takes them). */
  readonly params?: EnvelopeParams | undefined;
  /** Has octets over 127, as stored at intake; undefined: the client scans. */
  readonly eightBit?: boolean | undefined;
}

export interface Deliverer {
  /** One outcome per entry of `request.rcptTo`, in the same order. Never rejects. */
  deliver(request: DeliveryRequest): Promise<RecipientOutcome[]>;
  /** Wait for deliveries in progress, then QUIT idle connections. Later deliveries are deferred. */
  close(): Promise<void>;
}

/** How to talk to the hosts of one route. */
interface Transport {
  readonly port: number;
  readonly tls: ClientTlsMode;
  readonly verifyCertificate: boolean;
  readonly caFile: string | undefined;
  readonly auth: { readonly username: string; readonly password: string } | undefined;
}

type Route =
  | { readonly kind: 'mx'; readonly destination: string; readonly domain: string }
  | { readonly kind: 'smarthost'; readonly destination: string; readonly smarthost: SmarthostConfig };

/** holdUntilMs: held by the shaping gate, not attempted (see ShapingGate). */
type Decided = { readonly verdict: Verdict; readonly relay: RelayInfo | undefined; readonly holdUntilMs?: number };

export function createDeliverer(
  config: DeliveryConfig,
  deps: {
    hostname: string;
    logger: Logger;
    /** The 8BITMIME downgrade (smtp-client.ts), from main.ts: it re-signs with the domain's key. */
    downgrade?: ((message: Buffer) => Promise<Buffer>) | undefined;
    /** Where the MTA-STS policy cache is kept (delivery.mtaSts); undefined = memory only. */
    dataDir?: string | undefined;
    /** TLS-RPT (RFC 8460): told about every new session's TLS; undefined = not recorded. */
    tlsReport?: TlsSessionRecorder | undefined;
    /** The deliverability engine (provider groups, shaping, reply table), from main.ts; undefined = none. */
    shaping?: ShapingGate | undefined;
    /** Several nodes on one queue: this node's part of the per-destination connection limit. */
    connectionShare?: ((limit: number) => number) | undefined;
  },
): Deliverer {
  const log = deps.logger.child({ component: 'deliverer' });
  const resolver = createResolver({ servers: config.resolvers, timeoutMs: config.dnsTimeoutMs });
  const pool = new ConnectionPool<SmtpClient>({
    maxConnectionsPerDestination: config.maxConnectionsPerDestination,
    shareOf: deps.connectionShare,
    maxMessagesPerConnection: config.maxMessagesPerConnection,
    idleConnectionTimeoutMs: config.idleConnectionTimeoutMs,
  });
  const stsPolicies = policySourceFor(config, resolver, deps.dataDir, log);
  // RFC 7672: answers of the validating resolver, reused for a minute.
  const daneSource = config.dane?.enabled === true ? createDaneSource({ resolver: config.dane.resolver, timeoutMs: config.dane.timeoutMs, rememberMs: DANE_REMEMBER_MS }) : undefined;
  const caFiles = new Map<string, Promise<string>>();
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  function routeFor(domain: string): Route {
    const sh = config.smarthost;
    if (sh !== undefined && (sh.domains.length === 0 || sh.domains.some((d) => domainMatches(domain, d)))) {
      return { kind: 'smarthost', destination: `smarthost:${sh.host}:${sh.port}`, smarthost: sh };
    }
    return { kind: 'mx', destination: `mx:${domain}`, domain };
  }

  function transportFor(route: Route): Transport {
    if (route.kind === 'mx') {
      // Between MX hosts certificates are not verified (RFC 7435 §3: opportunistic
      // security; no MTA-STS/DANE here), even when TLS is required.
      return { port: config.mxPort, tls: config.tls, verifyCertificate: false, caFile: undefined, auth: undefined };
    }
    const sh = route.smarthost;
    const tls: ClientTlsMode = sh.tls === 'implicit' ? 'implicit' : sh.tls === 'starttls' ? 'required' : 'none';
    const auth = sh.username !== undefined && sh.password !== undefined ? { username: sh.username, password: sh.password } : undefined;
    return { port: sh.port, tls, verifyCertificate: sh.verifyCertificate, caFile: sh.caFile, auth };
  }

  function readCa(path: string): Promise<string> {
    let p = caFiles.get(path);
    if (p === undefined) {
      p = readFile(path, 'utf8');
      // A missing file may be fixed while we run: do not cache the failure.
      p.catch(() => caFiles.delete(path));
      caFiles.set(path, p);
    }
    return p;
  }

  /** Where to connect for a route, or the verdict for all its recipients. */
  async function candidatesFor(route: Route): Promise<Candidate[] | Verdict> {
    if (route.kind === 'mx') {
      const lookup = await lookupMx(resolver, route.domain);
      if (lookup.kind !== 'hosts') return classifyLookup(lookup, route.domain);
      const candidates = canonicalCandidates(lookup.hosts);
      if (candidates.length === 0) return classifyLookup({ kind: 'temporary', detail: `${route.domain}: no MX host address` }, route.domain);
      return candidates;
    }
    const host = route.smarthost.host;
    if (isIP(host) !== 0) return [{ host, ip: host }];
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    if (addresses.length === 0) {
      const why = [v4, v6].map((r) => (r.status === 'rejected' ? String((r.reason as { code?: unknown })?.code ?? r.reason) : 'no records'));
      return classifySmarthostLookup(host, [...new Set(why)].join(', '));
    }
    return canonicalCandidates([{ host, preference: 0, addresses }]);
  }

  /** The security this group's delivery needs (secure-route.ts); undefined: the configured TLS policy alone. */
  async function secureRouteFor(route: Route, params: EnvelopeParams | undefined, message: Buffer): Promise<SecureRoute | undefined> {
    const requireTls = params?.requireTls === true;
    const policies = route.kind === 'mx' && (stsPolicies !== undefined || deps.tlsReport !== undefined || daneSource !== undefined);
    if (!requireTls && !policies) return undefined; // the smarthost, or nothing to apply: no cost
    // RFC 8689 §5: "TLS-Required: No" asks to ignore the recipient's policies; REQUIRETLS overrides the header.
    const ignorePolicies = !requireTls && hasTlsRequiredNo(message);
    const domain = route.kind === 'mx' && !ignorePolicies ? route.domain : undefined;
    // RFC 7672 §2: DANE through the validating resolver; MTA-STS too (it applies only where DANE does not).
    const [daneLookup, sts] = await Promise.all([
      domain !== undefined && daneSource !== undefined ? daneSource.lookup(domain) : undefined,
      domain !== undefined && stsPolicies !== undefined ? stsPolicies.lookup(domain) : undefined,
    ]);
    const recorder = domain !== undefined && config.tls !== 'none' ? deps.tlsReport : undefined;
    if (!requireTls && sts === undefined && recorder === undefined && daneLookup === undefined) return undefined;
    return new SecureRoute({ domain, sts, requireTls, dane: daneLookup, recorder, sendingIp: config.sourceAddress });
  }

  function poolKey(candidate: Candidate, transport: Transport, tls: ClientTlsMode): string {
    // The host name matters only when the certificate is checked against it.
    const name = transport.verifyCertificate ? candidate.host : '';
    return [candidate.ip, transport.port, tls, transport.verifyCertificate ? 'verify' : 'any', name, transport.auth?.username ?? ''].join('|');
  }

  /**
   * A ready session: an idle one (its next transaction starts with RSET, RFC 5321
   * §4.1.1.5, pipelined with MAIL by the client), or a new one. Throws SmtpSessionError.
   */
  async function session(candidate: Candidate, transport: Transport, tls: ClientTlsMode, ca: string | undefined): Promise<{ client: SmtpClient; key: string; reused: boolean }> {
    const key = poolKey(candidate, transport, tls);
    const idle = pool.takeIdle(key);
    if (idle !== undefined) {
      log.debug({ host: candidate.host, ip: candidate.ip, port: transport.port, reused: true, messages: idle.messageCount }, 'reusing SMTP connection');
      return { client: idle, key, reused: true };
    }
    const options: SmtpClientOptions = {
      ip: candidate.ip,
      port: transport.port,
      hostName: candidate.host,
      heloName: deps.hostname,
      tls,
      verifyCertificate: transport.verifyCertificate,
      ca,
      auth: transport.auth,
      localAddress: config.sourceAddress,
      connectTimeoutMs: config.connectTimeoutMs,
      commandTimeoutMs: config.commandTimeoutMs,
      downgrade: deps.downgrade,
    };
    const client = await SmtpClient.connect(options);
    log.debug({ host: candidate.host, ip: candidate.ip, port: transport.port, tls: client.relay.tls, reused: false }, 'SMTP connection established');
    return { client, key, reused: false };
  }

  /** A session with `candidate`, or why there is none. */
  async function openSession(
    candidate: Candidate,
    transport: Transport,
    ca: string | undefined,
    secure: SecureRoute | undefined,
  ): Promise<{ client: SmtpClient; key: string; reused: boolean } | { failure: SessionFailure }> {
    try {
      const opened = await session(candidate, transport, transport.tls, ca);
      if (!opened.reused && transport.tls !== 'none') {
        const c = opened.client;
        secure?.observe(candidate, c.relay.tls !== undefined ? { kind: 'tls', certificate: c.certificate } : { kind: 'plain', offered: false });
      }
      return opened;
    } catch (err) {
      if (!(err instanceof SmtpSessionError)) throw err;
      const failure = err.failure;
      if (transport.tls !== 'none') secure?.observe(candidate, { kind: 'failed', failure, certificate: err.certificate });
      // Postfix at security level "may": a failed handshake is retried in
      // plain text, since opportunistic TLS must never make delivery worse.
      if (transport.tls !== 'opportunistic' || failure.type !== 'tls-failed') return { failure };
      log.debug({ host: candidate.host, ip: candidate.ip, reason: failure.message }, 'STARTTLS failed, retrying without TLS');
      try {
        return await session(candidate, transport, 'none', ca);
      } catch (err2) {
        if (!(err2 instanceof SmtpSessionError)) throw err2;
        return { failure: err2.failure };
      }
    }
  }

  /** Try the candidates in order until every recipient of the group has a final verdict. */
  async function attempt(
    route: Route,
    candidates: readonly Candidate[],
    rcpts: readonly string[],
    mailFrom: string,
    message: Buffer,
    params: EnvelopeParams | undefined,
    eightBit: boolean | undefined,
    secure: SecureRoute | undefined,
    pass: ShapingPass | undefined,
  ): Promise<Map<string, Decided>> {
    const decided = new Map<string, Decided>();
    const base = transportFor(route);
    // MX certificates checked for MTA-STS, TLS-RPT or REQUIRETLS also trust delivery.mtaSts.caFile, e.g. a private CA.
    const mxCa = route.kind === 'mx' && secure !== undefined ? config.mtaSts?.caFile : undefined;
    const transport: Transport = secure === undefined ? base : { ...base, ...secure.transport(base.tls, base.verifyCertificate), caFile: base.caFile ?? mxCa };
    const judged = (v: Verdict, ctx: AttemptContext, candidate: Candidate): Verdict => (secure === undefined ? v : secure.verdict(v, ctx, candidate));
    let ca: string | undefined;
    if (transport.caFile !== undefined) {
      try {
        ca = await readCa(transport.caFile);
      } catch (err) {
        const failure: SessionFailure = { type: 'local', status: '4.3.5', message: `cannot read caFile ${transport.caFile}: ${(err as Error).message}` };
        const verdict = classifySessionFailure(failure, { remoteMta: undefined, lastHost: true });
        for (const r of rcpts) decided.set(r, { verdict, relay: undefined });
        return decided;
      }
    }

    let pending = [...rcpts];
    for (let i = 0; i < candidates.length && pending.length > 0; i++) {
      const candidate = candidates[i] as Candidate;
      const ctx: AttemptContext = { remoteMta: `${candidate.host}[${candidate.ip}]`, lastHost: i === candidates.length - 1 };
      // A DANE host gets its own TLS terms (secure-route.ts).
      const hostTransport: Transport = secure === undefined ? transport : { ...transport, ...secure.transportFor(candidate, transport.tls, transport.verifyCertificate) };
      const noSession: RelayInfo = { host: candidate.host, ip: candidate.ip, port: transport.port, tls: undefined };

      // An idle connection the server has dropped meanwhile answers nothing to
      // the transaction's RSET and nothing was sent: take another (`send` → undefined).
      let sent: { client: SmtpClient; key: string; results: Map<string, RecipientResult> } | undefined;
      let failure: SessionFailure | undefined;
      let refused: Verdict | undefined;
      while (sent === undefined) {
        const opened = await openSession(candidate, hostTransport, ca, secure);
        if (!('client' in opened)) {
          failure = opened.failure;
          break;
        }
        const { client, key, reused } = opened;
        // RFC 7672 §3: a DANE host's certificate must match its TLSA records (checked on every use of the connection).
        refused = secure?.daneRefused(candidate, client.peerCertificate, ctx, !reused);
        if (refused !== undefined) {
          client.close();
          await pool.release(key, client);
          for (const r of pending) decided.set(r, { verdict: refused, relay: client.relay });
          break;
        }
        // RFC 8689 §4.2.1: a REQUIRETLS message only to a server that offers REQUIRETLS.
        refused = secure?.requireTlsRefused(client.offersRequireTls, ctx);
        if (refused !== undefined) {
          await pool.release(key, client);
          for (const r of pending) decided.set(r, { verdict: refused, relay: client.relay });
          break;
        }
        let results: Map<string, RecipientResult> | undefined;
        try {
          results = await client.send({ mailFrom, rcptTo: pending, message, params, eightBit });
        } finally {
          if (results === undefined) await pool.release(key, client);
        }
        if (results !== undefined) sent = { client, key, results };
      }
      if (refused !== undefined) {
        // DANE mismatch or REQUIRETLS not offered by this host: the next host, or decided.
        if (refused.kind === 'next-host') continue;
        pending = [];
        break;
      }
      if (sent === undefined) {
        const f = failure as SessionFailure;
        log.debug({ host: candidate.host, ip: candidate.ip, port: transport.port, failure: f }, 'SMTP session failed');
        const verdict = reviewVerdict(pass, judged(classifySessionFailure(f, ctx), ctx, candidate));
        for (const r of pending) decided.set(r, { verdict, relay: noSession });
        if (verdict.kind === 'next-host') continue;
        pending = [];
        break;
      }

      const { client, key, results } = sent;
      try {
        const relay: RelayInfo = { ...client.relay, host: candidate.host };
        const retry: string[] = [];
        for (const r of pending) {
          const result = results.get(r);
          const verdict = result === undefined ? classifyUnexpected(new Error('no result for recipient')) : reviewVerdict(pass, judged(classifyRecipient(result, ctx), ctx, candidate));
          decided.set(r, { verdict, relay });
          if (verdict.kind === 'next-host') retry.push(r);
        }
        pending = retry;
      } finally {
        await pool.release(key, client, pass?.messagesPerConnection);
      }
    }
    return decided;
  }

  async function deliverGroup(route: Route, rcpts: readonly string[], mailFrom: string, message: Buffer, params: EnvelopeParams | undefined, eightBit: boolean | undefined): Promise<Map<string, Decided>> {
    const found = await candidatesFor(route);
    const secure = Array.isArray(found) ? await secureRouteFor(route, params, message) : undefined;
    const candidates = secure === undefined || !Array.isArray(found) ? found : secure.candidates(found);
    if (!Array.isArray(candidates)) {
      const verdict = candidates as Verdict;
      return new Map(rcpts.map((r) => [r, { verdict, relay: undefined }]));
    }
    let pass: ShapingPass | undefined;
    if (deps.shaping !== undefined && route.kind === 'mx') {
      let admission = deps.shaping.admit(hostNames(candidates));
      if (admission instanceof Promise) admission = await admission;
      if (admission.kind === 'hold') return held(rcpts, admission.untilMs, admission.status, admission.detail);
      pass = admission;
    }
    try {
      return await deliverAdmitted(route, candidates, rcpts, mailFrom, message, params, eightBit, secure, pass);
    } finally {
      pass?.done();
    }
  }

  async function deliverAdmitted(
    route: Route,
    candidates: readonly Candidate[],
    rcpts: readonly string[],
    mailFrom: string,
    message: Buffer,
    params: EnvelopeParams | undefined,
    eightBit: boolean | undefined,
    secure: SecureRoute | undefined,
    pass: ShapingPass | undefined,
  ): Promise<Map<string, Decided>> {
    const release = await pool.acquire(route.destination);
    try {
      if (closed) {
        // Waited for a slot past close(): don't start a session that the stop would cut.
        const verdict = classifySessionFailure({ type: 'local', status: '4.3.2', message: 'delivery agent is shutting down' }, { remoteMta: undefined, lastHost: true });
        return new Map(rcpts.map((r) => [r, { verdict, relay: undefined }]));
      }
      return await attempt(route, candidates, rcpts, mailFrom, message, params, eightBit, secure, pass);
    } finally {
      release();
    }
  }

  async function deliverAll(request: DeliveryRequest): Promise<RecipientOutcome[]> {
    const decided = new Map<string, Decided>();
    const groups = new Map<string, { route: Route; rcpts: string[] }>();
    try {
      // A parsed address is quoted for the wire (wireMailbox); anything else goes out as is, so it must not break the path.
      if (!isRoutableAddress(request.mailFrom) && /[\r\n<>]/.test(request.mailFrom)) throw new Error(`invalid sender address ${JSON.stringify(request.mailFrom)}`);
      // CRLF-canonical and clean since intake (message/hygiene.ts): not scanned again at each attempt.
      const message = request.message;
      for (const rcpt of new Set(request.rcptTo)) {
        // Quoted local parts may hold spaces or "<>": wireMailbox quotes them on the wire.
        if (!isRoutableAddress(rcpt)) {
          decided.set(rcpt, { verdict: classifyBadAddress(rcpt), relay: undefined });
          continue;
        }
        const route = routeFor(domainOf(rcpt));
        const group = groups.get(route.destination) ?? { route, rcpts: [] };
        group.rcpts.push(rcpt);
        groups.set(route.destination, group);
      }
      await Promise.all(
        [...groups.values()].map(async ({ route, rcpts }) => {
          try {
            for (const [r, d] of await deliverGroup(route, rcpts, request.mailFrom, message, request.params, request.eightBit)) decided.set(r, d);
          } catch (err) {
            log.error({ err, id: request.id, destination: route.destination }, 'unexpected error during delivery');
            const verdict = classifyUnexpected(err);
            for (const r of rcpts) if (!decided.has(r)) decided.set(r, { verdict, relay: undefined });
          }
        }),
      );
    } catch (err) {
      log.error({ err, id: request.id }, 'unexpected error during delivery');
      const verdict = classifyUnexpected(err);
      for (const r of request.rcptTo) if (!decided.has(r)) decided.set(r, { verdict, relay: undefined });
    }
    return request.rcptTo.map((r) => {
      const d = decided.get(r) ?? { verdict: classifyUnexpected(new Error('no outcome recorded')), relay: undefined };
      const outcome = toOutcome(r, d.verdict.kind === 'delivered' && d.relay === undefined ? classifyUnexpected(new Error('delivered without relay')) : d.verdict, d.relay);
      return d.holdUntilMs !== undefined && outcome.kind === 'deferred' ? { ...outcome, holdUntilMs: d.holdUntilMs } : outcome;
    });
  }

  return {
    async deliver(request) {
      if (closed) {
        const verdict: Verdict = classifySessionFailure(
          { type: 'local', status: '4.3.2', message: 'delivery agent is shutting down' },
          { remoteMta: undefined, lastHost: true },
        );
        return request.rcptTo.map((r) => toOutcome(r, verdict, undefined));
      }
      const p = deliverAll(request);
      inFlight.add(p);
      try {
        return await p;
      } finally {
        inFlight.delete(p);
      }
    },
    async close() {
      closed = true;
      // Bounded: a slow MX must not hold a stop for commandTimeoutMs (minutes).
      // What is still in flight afterwards is retried from the queue later.
      await within(Promise.allSettled([...inFlight]), CLOSE_WAIT_MS);
      await within(pool.close(), QUIT_WAIT_MS);
    },
  };
}

const CLOSE_WAIT_MS = 10_000;
const DANE_REMEMBER_MS = 60_000;
const QUIT_WAIT_MS = 3_000;

function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise.then(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

/** The MX host names of a route's candidates, in order, each once. */
function hostNames(candidates: readonly Candidate[]): string[] {
  const names: string[] = [];
  for (const c of candidates) if (names[names.length - 1] !== c.host) names.push(c.host);
  return names;
}

/** Recipients held in the queue by the shaping gate: deferred to `untilMs`, not an attempt. */
function held(rcpts: readonly string[], untilMs: number, status: string, detail: string): Map<string, Decided> {
  const verdict: Verdict = { kind: 'deferred', failure: { status, stage: 'local', remoteMta: undefined, remoteReply: undefined, detail } };
  return new Map(rcpts.map((r) => [r, { verdict, relay: undefined, holdUntilMs: untilMs }]));
}

/** "example.com" matches itself; ".example.com" matches its subdomains (Postfix transport-map style). */
function domainMatches(domain: string, pattern: string): boolean {
  const p = pattern.toLowerCase();
  if (p.startsWith('.')) return domain.endsWith(p);
  return domain === p;
}

/** MTA-STS for sending (RFC 8461), when delivery.mtaSts.enabled: through the deliverer's own resolver. */
function policySourceFor(config: DeliveryConfig, resolver: ReturnType<typeof createResolver>, dataDir: string | undefined, log: Logger): PolicySource | undefined {
  const sts = config.mtaSts;
  if (sts === undefined || !sts.enabled) return undefined;
  return createPolicySource({
    resolver,
    timeoutMs: sts.fetchTimeoutMs,
    port: sts.policyPort,
    ca: sts.caFile === undefined ? undefined : readFileSync(sts.caFile, 'utf8'),
    dataDir,
    recheckMs: sts.recheckIntervalMs,
    onCacheProblem: (problem) => log.warn({ problem }, 'MTA-STS policy cache'),
  });
}
