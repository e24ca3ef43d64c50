// What intake does to a message marked bulk: the one-click unsubscribe
// link for its recipient (list-unsubscribe.ts), made from the configured
// public URL and a signed token (unsubscribe-token.ts). The link names one
// recipient, so a bulk message has exactly one: newsletters are sent one
// message per recipient (the API's batch call takes 500 at a time).
import { SmtpError, smtpReply } from '../core/smtp-reply.js';
import { withoutBulkMarker } from '../message/bulk-marker.js';
import { addListUnsubscribe } from './list-unsubscribe.js';
import type { UnsubscribeTokens } from './unsubscribe-token.js';

export const UNSUBSCRIBE_PATH = '/unsubscribe/';

export const ONE_RECIPIENT_ONLY = smtpReply(
  550,
  '5.5.3',
  'A bulk message gets a one-click unsubscribe link for its recipient, so it must have exactly one recipient; send one message per recipient',
);

export interface BulkResult {
  readonly message: Buffer;
  /** The link added, if one was (none without bulk.unsubscribeUrl, or when the message had its own List-Unsubscribe). */
  readonly link: string | undefined;
}

export class BulkMail {
  readonly #baseUrl: string | undefined;
  readonly #tokens: UnsubscribeTokens;

  /** `baseUrl`: bulk.unsubscribeUrl (https, no trailing slash), or undefined. */
  constructor(baseUrl: string | undefined, tokens: UnsubscribeTokens) {
    this.#baseUrl = baseUrl;
    this.#tokens = tokens;
  }

  /** The unsubscribe link of one recipient of a sending domain; undefined when no public URL is configured. */
  link(sendingDomain: string, recipient: string): string | undefined {
    if (this.#baseUrl === undefined) return undefined;
    return `${this.#baseUrl}${UNSUBSCRIBE_PATH}${this.#tokens.create({ sendingDomain: sendingDomain.toLowerCase(), recipient })}`;
  }

  /**
   * The message as it is to be signed and queued. Throws SmtpError (550
   * 5.5.3) for more than one recipient: one link cannot name them all.
   */
  apply(message: Buffer, sendingDomain: string, rcptTo: readonly string[]): BulkResult {
    if (rcptTo.length !== 1) throw new SmtpError(ONE_RECIPIENT_ONLY);
    const link = this.link(sendingDomain, rcptTo[0] as string);
    if (link === undefined) return { message: withoutBulkMarker(message), link: undefined };
    const rewritten = addListUnsubscribe(message, link);
    return { message: rewritten.message, link: rewritten.added ? link : undefined };
  }
}
