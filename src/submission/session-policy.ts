// The policy side of an SMTP session (smtp-session.ts does the protocol
// side): who may authenticate, who may send and relay, and handing the
// message to intake. Each decision is a reply, or undefined for "go on".
import type { BlockList } from 'node:net';
import type { Submitter } from '../core/envelope.js';
import { normalizeAddress } from '../core/address.js';
import { mailboxProblem } from '../core/mailbox.js';
import type { SmtpReply } from '../core/smtp-reply.js';
import { replies } from '../core/replies.js';
import type { Intake } from '../intake/intake.js';
import type { Logger } from '../log/logger.js';
import { isTrustedClient, mayRelay, type ListenerKind } from './relay-policy.js';

export interface Authenticator {
  /** The canonical address of the user, or undefined when the credentials are wrong. */
  authenticate(login: string, password: string): Promise<string | undefined>;
}

/** What the policy needs to know of a session. */
export interface SessionFacts {
  readonly remoteAddress: string;
  readonly secure: boolean;
  readonly trustedClient: boolean;
  readonly helo: string;
  readonly user: string | undefined;
  readonly submitter: () => Submitter;
}

export interface SessionPolicyOptions {
  readonly listener: ListenerKind;
  readonly trustedNetworks: BlockList;
  readonly maxRecipients: number;
  readonly authenticator: Authenticator;
  readonly intake: Intake;
  readonly logger: Logger;
}

// Bounded: a scan from many addresses must not grow it without limit.
const TRUST_CACHE_SIZE = 4096;

export type AuthResult = { readonly user: string } | { readonly reply: SmtpReply };

export class SessionPolicy {
  readonly listener: ListenerKind;
  readonly maxRecipients: number;
  readonly #options: SessionPolicyOptions;

  constructor(options: SessionPolicyOptions) {
    this.#options = options;
    this.listener = options.listener;
    this.maxRecipients = options.maxRecipients;
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
    const { authenticator, logger, listener } = this.#options;
    // RFC 4954 §4 and our own rule: never accept a password over a clear channel.
    if (!facts.secure) return { reply: replies.tlsRequired };
    try {
      const user = await authenticator.authenticate(login, password);
      if (user === undefined) {
        logger.warn({ event: 'auth-failed', clientIp: facts.remoteAddress, login, listener }, 'authentication failed');
        return { reply: replies.authFailed };
      }
      logger.info({ event: 'auth', clientIp: facts.remoteAddress, user, listener }, 'authenticated');
      return { user };
    } catch (err) {
      logger.error({ err, event: 'auth-error', clientIp: facts.remoteAddress }, 'authentication backend failed');
      return { reply: replies.authTempFailure };
    }
  }

  checkSender(address: string, facts: SessionFacts): SmtpReply | undefined {
    if (this.listener !== 'relay' && facts.user === undefined) {
      return facts.secure ? replies.authRequired : replies.tlsRequired;
    }
    const senderProblem = address === '' ? undefined : mailboxProblem(address);
    if (senderProblem !== undefined) return replies.badSenderAddress(senderProblem);
    return undefined;
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
    return undefined;
  }

  /** Hands the message to intake; the reply says whether it is stored. */
  async deliverMessage(mailFrom: string, rcptTo: readonly string[], message: Buffer, facts: SessionFacts): Promise<SmtpReply> {
    try {
      const id = await this.#options.intake.accept({
        envelope: { mailFrom: normalizeAddress(mailFrom), rcptTo: rcptTo.map(normalizeAddress) },
        message,
        submitter: facts.submitter(),
        stamp: true,
      });
      return replies.queued(id);
    } catch (err) {
      // Nothing was acknowledged, so nothing is lost: the client retries.
      this.#options.logger.error({ err, event: 'intake-failed', clientIp: facts.remoteAddress }, 'could not queue message');
      return replies.localError;
    }
  }
}
