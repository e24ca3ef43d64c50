// The policy side of an SMTP session (smtp-session.ts does the protocol
// side): who may authenticate, who may send and relay, and handing the
// message to intake. Each decision is a reply, or undefined for "go on".
// What is not particular to SMTP (identities, quotas, suppression, brute
// force, the brake) is the sending policy's (policy/sending-policy.ts),
// which the HTTP API asks too.
import type { BlockList } from 'node:net';
import type { Envelope, EnvelopeParams, Submitter } from '../core/envelope.js';
import { normalizeAddress } from '../core/address.js';
import { mailboxProblem } from '../core/mailbox.js';
import { formatReply, SmtpError, type SmtpReply } from '../core/smtp-reply.js';
import { replies } from '../core/replies.js';
import type { Intake } from '../intake/intake.js';
import type { SubmittedHeaders } from '../message/intake-message.js';
import type { Logger } from '../log/logger.js';
import { isTrustedClient, mayRelay, type ListenerKind } from './relay-policy.js';
import type { SendingPolicy } from '../policy/sending-policy.js';
import type { Sender } from '../policy/sender.js';
import type { Principal } from '../users/principal.js';
import type { ScramCredentials } from '../users/scram-keys.js';
import { ScramServer } from './sasl-scram.js';
import { cramChallenge, parseCramResponse, verifyCram } from './sasl-cram.js';
import type { SaslMechanism } from './sasl.js';
import { tarpitDelayMs } from '../policy/tarpit.js';
import { QueueWriteError } from '../queue/sqlite-queue-store.js';

/** What SCRAM-SHA-256 and CRAM-MD5 need of the accounts (users/user-store.ts). */
export interface SaslAccounts {
  scramCredentials(login: string): ScramCredentials | undefined;
  scramFakeSaltKey(): Buffer;
  cramSecret(login: string): { readonly user: string; readonly secret: string } | undefined;
  principalFor(address: string): Principal | undefined;
}

/** What the policy needs to know of a session. */
export interface SessionFacts {
  readonly remoteAddress: string;
  readonly secure: boolean;
  readonly trustedClient: boolean;
  readonly helo: string;
  readonly user: string | undefined;
  readonly principal: Principal | undefined;
  /** Who sends, as the sending policy knows it; undefined for a session that may not send at all. */
  readonly sender: Sender | undefined;
  readonly submitter: () => Submitter;
}

export interface SessionPolicyOptions {
  readonly listener: ListenerKind;
  readonly trustedNetworks: BlockList;
  readonly maxRecipients: number;
  readonly sending: SendingPolicy;
  readonly saslAccounts: SaslAccounts;
  readonly mechanisms: readonly SaslMechanism[];
  /** Our name, in CRAM-MD5 challenges. */
  readonly hostname: string;
  readonly intake: Intake;
  readonly logger: Logger;
  /** The first failed AUTH of a session is answered after this; each further one waits twice as long (at most 8×). */
  readonly tarpitDelayMs: number;
  readonly maxAuthFailuresPerSession: number;
}

// Bounded: a scan from many addresses must not grow it without limit.
const TRUST_CACHE_SIZE = 4096;

/** `failed`: the credentials were refused (tarpit and count it), not the exchange. */
export type AuthResult = { readonly principal: Principal } | { readonly reply: SmtpReply; readonly failed: boolean };

/** SCRAM's last step also carries the server-final message (RFC 5802 §5.1 "v="). */
export type ScramFinish = ({ readonly principal: Principal; readonly serverFinal: string } | { readonly reply: SmtpReply; readonly failed: boolean });

export class SessionPolicy {
  readonly listener: ListenerKind;
  readonly maxRecipients: number;
  readonly maxAuthFailuresPerSession: number;
  readonly mechanisms: readonly SaslMechanism[];
  readonly #options: SessionPolicyOptions;

  constructor(options: SessionPolicyOptions) {
    this.#options = options;
    this.listener = options.listener;
    this.maxRecipients = options.maxRecipients;
    this.maxAuthFailuresPerSession = options.maxAuthFailuresPerSession;
    this.mechanisms = options.mechanisms;
  }

  /** The tarpit before answering the `failures`-th failed AUTH of a session: 1, 2, 4, 8, 8… × tarpitDelayMs. */
  tarpitDelayMs(failures: number): number {
    const base = this.#options.tarpitDelayMs;
    return tarpitDelayMs(failures, { baseDelayMs: base, maxDelayMs: 8 * base });
  }

  /** Asked once per connection: the answer cannot change during it. */
  isTrusted(remoteAddress: string): boolean {
    // Only the relay listener trusts networks (see mayRelay); BlockList#check
    // builds a SocketAddress per call, so the answers are remembered per IP.
    if (this.listener !== 'relay') return false;
    let trusted = this.#trustedByIp.get(remoteAddress);
    if (trusted === undefined) {
      trusted = isTrustedClient(this.#options.trustedNetworks, remoteAddress);
      if (this.#trustedByIp.size >= TRUST_CACHE_SIZE) this.#trustedByIp.clear();
      this.#trustedByIp.set(remoteAddress, trusted);
    }
    return trusted;
  }

  readonly #trustedByIp = new Map<string, boolean>();

  async authenticate(login: string, password: string, facts: SessionFacts): Promise<AuthResult> {
    const { sending, logger, listener } = this.#options;
    // RFC 4954 §4 and our own rule: never accept a password over a clear channel.
    if (!facts.secure) return { reply: replies.tlsRequired, failed: false };
    try {
      return await sending.authenticate(login, password, facts.remoteAddress, listener);
    } catch (err) {
      logger.error({ err, event: 'auth-error', clientIp: facts.remoteAddress }, 'authentication backend failed');
      return { reply: replies.authTempFailure, failed: false };
    }
  }

  /** SCRAM-SHA-256's client-first message: the server-first to send, or the refusal. */
  scramBegin(clientFirst: string, facts: SessionFacts): { readonly exchange: ScramServer; readonly serverFirst: string } | { readonly reply: SmtpReply; readonly failed: boolean } {
    if (!facts.secure) return { reply: replies.tlsRequired, failed: false };
    const { sending, saslAccounts, listener } = this.#options;
    const exchange = new ScramServer({ fakeSaltKey: saslAccounts.scramFakeSaltKey() });
    const first = exchange.clientFirst(clientFirst);
    if (!first.ok) return { reply: replies.authCancelled, failed: false };
    const blocked = sending.authBlocked(first.username, facts.remoteAddress, listener);
    if (blocked !== undefined && 'reply' in blocked) return blocked;
    // An unknown name gets a made-up salt: the answer must not tell who exists.
    // Only a full address is looked up: the salt of a bare local part would
    // match its address's for a real user but not for an unknown one.
    const credentials = first.username.includes('@') ? saslAccounts.scramCredentials(first.username) : undefined;
    return { exchange, serverFirst: exchange.serverFirst(credentials) };
  }

  /** SCRAM-SHA-256's client-final message: the principal and the server-final message, or the refusal. */
  scramFinish(exchange: ScramServer, clientFinal: string, facts: SessionFacts): ScramFinish {
    const { sending, saslAccounts, listener } = this.#options;
    const { username } = exchange;
    // Again here: proofs sent in parallel sessions after their first
    // messages must not all slip under the per-address limit.
    const blocked = sending.authBlocked(username, facts.remoteAddress, listener);
    if (blocked !== undefined && 'reply' in blocked) return blocked;
    const final = exchange.clientFinal(clientFinal);
    if (!final.ok) {
      if (final.error !== 'invalid-proof') return { reply: replies.authCancelled, failed: false };
      return sending.authFailed(username, facts.remoteAddress, listener, 'bad-credentials') as ScramFinish;
    }
    const principal = saslAccounts.principalFor(final.user);
    if (principal === undefined) return sending.authFailed(username, facts.remoteAddress, listener, 'bad-credentials') as ScramFinish;
    sending.authSucceeded(principal, username, facts.remoteAddress, listener);
    return { principal, serverFinal: final.serverFinal };
  }

  /** A fresh CRAM-MD5 challenge (RFC 2195 §2). */
  cramChallenge(): string {
    return cramChallenge(this.#options.hostname);
  }

  cramFinish(challenge: string, response: string, facts: SessionFacts): AuthResult {
    const { sending, saslAccounts, listener } = this.#options;
    const parsed = parseCramResponse(response);
    if (parsed === undefined) return { reply: replies.authCancelled, failed: false };
    const blocked = sending.authBlocked(parsed.login, facts.remoteAddress, listener);
    if (blocked !== undefined) return blocked;
    const secret = saslAccounts.cramSecret(parsed.login);
    const principal = secret !== undefined && verifyCram(secret.secret, challenge, parsed.digestHex) ? saslAccounts.principalFor(secret.user) : undefined;
    if (principal === undefined) return sending.authFailed(parsed.login, facts.remoteAddress, listener, 'bad-credentials');
    return sending.authSucceeded(principal, parsed.login, facts.remoteAddress, listener);
  }

  checkSender(address: string, facts: SessionFacts): SmtpReply | undefined {
    if (this.listener !== 'relay' && facts.user === undefined) {
      return facts.secure ? replies.authRequired : replies.tlsRequired;
    }
    const senderProblem = address === '' ? undefined : mailboxProblem(address);
    if (senderProblem !== undefined) return replies.badSenderAddress(senderProblem);
    const sender = facts.sender;
    // An untrusted client of the relay listener is refused at RCPT (relay access denied).
    return sender === undefined ? undefined : this.#options.sending.checkMailFrom(address, sender);
  }

  checkRecipient(address: string, mailFrom: string, accepted: number, facts: SessionFacts): SmtpReply | undefined {
    const recipientProblem = mailboxProblem(address);
    if (recipientProblem !== undefined) return replies.badRecipientAddress(recipientProblem);
    if (!mayRelay({ listener: this.listener, authenticatedUser: facts.user, trustedClient: facts.trustedClient })) {
      this.#options.logger.warn(
        {
          event: 'relay-denied',
          listener: this.listener,
          clientIp: facts.remoteAddress,
          helo: facts.helo,
          mailFrom,
          rcptTo: address,
        },
        'relay access denied',
      );
      return this.listener === 'relay' ? replies.relayDenied : replies.authRequired;
    }
    if (accepted >= this.maxRecipients) return replies.tooManyRecipients;
    const sender = facts.sender;
    return sender === undefined ? undefined : this.#options.sending.checkRecipient(address, mailFrom, accepted, sender);
  }

  /** Hands the message to intake; the reply says whether it is stored. */
  async deliverMessage(mailFrom: string, rcptTo: readonly string[], message: Buffer, facts: SessionFacts, params?: EnvelopeParams): Promise<SmtpReply> {
    const sender = facts.sender;
    const { sending, intake } = this.#options;
    try {
      const envelope: Envelope = { mailFrom: normalizeAddress(mailFrom), rcptTo: rcptTo.map(normalizeAddress), params: normalizeParams(params) };
      const id = await intake.accept(
        sender === undefined
          ? { envelope, message, submitter: facts.submitter(), stamp: true }
          : {
              envelope,
              message,
              submitter: facts.submitter(),
              stamp: true,
              check: (headers: SubmittedHeaders) => sending.checkHeaders(headers, sender),
              holdReason: sending.holdReason(sender),
            },
      );
      if (sender !== undefined) sending.recordAccepted(mailFrom, sender);
      return replies.queued(id);
    } catch (err) {
      if (err instanceof SmtpError) {
        this.#options.logger.info({ event: 'refused', clientIp: facts.remoteAddress, user: facts.user, reply: formatReply(err.reply) }, 'message refused');
        return err.reply;
      }
      // Nothing was acknowledged, so nothing is lost: the client retries.
      // A full disk (452 4.3.1) or a dead queue writer is logged by the queue once per episode.
      if (err instanceof QueueWriteError && err.reported) return err.storageFull ? replies.storageFull : replies.localError;
      this.#options.logger.error({ err, event: 'intake-failed', clientIp: facts.remoteAddress }, 'could not queue message');
      return replies.localError;
    }
  }
}

/** RFC 3461/6531 parameters with their recipient keys written as the envelope's (domain lower-cased). */
function normalizeParams(params: EnvelopeParams | undefined): EnvelopeParams | undefined {
  if (params?.recipients === undefined) return params;
  return { ...params, recipients: new Map([...params.recipients].map(([rcpt, p]) => [normalizeAddress(rcpt), p])) };
}
