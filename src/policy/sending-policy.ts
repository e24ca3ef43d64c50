// The one sending policy that every way in (SMTP submission, the trusted
// port-25 listener, the HTTP API) asks before a message reaches intake:
// who may authenticate (brute-force limits), which addresses a sender may
// use (MAIL FROM, From, Sender), how much it may send (quotas), which
// recipients are suppressed, and whether its mail must be held (the
// compromised-account brake). Each check answers with an SMTP reply, or
// undefined for "go on"; the HTTP API maps the same replies to its errors.
//
// Nothing here writes to disk per message: counters are in memory and saved
// in the background (quota-counter.ts, counter-snapshot.ts).
import { domainOf } from '../core/address.js';
import { replies } from '../core/replies.js';
import type { SmtpReply } from '../core/smtp-reply.js';
import type { QuotaLimits } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { SubmittedHeaders } from '../message/intake-message.js';
import type { AuthOutcome, Principal } from '../users/principal.js';
import { senderAllowed } from '../users/sender-patterns.js';
import type { AuthThrottle } from './auth-throttle.js';
import type { SendingBrake } from './brake.js';
import type { QuotaCounter, QuotaKey } from './quota-counter.js';
import { credentialKey, senderName, type Sender } from './sender.js';
import { clientKey } from './client-address.js';

/** The account side: credentials and the brake's flag (users/user-store.ts). */
export interface Accounts {
  authenticatePrincipal(login: string, password: string, clientIp: string): Promise<AuthOutcome>;
  isFlagged(user: string, appPasswordLabel: string | undefined): boolean;
  flag(user: string, appPasswordLabel: string | undefined, reason: string): void;
}

export interface SuppressionLookup {
  isSuppressed(sendingDomain: string, recipient: string, nowMs: number): { readonly reason: string } | undefined;
}

export interface SendingPolicyOptions {
  readonly accounts: Accounts;
  /** True when the domain (or a parent) is a registered sending domain. */
  readonly isSendingDomain: (domain: string) => boolean;
  readonly suppression: SuppressionLookup;
  /** The domain suppression entries are kept under for an envelope domain: its registered sending domain, if any. */
  readonly suppressionDomain: (domain: string) => string;
  readonly quotas: QuotaCounter;
  readonly brake: SendingBrake | undefined;
  readonly authThrottle: AuthThrottle;
  /** auth.maxFailuresPerClient, for counting checks still under way. */
  readonly maxAuthFailuresPerClient: number;
  readonly limits: {
    readonly user: QuotaLimits;
    readonly appPassword: QuotaLimits;
    readonly domain: Omit<QuotaLimits, 'recipientsPerMessage'>;
  };
  /**
   * Sender patterns of the trusted port-25 clients (`*` = anyone). Empty: any
   * MAIL FROM, and a From in a registered sending domain.
   */
  readonly trustedMaySendAs: readonly string[];
  readonly logger: Logger;
  /** Told when the brake holds a credential's mail (to mail the admin). */
  readonly onBrake?: (sender: Sender, detail: string) => void;
}

export type AuthAnswer = { readonly principal: Principal } | { readonly reply: SmtpReply; readonly failed: boolean };

export class SendingPolicy {
  readonly #o: SendingPolicyOptions;

  constructor(options: SendingPolicyOptions) {
    this.#o = options;
  }

  /**
   * Checks a login and password (SMTP PLAIN/LOGIN, later HTTP). Blocked
   * addresses and names get 454 4.7.0 without the password being looked at.
   */
  async authenticate(rawLogin: string, password: string, clientIp: string, listener: string): Promise<AuthAnswer> {
    const login = boundedLogin(rawLogin);
    // Checks still being verified count as failures for the address: twelve
    // guesses sent at once must not all slip under a limit of ten.
    const client = clientKey(clientIp);
    const pending = this.#pending.get(client) ?? 0;
    const blocked = this.authBlocked(login, clientIp, listener, pending);
    if (blocked !== undefined) return blocked;
    this.#pending.set(client, pending + 1);
    let outcome;
    try {
      outcome = await this.#o.accounts.authenticatePrincipal(rawLogin, password, clientIp);
    } finally {
      const left = (this.#pending.get(client) ?? 1) - 1;
      if (left > 0) this.#pending.set(client, left);
      else this.#pending.delete(client);
    }
    if (!outcome.ok) return this.authFailed(login, clientIp, listener, outcome.reason);
    return this.authSucceeded(outcome.principal, login, clientIp, listener);
  }

  /** Password checks under way per client address (clientKey); bounded by the connection limits. */
  readonly #pending = new Map<string, number>();

  /** The refusal when AUTH from this address, or for this name, is blocked (for mechanisms that verify elsewhere: SCRAM, CRAM-MD5). */
  authBlocked(rawLogin: string, clientIp: string, listener: string, pending = 0): AuthAnswer | undefined {
    const login = boundedLogin(rawLogin);
    const { authThrottle, maxAuthFailuresPerClient } = this.#o;
    const now = Date.now();
    let block = authThrottle.isBlocked(clientIp, login, now);
    if (block === undefined && pending > 0 && authThrottle.failures(clientIp, login, now).client + pending >= maxAuthFailuresPerClient) {
      block = { scope: 'client', key: clientKey(clientIp), untilMs: now };
    }
    if (block === undefined) return undefined;
    // One line per refused attempt, in the format the README's fail2ban filter matches.
    this.#o.logger.warn(
      { event: 'auth-blocked', clientIp, login, listener, blocked: block.scope, until: new Date(block.untilMs).toISOString() },
      'authentication refused: too many failures',
    );
    return { reply: replies.authBlocked, failed: true };
  }

  /** Counts a failure; logs it (and the block it causes) in the fail2ban format. */
  authFailed(rawLogin: string, clientIp: string, listener: string, reason: string): AuthAnswer {
    const login = boundedLogin(rawLogin);
    const { authThrottle, logger } = this.#o;
    const wasBlocked = authThrottle.isBlocked(clientIp, login, Date.now()) !== undefined;
    const block = authThrottle.recordFailure(clientIp, login, Date.now());
    logger.warn({ event: 'auth-failed', clientIp, login, listener, reason }, 'authentication failed');
    if (block !== undefined && !wasBlocked) {
      logger.warn(
        { event: 'auth-block', clientIp, login, listener, blocked: block.scope, until: new Date(block.untilMs).toISOString() },
        'too many authentication failures: AUTH refused for a while',
      );
    }
    return { reply: replies.authFailed, failed: true };
  }

  authSucceeded(principal: Principal, rawLogin: string, clientIp: string, listener: string): AuthAnswer {
    const login = boundedLogin(rawLogin);
    const { authThrottle, logger } = this.#o;
    const failuresBefore = authThrottle.failures(clientIp, login, Date.now()).login;
    authThrottle.recordSuccess(clientIp, login, Date.now());
    logger.info(
      { event: 'auth', clientIp, user: principal.user, credential: principal.credentialName, listener, ...(failuresBefore > 0 ? { failuresBefore } : {}) },
      failuresBefore > 0 ? 'authenticated after failures' : 'authenticated',
    );
    return { principal };
  }

  /** MAIL FROM: the sender may use this address, and has quota left. */
  checkMailFrom(mailFrom: string, sender: Sender): SmtpReply | undefined {
    // The null reverse-path (RFC 5321 §4.5.5) names nobody; the From header is still checked.
    if (mailFrom !== '' && !this.#envelopeExempt(sender) && !this.#mayUse(mailFrom, sender)) {
      this.#o.logger.warn({ event: 'sender-denied', clientIp: sender.clientIp, sender: senderName(sender), mailFrom }, 'sender address not allowed');
      return replies.senderNotAllowed(mailFrom, senderName(sender));
    }
    const over = this.#o.quotas.check(this.#quotaKeys(mailFrom, sender), Date.now());
    if (over === undefined) return undefined;
    const what = `${over.limit} messages per ${over.window} for ${describeKey(over.key)}`;
    this.#o.logger.warn({ event: 'quota', clientIp: sender.clientIp, sender: senderName(sender), key: over.key, window: over.window, limit: over.limit }, 'sending limit reached');
    return replies.rateLimited(what, Number.isFinite(over.resetsAtMs) ? new Date(over.resetsAtMs).toISOString() : 'never (the limit is lower than one message)');
  }

  /** RCPT TO: not suppressed, and within the sender's recipients-per-message limit. */
  checkRecipient(rcptTo: string, mailFrom: string, accepted: number, sender: Sender): SmtpReply | undefined {
    const limit = this.#recipientLimit(sender);
    if (limit !== undefined && accepted >= limit) return replies.recipientQuota(limit, senderName(sender));
    const entry = this.#o.suppression.isSuppressed(this.#o.suppressionDomain(domainOf(mailFrom)), rcptTo, Date.now());
    if (entry !== undefined) {
      this.#o.logger.info({ event: 'suppressed', clientIp: sender.clientIp, mailFrom, rcptTo, reason: entry.reason }, 'recipient is on the suppression list');
      return replies.suppressed(rcptTo, entry.reason);
    }
    return undefined;
  }

  /** After DATA: every From mailbox and the Sender must be addresses the sender may use. */
  checkHeaders(headers: SubmittedHeaders, sender: Sender): SmtpReply | undefined {
    if (sender.kind === 'user' && !sender.principal.senderCheck) return undefined;
    const from = headers.fromAddresses();
    // Without a From, a trusted client's unchecked MAIL FROM would be the only identity shown.
    if (from.length === 0 && this.#envelopeExempt(sender)) return replies.headerFromMissing;
    for (const [field, address] of [
      ...from.map((a) => ['From', a] as const),
      ...headers.senderAddresses().map((a) => ['Sender', a] as const),
    ]) {
      if (!this.#mayUse(address, sender)) {
        this.#o.logger.warn({ event: 'sender-denied', clientIp: sender.clientIp, sender: senderName(sender), field, address }, 'header sender not allowed');
        return replies.headerSenderNotAllowed(field, address, senderName(sender));
      }
    }
    return undefined;
  }

  /**
   * Just before intake: counts the message for the brake and says whether
   * it is to be held: because this message trips the brake, or because the
   * credential is flagged already. The flag lives with the account, so
   * `hikyaku user unflag` in another process lifts it; it is read only while
   * the brake is on, so it costs nothing in the normal case. (Counted before
   * storing: a message that then fails to store still counts, which errs on
   * the safe side.)
   */
  holdReason(sender: Sender): string | undefined {
    if (sender.kind !== 'user') return undefined;
    const { principal } = sender;
    const { brake, accounts } = this.#o;
    const key = credentialKey(principal);
    const label = principal.credential.kind === 'app-password' ? principal.credential.label : undefined;
    if (brake?.isBraked(key) === true || principal.flagged) {
      if (accounts.isFlagged(principal.user, label)) return brakeHoldReason(key);
      brake?.release(key); // unflagged by the admin meanwhile
    }
    if (brake === undefined || !brake.record(key, Date.now())) return undefined;
    const trip = brake.tripOf(key);
    const detail = trip === undefined ? 'rate far above normal' : `${trip.current} messages in the current window, normal ${trip.normal.toFixed(1)}, threshold ${trip.threshold}`;
    try {
      accounts.flag(principal.user, label, `brake: ${detail}`);
    } catch (err) {
      this.#o.logger.error({ err, key }, 'could not record the brake flag; mail is held in this process only');
    }
    this.#o.logger.error(
      {
        event: 'brake',
        key,
        sender: senderName(sender),
        clientIp: sender.clientIp,
        ...(trip === undefined ? {} : { current: trip.current, normal: trip.normal, threshold: trip.threshold }),
        hint: `hikyaku user unflag ${principal.user}${label ? ` --app-password ${label}` : ''}`,
      },
      'compromised-account brake: this credential is sending far above its normal rate; its new mail is held',
    );
    this.#o.onBrake?.(sender, detail);
    return brakeHoldReason(key);
  }

  /** A message was stored: count it against the quotas. */
  recordAccepted(mailFrom: string, sender: Sender): void {
    this.#o.quotas.record(this.#quotaKeys(mailFrom, sender), Date.now());
  }

  /**
   * Trusted clients without an explicit allowance: programs on this host or
   * network (cron, PHP's mail(), a printer) put whatever the system gives
   * them in MAIL FROM (www-data@vps-1234.provider.example), and intake moves
   * that envelope into the From domain anyway (return-path.ts). What they may
   * not do is show a From outside the registered sending domains.
   */
  #envelopeExempt(sender: Sender): boolean {
    return sender.kind === 'trusted' && this.#o.trustedMaySendAs.length === 0;
  }

  #mayUse(address: string, sender: Sender): boolean {
    if (sender.kind === 'trusted') {
      const patterns = this.#o.trustedMaySendAs;
      if (patterns.length === 0) return this.#o.isSendingDomain(domainOf(address));
      return patterns.includes('*') || senderAllowed(address, patterns);
    }
    const { principal } = sender;
    if (!principal.senderCheck) return true;
    if (principal.maySendAs.length > 0) return senderAllowed(address, principal.maySendAs);
    // Default: its own address, and its whole domain when that is a registered sending domain.
    const own = domainOf(principal.user);
    return senderAllowed(address, this.#o.isSendingDomain(own) ? [principal.user, `*@${own}`] : [principal.user]);
  }

  #quotaKeys(mailFrom: string, sender: Sender): QuotaKey[] {
    const { limits } = this.#o;
    const keys: QuotaKey[] = [];
    if (sender.kind === 'user') {
      const { principal } = sender;
      const userLimits = { ...limits.user, ...principal.userQuota };
      keys.push({ key: `user:${principal.user}`, limitPerHour: limit(userLimits.messagesPerHour), limitPerDay: limit(userLimits.messagesPerDay) });
      if (principal.credential.kind === 'app-password') {
        const appLimits = { ...limits.appPassword, ...principal.quota };
        keys.push({ key: credentialKey(principal), limitPerHour: limit(appLimits.messagesPerHour), limitPerDay: limit(appLimits.messagesPerDay) });
      }
    }
    const domain = domainOf(mailFrom);
    if (domain !== '' && (limits.domain.messagesPerHour > 0 || limits.domain.messagesPerDay > 0)) {
      keys.push({ key: `domain:${domain}`, limitPerHour: limit(limits.domain.messagesPerHour), limitPerDay: limit(limits.domain.messagesPerDay) });
    }
    return keys;
  }

  /** The smallest recipients-per-message limit that applies; undefined when none (limits.maxRecipients still does). */
  #recipientLimit(sender: Sender): number | undefined {
    if (sender.kind !== 'user') return undefined;
    const { principal } = sender;
    const { limits } = this.#o;
    const candidates = [principal.userQuota.recipientsPerMessage ?? limits.user.recipientsPerMessage];
    if (principal.credential.kind === 'app-password') candidates.push(principal.quota.recipientsPerMessage ?? limits.appPassword.recipientsPerMessage);
    const set = candidates.filter((n) => n > 0);
    return set.length > 0 ? Math.min(...set) : undefined;
  }
}

// An address is at most 254 octets (RFC 5321 §4.5.3.1.3); a longer "login"
// is an attack, and must not become a 12 KiB key in the failure table or the log.
const MAX_LOGIN = 320;
function boundedLogin(login: string): string {
  return login.length > MAX_LOGIN ? `${login.slice(0, MAX_LOGIN)}…` : login;
}

/** The queue's hold reason for mail the brake holds; `hikyaku user unflag` releases by it. */
export function brakeHoldReason(key: string): string {
  return `brake:${key}`;
}

/** The configuration's 0 means "no limit"; the counter's no-limit is undefined. */
function limit(n: number | undefined): number | undefined {
  return n === undefined || n <= 0 ? undefined : n;
}

function describeKey(key: string): string {
  const colon = key.indexOf(':');
  const kind = key.slice(0, colon);
  const name = key.slice(colon + 1);
  if (kind === 'user') return `user ${name}`;
  if (kind === 'app') return `app password ${name}`;
  if (kind === 'domain') return `sending domain ${name}`;
  return key;
}

