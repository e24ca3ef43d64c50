// The security a route needs beyond the configured TLS policy, and what its
// failures mean: MTA-STS (RFC 8461 §5: enforce = only the policy's MX hosts,
// only over TLS with a certificate valid for the MX name, else deferred),
// REQUIRETLS (RFC 8689 §4.2.1: verified TLS and a next hop that takes
// REQUIRETLS, else bounced 5.7.10 / 5.7.30), and the TLS-RPT observations
// (RFC 8460) of every new session. Kept apart from deliverer.ts and
// classify.ts: the deliverer asks this plan at four points (candidates,
// transport, new session, verdict) and decides nothing itself.
import type { DetailedPeerCertificate } from 'node:tls';
import type { DeliveryFailure } from '../core/outcome.js';
import type { DaneLookup, HostTlsa } from '../dane/dane-lookup.js';
import { tlsaMismatch } from '../dane/tlsa.js';
import type { StsLookup } from '../mtasts/policy-source.js';
import { mxMatchesPattern } from '../mtasts/sts-text.js';
import type { TlsSessionRecorder, TlsSessionResult } from '../tlsrpt/session-result.js';
import type { Candidate } from './candidates.js';
import type { CertificateCheck } from './certificate-check.js';
import type { AttemptContext, SessionFailure, Verdict } from './classify.js';
import type { ClientTlsMode } from './smtp-client.js';

export interface SecureRouteInput {
  /** The recipient domain (MX routes), undefined for the smarthost. */
  readonly domain: string | undefined;
  /** The MTA-STS lookup; undefined when MTA-STS is off, skipped (TLS-Required: No) or the route is the smarthost. */
  readonly sts: StsLookup | undefined;
  /** The message was submitted with REQUIRETLS. */
  readonly requireTls: boolean;
  /** DANE (RFC 7672); undefined when off or skipped. */
  readonly dane?: DaneLookup | undefined;
  readonly recorder: TlsSessionRecorder | undefined;
  readonly sendingIp: string | undefined;
}

/** How a new session went, as far as TLS goes. */
export type SessionTls =
  | { readonly kind: 'tls'; readonly certificate: CertificateCheck | undefined }
  | { readonly kind: 'plain'; readonly offered: boolean }
  | { readonly kind: 'failed'; readonly failure: SessionFailure; readonly certificate: CertificateCheck | undefined };

export class SecureRoute {
  readonly input: SecureRouteInput;

  constructor(input: SecureRouteInput) {
    this.input = input;
  }

  /** MTA-STS in enforce mode applies (RFC 8461 §2: not where DANE applies). */
  get enforce(): boolean {
    return this.policy?.mode === 'enforce' && !this.daneActive;
  }

  /** Validated MX hosts with usable TLSA records: DANE decides, not MTA-STS. */
  private get daneActive(): boolean {
    const dane = this.input.dane;
    return dane?.kind === 'secure' && [...dane.hosts.values()].some((h) => h.kind === 'tlsa');
  }

  private daneHost(host: string): HostTlsa | undefined {
    const dane = this.input.dane;
    return dane?.kind === 'secure' ? dane.hosts.get(host.toLowerCase()) : undefined;
  }

  /** The transport for one candidate: a DANE host gets TLS required, checked against TLSA (not the CAs). */
  transportFor(candidate: Candidate, tls: ClientTlsMode, verifyCertificate: boolean): { tls: ClientTlsMode; verifyCertificate: boolean } {
    if (this.daneHost(candidate.host)?.kind === 'tlsa') return { tls: tls === 'implicit' ? 'implicit' : 'required', verifyCertificate: false };
    return this.transport(tls, verifyCertificate);
  }

  /**
   * RFC 7672 §2.2, §3: a DANE host's certificate must match one of its TLSA
   * records; the verdict when it does not (undefined: go ahead).
   */
  daneRefused(candidate: Candidate, peer: DetailedPeerCertificate | undefined, ctx: AttemptContext, newSession: boolean): Verdict | undefined {
    const host = this.daneHost(candidate.host);
    if (host?.kind !== 'tlsa') return undefined;
    const why = peer === undefined ? 'no TLS' : tlsaMismatch(host.records, peer, candidate.host);
    // RFC 8460 §4.3.2.2: tlsa-invalid when no TLSA record matches.
    if (newSession) this.report(candidate, why === undefined ? undefined : { resultType: 'tlsa-invalid', detail: why });
    if (why === undefined) return undefined;
    const detail = `DANE: ${why}; not sent to ${ctx.remoteMta ?? candidate.host}`;
    return this.securityFailure({ status: '4.7.5', stage: 'tls', remoteMta: ctx.remoteMta, remoteReply: undefined, detail }, ctx.lastHost, true);
  }

  private get policy(): Extract<StsLookup, { kind: 'policy' }>['policy'] | undefined {
    const sts = this.input.sts;
    return sts?.kind === 'policy' && sts.policy.mode !== 'none' ? sts.policy : undefined;
  }

  /** Whether the certificate must be valid for the host name (verified TLS). */
  get mustVerify(): boolean {
    return this.enforce || this.input.requireTls;
  }

  /** The TLS mode and verification to use, given the route's own. */
  transport(tls: ClientTlsMode, verifyCertificate: boolean): { tls: ClientTlsMode; verifyCertificate: boolean } {
    if (!this.mustVerify) return { tls, verifyCertificate };
    return { tls: tls === 'implicit' ? 'implicit' : 'required', verifyCertificate: true };
  }

  /**
   * RFC 8461 §4.1: under enforce, only MX hosts matching the policy's mx
   * patterns; none left → one verdict for every recipient.
   */
  candidates(found: readonly Candidate[]): Candidate[] | Verdict {
    const dane = this.input.dane;
    if (dane?.kind === 'failed') {
      return this.securityFailure({ status: '4.4.3', stage: 'dns', remoteMta: undefined, remoteReply: undefined, detail: dane.detail }, true, true);
    }
    // RFC 7672 §2.2: a host whose TLSA lookup failed is not used (RFC 8460: dnssec-invalid).
    const all = found.filter((c) => this.daneHost(c.host)?.kind !== 'failed');
    for (const c of found) {
      const h = this.daneHost(c.host);
      if (h?.kind === 'failed') this.report(c, { resultType: 'dnssec-invalid', detail: h.detail });
    }
    if (all.length === 0) {
      const failed = found.map((c) => this.daneHost(c.host)).find((h) => h?.kind === 'failed');
      const detail = failed?.kind === 'failed' ? failed.detail : 'DANE: no usable MX host';
      return this.securityFailure({ status: '4.7.5', stage: 'dns', remoteMta: undefined, remoteReply: undefined, detail }, true, true);
    }
    const policy = this.policy;
    if (policy === undefined || policy.mode !== 'enforce' || this.daneActive) return [...all];
    const allowed = all.filter((c) => policy.mx.some((p) => mxMatchesPattern(c.host, p)));
    if (allowed.length > 0) return allowed;
    const hosts = [...new Set(all.map((c) => c.host))].join(', ');
    const detail = `MTA-STS policy of ${policy.domain} (enforce) allows none of its MX hosts: ${hosts} do not match mx: ${policy.mx.join(', ')}`;
    for (const c of all) this.report(c, { resultType: 'validation-failure', detail });
    return this.securityFailure({ status: '4.7.5', stage: 'connect', remoteMta: undefined, remoteReply: undefined, detail }, true);
  }

  /** A new session (or an attempt at one) with `candidate`: its TLS-RPT observation. */
  observe(candidate: Candidate, session: SessionTls): void {
    // A session that failed before TLS (connect, greeting) says nothing about TLS.
    if (session.kind === 'failed' && session.certificate === undefined && !isTlsFailure(session.failure)) return;
    // A DANE host's certificate is judged by its TLSA records, not the CAs: a session that got TLS is reported by daneRefused.
    if (this.daneHost(candidate.host)?.kind === 'tlsa') {
      if (session.kind !== 'tls') this.report(candidate, { resultType: 'starttls-not-supported', detail: 'STARTTLS not offered or failed' });
      return;
    }
    const sts = this.input.sts;
    if (sts?.kind === 'fetch-failed') return this.report(candidate, { resultType: sts.resultType, detail: sts.detail });
    const failure = tlsFailure(session, this.policy?.mode === 'testing' || this.policy?.mode === 'enforce' ? this.policy.mx : undefined, candidate.host);
    this.report(candidate, failure);
  }

  /**
   * RFC 8689 §4.2.1: a REQUIRETLS message goes only to a server that offers
   * REQUIRETLS; the verdict when it does not (undefined: go ahead).
   */
  requireTlsRefused(offered: boolean, ctx: AttemptContext): Verdict | undefined {
    if (!this.input.requireTls || offered) return undefined;
    const detail = `REQUIRETLS: ${ctx.remoteMta ?? 'the server'} does not offer REQUIRETLS (RFC 8689), so the message may not be sent to it`;
    return this.securityFailure({ status: '5.7.30', stage: 'mail', remoteMta: ctx.remoteMta, remoteReply: undefined, detail }, ctx.lastHost);
  }

  /** The verdict of classify.ts, worded (and for REQUIRETLS decided) for the security in force. */
  verdict(v: Verdict, ctx: AttemptContext, candidate: Candidate): Verdict {
    if (v.kind === 'delivered' || v.failure.stage !== 'tls') return v;
    if (this.daneHost(candidate.host)?.kind === 'tlsa' && !this.input.requireTls) {
      return { ...v, failure: { ...v.failure, detail: `DANE: the TLSA records of ${candidate.host} require TLS: ${v.failure.detail}` } };
    }
    if (this.input.requireTls) {
      // RFC 8689 §4.2.1: no verified TLS → not sent; on the last host, returned as 5.7.10.
      const detail = `REQUIRETLS: no verified TLS with ${ctx.remoteMta ?? 'the server'}: ${v.failure.detail}`;
      return this.securityFailure({ ...v.failure, status: '5.7.10', detail }, ctx.lastHost);
    }
    const policy = this.policy;
    if (policy !== undefined && this.enforce) {
      return { ...v, failure: { ...v.failure, detail: `MTA-STS policy of ${policy.domain} (enforce) requires a valid certificate: ${v.failure.detail}` } };
    }
    return v;
  }

  /**
   * Under REQUIRETLS a permanent failure on the last host (5.7.10 for a DANE
   * failure: `tls`); under MTA-STS or DANE alone a deferral.
   */
  private securityFailure(failure: DeliveryFailure, lastHost: boolean, tls = false): Verdict {
    if (!lastHost) return { kind: 'next-host', failure: { ...failure, status: failure.status.replace(/^5\./, '4.') } };
    if (this.input.requireTls) {
      const status = tls ? '5.7.10' : failure.status.replace(/^4\./, '5.');
      return { kind: 'bounced', failure: { ...failure, status, detail: tls ? `REQUIRETLS: ${failure.detail}` : failure.detail } };
    }
    return { kind: 'deferred', failure: { ...failure, status: failure.status.replace(/^5\./, '4.') } };
  }

  private report(candidate: Candidate, failure: TlsSessionResult['failure']): void {
    const { recorder, domain } = this.input;
    if (recorder === undefined || domain === undefined) return;
    const tlsa = this.daneHost(candidate.host);
    if (tlsa?.kind === 'tlsa' || tlsa?.kind === 'failed') {
      // RFC 8460 §4.3.1.1: policy-type tlsa, the TLSA records as policy-string (none when they could not be validated).
      const strings = (tlsa.kind === 'tlsa' ? tlsa.records : []).map((r) => `${r.usage} ${r.selector} ${r.matchingType} ${r.data.toString('hex')}`);
      recorder.record({ policyDomain: domain, policyType: 'tlsa', policyStrings: strings, mxPatterns: [candidate.host], receivingMxHostname: candidate.host, receivingIp: candidate.ip, sendingIp: this.input.sendingIp, failure });
      return;
    }
    const sts = this.input.sts;
    const policy = sts?.kind === 'policy' ? sts.policy : undefined;
    recorder.record({
      policyDomain: domain,
      policyType: sts?.kind === 'fetch-failed' || (policy !== undefined && policy.mode !== 'none') ? 'sts' : 'no-policy-found',
      policyStrings: policy === undefined || policy.mode === 'none' ? [] : policy.text.split(/\r?\n/).filter((l) => l.trim() !== ''),
      mxPatterns: policy === undefined || policy.mode === 'none' ? [] : policy.mx,
      receivingMxHostname: candidate.host,
      receivingIp: candidate.ip,
      sendingIp: this.input.sendingIp,
      failure,
    });
  }
}

/** RFC 8460 §4.3.2.2: what went wrong with a session's TLS, undefined when nothing did. */
function tlsFailure(session: SessionTls, mxPatterns: readonly string[] | undefined, host: string): TlsSessionResult['failure'] {
  switch (session.kind) {
    case 'plain':
      return { resultType: 'starttls-not-supported', detail: session.offered ? 'STARTTLS refused' : 'STARTTLS not offered' };
    case 'failed': {
      const c = session.certificate;
      if (c !== undefined && !c.verified) return { resultType: c.problem, detail: c.detail };
      if (session.failure.type === 'tls-unavailable' || session.failure.type === 'reply') return { resultType: 'starttls-not-supported', detail: 'STARTTLS not offered' };
      if (session.failure.type === 'tls-failed') return { resultType: 'validation-failure', detail: session.failure.message };
      return undefined;
    }
    case 'tls': {
      if (mxPatterns !== undefined && !mxPatterns.some((p) => mxMatchesPattern(host, p))) {
        return { resultType: 'validation-failure', detail: `MX host ${host} does not match the policy's mx patterns` };
      }
      const c = session.certificate;
      // Without an MTA-STS policy a session with TLS counts as a success, whatever the certificate.
      if (mxPatterns === undefined || c === undefined || c.verified) return undefined;
      return { resultType: c.problem, detail: c.detail };
    }
  }
}

function isTlsFailure(f: SessionFailure): boolean {
  return f.type === 'tls-failed' || f.type === 'tls-unavailable' || (f.type === 'reply' && f.stage === 'tls');
}
