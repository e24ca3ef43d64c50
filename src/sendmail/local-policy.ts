// The sendmail adapter of the sending policy, as submission/session-policy.ts
// is the SMTP one and api/messages-api.ts the HTTP one: the same calls in the
// same order (address syntax by the one parser, checkMailFrom, checkRecipient
// per recipient, then intake with checkHeaders and holdReason, then
// recordAccepted), for the messages of the local socket and of the maildrop.
//
// Who sends: a local Unix user, admitted by the permissions of the socket
// and of the maildrop directory. It is treated as a trusted client of the
// port-25 listener on 127.0.0.1 (Sender kind 'trusted'), so the one setting
// `listeners.relay.maySendAs` says what both may put in MAIL FROM and From:
// PHP's mail() through sendmail and through smtp://localhost:25 get the same
// answer, and an admin has one rule to read, not two that could disagree.
import { normalizeAddress } from '../core/address.js';
import type { Submitter } from '../core/envelope.js';
import { mailboxKey, mailboxProblem } from '../core/mailbox.js';
import { replies } from '../core/replies.js';
import { formatReply, SmtpError, smtpReply, type SmtpReply } from '../core/smtp-reply.js';
import type { Intake } from '../intake/intake.js';
import type { Logger } from '../log/logger.js';
import type { SubmittedHeaders } from '../message/intake-message.js';
import type { SendingPolicy } from '../policy/sending-policy.js';
import type { Sender } from '../policy/sender.js';
import { QueueWriteError } from '../queue/sqlite-queue-store.js';
import type { SendmailEnvelope } from './frame.js';

const NO_RECIPIENTS = smtpReply(554, '5.5.1', 'No recipients: give them as arguments, or use -t to read To, Cc and Bcc');

export interface LocalSubmissionOptions {
  readonly sending: SendingPolicy;
  readonly intake: Intake;
  readonly logger: Logger;
  readonly hostname: string;
  readonly maxMessageBytes: number;
  readonly maxRecipients: number;
}

export interface RefusedRecipient {
  readonly rcptTo: string;
  readonly reply: SmtpReply;
}

/** `reply`: 250 once stored; else the refusal. `refused`: recipients left out of a stored message. */
export interface LocalAnswer {
  readonly reply: SmtpReply;
  readonly refused: readonly RefusedRecipient[];
  readonly queueId?: string;
}

/** 'socket' or 'maildrop': how the message came, for the logs and Received. */
export type LocalVia = 'sendmail' | 'maildrop';

export class LocalSubmission {
  readonly #o: LocalSubmissionOptions;

  constructor(options: LocalSubmissionOptions) {
    this.#o = options;
  }

  async submit(envelope: SendmailEnvelope, message: Buffer, via: LocalVia): Promise<LocalAnswer> {
    const { sending, intake, logger } = this.#o;
    const sender: Sender = { kind: 'trusted', clientIp: '127.0.0.1' };
    const none: readonly RefusedRecipient[] = [];
    if (message.length > this.#o.maxMessageBytes) return { reply: replies.messageTooBig, refused: none };
    const mailFrom = envelope.mailFrom;
    const senderProblem = mailFrom === '' ? undefined : mailboxProblem(mailFrom);
    if (senderProblem !== undefined) return { reply: replies.badSenderAddress(senderProblem), refused: none };
    const refusedSender = sending.checkMailFrom(mailFrom, sender);
    if (refusedSender !== undefined) return { reply: refusedSender, refused: none };
    const accepted: string[] = [];
    const seen = new Set<string>();
    const refused: RefusedRecipient[] = [];
    for (const rcptTo of envelope.rcptTo) {
      const problem = mailboxProblem(rcptTo);
      if (problem !== undefined) {
        refused.push({ rcptTo, reply: replies.badRecipientAddress(problem) });
        continue;
      }
      const key = mailboxKey(rcptTo);
      if (seen.has(key)) continue;
      if (accepted.length >= this.#o.maxRecipients) return { reply: replies.tooManyRecipients, refused: none };
      const answer = sending.checkRecipient(rcptTo, mailFrom, accepted.length, sender);
      if (answer === undefined) {
        seen.add(key);
        accepted.push(rcptTo);
      } else if (answer.code >= 500) {
        refused.push({ rcptTo, reply: answer });
      } else {
        return { reply: answer, refused: none };
      }
    }
    if (accepted.length === 0) return { reply: refused[0]?.reply ?? NO_RECIPIENTS, refused };
    const submitter: Submitter = { clientIp: '127.0.0.1', clientHostname: 'localhost', helo: 'localhost', user: undefined, protocol: 'LOCAL', tls: undefined, via };
    try {
      const queueId = await intake.accept({
        envelope: { mailFrom: normalizeAddress(mailFrom), rcptTo: accepted.map(normalizeAddress) },
        message,
        submitter,
        stamp: true,
        check: (headers: SubmittedHeaders) => sending.checkHeaders(headers, sender),
        holdReason: sending.holdReason(sender),
      });
      sending.recordAccepted(mailFrom, sender);
      logger.info({ event: 'sendmail', via, queueId, localUser: envelope.localUser, refused: refused.map((r) => r.rcptTo) }, 'local message queued');
      return { reply: replies.queued(queueId), refused, queueId };
    } catch (err) {
      if (err instanceof SmtpError) {
        logger.info({ event: 'refused', via, localUser: envelope.localUser, reply: formatReply(err.reply) }, 'message refused');
        return { reply: err.reply, refused: none };
      }
      if (err instanceof QueueWriteError && err.reported) return { reply: err.storageFull ? replies.storageFull : replies.localError, refused: none };
      logger.error({ err, event: 'intake-failed', via, localUser: envelope.localUser }, 'could not queue message');
      return { reply: replies.localError, refused: none };
    }
  }
}
