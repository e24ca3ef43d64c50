// Intake: the one path every message takes into the queue (Postfix's
// cleanup). SMTP submissions, trusted relays, the HTTP API and our own
// bounces all pass here, so every message gets the same canonical line
// endings, headers, DKIM signature and durability guarantee.
import type { Envelope, Submitter } from '../core/envelope.js';
import type { RetrySchedule } from '../core/retry.js';
import { newQueueId } from '../core/queue-id.js';
import type { QueueStore } from '../queue/queue-store.js';
import type { Logger } from '../log/logger.js';
import { isAscii } from 'node:buffer';
import { prepareIntakeMessage, type SubmittedHeaders } from '../message/intake-message.js';
import { cleanMessage } from '../message/hygiene.js';
import { SmtpError, type SmtpReply } from '../core/smtp-reply.js';
import { replies } from '../core/replies.js';
import { domainOf } from '../core/address.js';
import { alignedReturnPath, type ReturnPathDomain } from './return-path.js';
import { withoutBulkMarker } from '../message/bulk-marker.js';

/**
 * Signs a message (DKIM) for its From domain, or returns it unchanged; the
 * domain it signed for, if any. Given the sending domain intake already looked
 * up, so the lookup is made once per message.
 */
export interface MessageSigner<D extends ReturnPathDomain = ReturnPathDomain> {
  sign(message: Buffer, fromDomain: string, domain: D | undefined): Promise<{ message: Buffer; signedFor: string | undefined }>;
}

/** The registered sending domain for a From domain (exact or nearest parent). */
export interface SendingDomains<D extends ReturnPathDomain = ReturnPathDomain> {
  find(fromDomain: string): D | undefined;
}

/** A message durably stored, whatever the way in (the history records it); must not throw nor block. */
export interface AcceptedMessage {
  readonly id: string;
  readonly envelope: Envelope;
  readonly message: Buffer;
  readonly submitter: Submitter;
  readonly held: boolean;
  readonly atMs: number;
}

/** Hands a freshly stored message to the scheduler for an immediate first attempt. */
export type NewMessageListener = (id: string, envelope: Envelope, message: Buffer, eightBit: boolean) => void;

export interface IntakeOptions<D extends ReturnPathDomain = ReturnPathDomain> {
  readonly hostname: string;
  readonly store: QueueStore;
  readonly schedule: RetrySchedule;
  readonly logger: Logger;
  readonly signer: MessageSigner<D> | undefined;
  readonly sendingDomains: SendingDomains<D> | undefined;
  readonly onStored: NewMessageListener;
  /** Every stored message, held ones included (the message history). */
  readonly onAccepted?: ((accepted: AcceptedMessage) => void) | undefined;
  /** More Received fields than this: a mail loop (RFC 5321 §6.3), refused with 554 5.4.6. */
  readonly maxReceivedHeaders: number;
  /** Bulk mail's one-click unsubscribe fields (src/bulk/); without it the marker is only removed. */
  readonly bulk?: BulkRewriter | undefined;
}

/** Adds List-Unsubscribe for the recipient of a bulk message (bulk/bulk-mail.ts); throws SmtpError when it cannot. */
export interface BulkRewriter {
  apply(message: Buffer, sendingDomain: string, rcptTo: readonly string[]): { message: Buffer; link: string | undefined };
}

export interface IntakeRequest {
  readonly envelope: Envelope;
  readonly message: Buffer;
  readonly submitter: Submitter;
  /** False for messages we generated ourselves (DSNs): they already carry Date and Message-ID. */
  readonly stamp: boolean;
  readonly envId?: string | undefined;
  /**
   * The sending policy's look at the header (From/Sender identity): a reply
   * refuses the message (thrown as SmtpError), undefined lets it in.
   */
  readonly check?: (headers: SubmittedHeaders) => SmtpReply | undefined;
  /** Store it held (the compromised-account brake): accepted, kept, not delivered until released. */
  readonly holdReason?: string | undefined;
  /** Bulk mail (the API's flag); `X-Hikyaku-Bulk: yes` in the header says the same. */
  readonly bulk?: boolean | undefined;
}

export class Intake<D extends ReturnPathDomain = ReturnPathDomain> {
  readonly #options: IntakeOptions<D>;

  constructor(options: IntakeOptions<D>) {
    this.#options = options;
  }

  /**
   * Store the message durably; resolves with its queue id once it is on
   * stable storage. Rejects with an SmtpError when the message is refused
   * (a mail loop, or the request's check), with any other error when it could not be stored.
   */
  async accept(request: IntakeRequest): Promise<string> {
    const { hostname, store, schedule, logger, signer, sendingDomains, onStored } = this.#options;
    const nowMs = Date.now();
    const id = newQueueId(nowMs);
    const stamp = request.stamp
      ? { hostname, queueId: id, nowMs, submitter: request.submitter, rcptTo: request.envelope.rcptTo }
      : undefined;
    // Long lines, bare CR and NUL re-encoded before anything reads or signs the
    // message (message/hygiene.ts); a NUL in the header is refused (554 5.6.0).
    const prepared = prepareIntakeMessage(cleanMessage(request.message), stamp);
    if (prepared.headers.receivedCount > this.#options.maxReceivedHeaders) {
      throw new SmtpError(replies.mailLoop(this.#options.maxReceivedHeaders));
    }
    const refused = request.check?.(prepared.headers);
    if (refused !== undefined) throw new SmtpError(refused);
    let message = prepared.message;
    const { fromAddress } = prepared;
    const fromDomain = fromAddress === undefined ? undefined : domainOf(fromAddress);
    let envelope = request.envelope;
    const sending = fromDomain ? sendingDomains?.find(fromDomain) : undefined;
    const mailFrom = alignedReturnPath(envelope.mailFrom, fromAddress, sending);
    if (mailFrom !== envelope.mailFrom) {
      logger.info({ event: 'return-path', queueId: id, from: envelope.mailFrom, to: mailFrom }, 'envelope sender set to the From domain for DMARC alignment');
      envelope = { ...envelope, mailFrom };
    }
    let unsubscribe: string | undefined;
    if (request.bulk === true || prepared.headers.bulkMarked) {
      ({ message, unsubscribe } = this.#bulkMail(message, envelope, sending?.name));
    }
    let signedFor: string | undefined;
    if (signer && fromDomain) {
      ({ message, signedFor } = await signer.sign(message, fromDomain, sending));
    }
    // Scanned once here, stored with the message: delivery reads the flag
    // (BODY=8BITMIME, or the 7-bit downgrade) instead of scanning at every attempt.
    const eightBit = !isAscii(message);
    await store.enqueue({
      id,
      envelope,
      message,
      eightBit,
      // The first attempt is made at once from memory; should the process die
      // during it, the stored retry time keeps a restart from hammering.
      firstRetryAtMs: nowMs + schedule.initialDelayMs,
      envId: request.envId ?? envelope.params?.envId,
      holdReason: request.holdReason,
    });
    const { submitter } = request;
    logger.info(
      {
        event: 'accepted',
        queueId: id,
        via: submitter.via,
        clientIp: submitter.clientIp,
        user: submitter.user,
        ...(submitter.credential === undefined ? {} : { credential: submitter.credential }),
        mailFrom: envelope.mailFrom,
        rcptTo: envelope.rcptTo,
        size: message.length,
        dkim: signedFor ?? 'none',
        ...(unsubscribe === undefined ? {} : { listUnsubscribe: true }),
        ...(request.holdReason === undefined ? {} : { held: request.holdReason }),
      },
      'message accepted',
    );
    this.#options.onAccepted?.({ id, envelope, message, submitter, held: request.holdReason !== undefined, atMs: nowMs });
    if (request.holdReason === undefined) onStored(id, envelope, message, eightBit);
    return id;
  }

  /** Before signing, so that the added fields are signed. The marker goes even when nothing is added. */
  #bulkMail(message: Buffer, envelope: Envelope, sendingDomain: string | undefined): { message: Buffer; unsubscribe: string | undefined } {
    const domain = sendingDomain ?? (envelope.mailFrom === '' ? undefined : domainOf(envelope.mailFrom));
    const bulk = this.#options.bulk;
    if (bulk === undefined || domain === undefined) return { message: withoutBulkMarker(message), unsubscribe: undefined };
    const result = bulk.apply(message, domain, envelope.rcptTo);
    return { message: result.message, unsubscribe: result.link };
  }
}
