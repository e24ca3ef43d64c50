// The one place that decides what a remote reply or a delivery error means
// for a recipient: delivered, deferred (retry later), bounced (DSN now), or
// "try the next MX host". Everything else in src/outbound only gathers facts
// (SessionFailure, RecipientResult) and asks here, so the policy can be read
// and tested row by row.
//
// The rules follow RFC 5321 §4.2.1 (4yz transient, 5yz permanent) and
// §5.1 (try the next MX on failure), with Postfix's conventions where the RFC
// leaves room: a 4xx anywhere, or a connection/TLS failure, on a host that is
// not the last candidate means "try the next one" (Postfix keeps soft-failed
// recipients for the backup MX); a 5xx greeting/EHLO also moves on, and bounces
// only on the last host; a 5xx to MAIL/RCPT/DATA is final at once.
import type { DeliveryFailure, DeliveryStage, RecipientOutcome, RelayInfo, RemoteReply } from '../core/outcome.js';
import type { MxLookup } from '../dns/mx-lookup.js';
import { formatRemoteReply } from './parse-reply.js';

/** Why a session could not be set up, or broke off. Facts only; no policy. */
export type SessionFailure =
  /** The TCP connection could not be made: `errno` is ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, ... */
  | { readonly type: 'connect'; readonly errno: string; readonly message: string }
  /** A negative reply before any transaction: greeting, EHLO/HELO, STARTTLS, AUTH. */
  | { readonly type: 'reply'; readonly stage: 'greeting' | 'ehlo' | 'tls' | 'auth'; readonly reply: RemoteReply }
  /** The TLS handshake or the certificate verification failed. */
  | { readonly type: 'tls-failed'; readonly message: string }
  /** The policy requires TLS and the server did not offer STARTTLS. */
  | { readonly type: 'tls-unavailable' }
  /** The connection dropped or went silent in the middle of the session. */
  | {
      readonly type: 'lost';
      readonly stage: DeliveryStage;
      readonly timedOut: boolean;
      readonly message: string;
      /** The whole message and its final dot were sent: the server may well have it. */
      readonly messageSent?: boolean;
    }
  /** The server said something we cannot interpret (no reply code, unexpected code). */
  | { readonly type: 'protocol'; readonly stage: DeliveryStage; readonly message: string }
  /** A problem on our side (configuration, unexpected exception): no other host would do better. */
  | { readonly type: 'local'; readonly status: string; readonly message: string };

/** What happened to one recipient in one transaction. */
export type RecipientResult =
  /** The final reply after the message data was a 2xx. */
  | { readonly type: 'accepted'; readonly reply: RemoteReply; readonly dsnPassed?: boolean }
  /** A non-2xx reply to MAIL (affects all), RCPT (this one) or DATA (all accepted ones). */
  | { readonly type: 'rejected'; readonly stage: 'mail' | 'rcpt' | 'data'; readonly reply: RemoteReply }
  /** RFC 1870 §6.2: the message exceeds the SIZE the server advertised; not sent. */
  | { readonly type: 'too-big'; readonly size: number; readonly limit: number }
  /** RFC 6531 §3.5: a UTF-8 address (the sender's, when `sender`) and a server without SMTPUTF8; not sent. */
  | { readonly type: 'no-smtputf8'; readonly sender: boolean }
  /** The session broke before this recipient got a final answer. */
  | { readonly type: 'interrupted'; readonly failure: SessionFailure };

export type Verdict =
  | { readonly kind: 'delivered'; readonly reply: RemoteReply; readonly dsnPassed?: boolean }
  | { readonly kind: 'deferred' | 'bounced'; readonly failure: DeliveryFailure }
  /** Leave the recipient for the next candidate host; `failure` is what it would be otherwise. */
  | { readonly kind: 'next-host'; readonly failure: DeliveryFailure };

export interface AttemptContext {
  /** "mx.example.com[192.0.2.1]" (Postfix style), or undefined when no host was involved. */
  readonly remoteMta: string | undefined;
  /** True when no further candidate host remains (last address of the last MX, or the smarthost's last). */
  readonly lastHost: boolean;
}

const STAGE_COMMAND: Record<DeliveryStage, string> = {
  dns: 'DNS lookup',
  connect: 'connect',
  greeting: 'initial greeting',
  ehlo: 'EHLO',
  tls: 'STARTTLS',
  auth: 'AUTH',
  mail: 'MAIL FROM',
  rcpt: 'RCPT TO',
  data: 'end of DATA',
  local: 'local processing',
};

/**
 * The RFC 3463 status for a failure of class `cls`: the remote enhanced code
 * when it has that class; a remote code of the other class moved to `cls`
 * (we defer a 5.7.8 AUTH failure as 4.7.8: a DSN's status class must match
 * the action, RFC 3464 §2.3.4); otherwise `fallback`.
 */
export function statusFor(reply: RemoteReply | undefined, cls: 4 | 5, fallback: string): string {
  const enhanced = reply?.enhanced;
  if (enhanced === undefined) return fallback;
  if (enhanced.startsWith(`${cls}.`)) return enhanced;
  return `${cls}${enhanced.slice(1)}`;
}

function failure(
  status: string,
  stage: DeliveryStage,
  ctx: AttemptContext,
  remoteReply: RemoteReply | undefined,
  detail: string,
): DeliveryFailure {
  return { status, stage, remoteMta: ctx.remoteMta, remoteReply, detail };
}

function replyDetail(ctx: AttemptContext, reply: RemoteReply, stage: DeliveryStage): string {
  // Postfix wording, which operators grep for.
  const who = ctx.remoteMta === undefined ? 'remote server' : `host ${ctx.remoteMta}`;
  return `${who} said: ${formatRemoteReply(reply)} (in reply to ${STAGE_COMMAND[stage]})`;
}

function hostDetail(ctx: AttemptContext, text: string): string {
  return ctx.remoteMta === undefined ? text : `${text} (${ctx.remoteMta})`;
}

/** A transient problem: the next host if there is one, else deferred. */
function soft(f: DeliveryFailure, ctx: AttemptContext): Verdict {
  return ctx.lastHost ? { kind: 'deferred', failure: f } : { kind: 'next-host', failure: f };
}

/** Why a session could not be set up or broke off → what to do with its (remaining) recipients. */
export function classifySessionFailure(f: SessionFailure, ctx: AttemptContext): Verdict {
  switch (f.type) {
    case 'connect':
      // RFC 3463 X.4.1 "No answer from host": refused, unreachable, connect timeout.
      return soft(failure('4.4.1', 'connect', ctx, undefined, hostDetail(ctx, `connect failed: ${f.message}`)), ctx);
    case 'reply': {
      const { reply, stage } = f;
      const detail = replyDetail(ctx, reply, stage);
      if (stage === 'greeting' || stage === 'ehlo') {
        if (reply.code >= 500 && reply.code < 600) {
          // Postfix: a 5xx greeting/HELO moves on to the next MX and bounces only on the last one.
          const fl = failure(statusFor(reply, 5, '5.0.0'), stage, ctx, reply, detail);
          return ctx.lastHost ? { kind: 'bounced', failure: fl } : { kind: 'next-host', failure: fl };
        }
        return soft(failure(statusFor(reply, 4, reply.code >= 400 ? '4.0.0' : '4.5.0'), stage, ctx, reply, detail), ctx);
      }
      // STARTTLS refused while TLS is required, or AUTH refused by the smarthost: our
      // policy or our credentials, not the recipient's fault; never a bounce.
      const fallback = stage === 'tls' ? '4.7.5' : '4.7.0';
      return soft(failure(statusFor(reply, 4, fallback), stage, ctx, reply, detail), ctx);
    }
    case 'tls-failed':
      // RFC 3463 X.7.5 "Cryptographic failure".
      return soft(failure('4.7.5', 'tls', ctx, undefined, hostDetail(ctx, `TLS failed: ${f.message}`)), ctx);
    case 'tls-unavailable':
      return soft(
        failure('4.7.5', 'tls', ctx, undefined, hostDetail(ctx, 'TLS is required but the server does not offer STARTTLS')),
        ctx,
      );
    case 'lost': {
      // RFC 3463 X.4.2 "Bad connection": the session started, then broke.
      const lost = failure(
        '4.4.2',
        f.stage,
        ctx,
        undefined,
        hostDetail(ctx, `${f.timedOut ? 'conversation timed out' : 'lost connection'} during ${STAGE_COMMAND[f.stage]}: ${f.message}`),
      );
      // After the final dot the server has probably taken the message (RFC 1047:
      // the classic duplicate-message window). Another MX now would very likely
      // deliver it twice; retry later instead, as Postfix does.
      if (f.messageSent) return { kind: 'deferred', failure: lost };
      return soft(lost, ctx);
    }
    case 'protocol':
      // RFC 3463 X.5.0 "Other or undefined protocol status".
      return soft(failure('4.5.0', f.stage, ctx, undefined, hostDetail(ctx, `protocol error during ${STAGE_COMMAND[f.stage]}: ${f.message}`)), ctx);
    case 'local':
      return { kind: 'deferred', failure: failure(f.status, 'local', ctx, undefined, f.message) };
  }
}

/** One recipient's result in one transaction → its verdict. */
export function classifyRecipient(r: RecipientResult, ctx: AttemptContext): Verdict {
  switch (r.type) {
    case 'accepted':
      return r.dsnPassed === true ? { kind: 'delivered', reply: r.reply, dsnPassed: true } : { kind: 'delivered', reply: r.reply };
    case 'rejected': {
      const { reply, stage } = r;
      const detail = replyDetail(ctx, reply, stage);
      if (reply.code >= 500 && reply.code < 600) {
        return { kind: 'bounced', failure: failure(statusFor(reply, 5, '5.0.0'), stage, ctx, reply, detail) };
      }
      if (reply.code >= 400 && reply.code < 500) {
        return soft(failure(statusFor(reply, 4, '4.0.0'), stage, ctx, reply, detail), ctx);
      }
      // A 1xx/3xx where a final answer belongs: not something we understand.
      return soft(failure('4.5.0', stage, ctx, reply, detail), ctx);
    }
    case 'too-big':
      // RFC 1870 §6.2 / RFC 3463 X.3.4 "Message too big for system": permanent.
      return {
        kind: 'bounced',
        failure: failure(
          '5.3.4',
          'mail',
          ctx,
          undefined,
          hostDetail(ctx, `message size ${r.size} exceeds the size limit ${r.limit} announced by the server`),
        ),
      };
    case 'no-smtputf8':
      // RFC 6531 §3.5 / RFC 3463 X.6.7 "Non-ASCII addresses not permitted for that sender/recipient":
      // permanent, like Postfix; an address cannot be downgraded.
      return {
        kind: 'bounced',
        failure: failure(
          '5.6.7',
          r.sender ? 'mail' : 'rcpt',
          ctx,
          undefined,
          hostDetail(ctx, `the receiving server does not support SMTPUTF8, needed for the internationalised ${r.sender ? 'sender' : 'recipient'} address`),
        ),
      };
    case 'interrupted':
      return classifySessionFailure(r.failure, ctx);
  }
}

/** A DNS answer that gives no host to connect to → the verdict for every recipient of the domain. */
export function classifyLookup(lookup: Exclude<MxLookup, { kind: 'hosts' }>, domain: string): Verdict {
  const ctx: AttemptContext = { remoteMta: undefined, lastHost: true };
  switch (lookup.kind) {
    case 'null-mx':
      // RFC 7505 §4.2: a null MX means the domain accepts no mail; X.1.10 per RFC 7505 §4.3.
      return { kind: 'bounced', failure: failure('5.1.10', 'dns', ctx, undefined, `domain ${domain} does not accept mail (null MX)`) };
    case 'nxdomain':
      // RFC 3463 X.1.2 "Bad destination system address".
      return { kind: 'bounced', failure: failure('5.1.2', 'dns', ctx, undefined, `Host or domain name not found: ${lookup.detail}`) };
    case 'no-route':
      return { kind: 'bounced', failure: failure('5.1.2', 'dns', ctx, undefined, `no route to domain ${domain}: ${lookup.detail}`) };
    case 'temporary':
      // RFC 3463 X.4.3 "Directory server failure".
      return { kind: 'deferred', failure: failure('4.4.3', 'dns', ctx, undefined, `DNS lookup failed for ${domain}: ${lookup.detail}`) };
  }
}

/**
 * The smarthost's own name did not resolve. Always deferred, even for
 * NXDOMAIN: that is our configuration, not the recipient's address.
 */
export function classifySmarthostLookup(host: string, detail: string): Verdict {
  return {
    kind: 'deferred',
    failure: failure('4.4.3', 'dns', { remoteMta: undefined, lastHost: true }, undefined, `cannot resolve smarthost ${host}: ${detail}`),
  };
}

/** A recipient address no SMTP server could be asked about (e.g. no domain, CR/LF, angle brackets). */
export function classifyBadAddress(rcptTo: string): Verdict {
  return {
    kind: 'bounced',
    // RFC 3463 X.1.3 "Bad destination mailbox address syntax".
    failure: failure('5.1.3', 'local', { remoteMta: undefined, lastHost: true }, undefined, `invalid recipient address ${JSON.stringify(rcptTo)}`),
  };
}

/** An exception nobody expected: deferred 4.3.0 with the cause, so the message is retried, never lost. */
export function classifyUnexpected(error: unknown): Verdict {
  const message = error instanceof Error ? error.message : String(error);
  return {
    kind: 'deferred',
    failure: failure('4.3.0', 'local', { remoteMta: undefined, lastHost: true }, undefined, `internal error: ${message}`),
  };
}

/** The outcome record for a recipient; a leftover 'next-host' (no host left) counts as deferred. */
export function toOutcome(rcptTo: string, verdict: Verdict, relay: RelayInfo | undefined): RecipientOutcome {
  switch (verdict.kind) {
    case 'delivered':
      if (relay === undefined) throw new Error('a delivered outcome needs relay information');
      return verdict.dsnPassed === true
        ? { kind: 'delivered', rcptTo, relay, remoteReply: verdict.reply, dsnPassed: true }
        : { kind: 'delivered', rcptTo, relay, remoteReply: verdict.reply };
    case 'bounced':
      return { kind: 'bounced', rcptTo, relay, failure: verdict.failure };
    case 'deferred':
      return { kind: 'deferred', rcptTo, relay, failure: verdict.failure };
    case 'next-host': {
      // A 5xx greeting left for a next host that never came: still only a deferral.
      const f = verdict.failure;
      return { kind: 'deferred', rcptTo, relay, failure: { ...f, status: f.status.replace(/^5\./, '4.') } };
    }
  }
}
