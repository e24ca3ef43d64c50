// Everything intake does to a message's bytes before DKIM signing, with one
// walk over the header block: canonical CRLF line endings (canonical.ts),
// the submission stamp (submission-headers.ts) and the From address
// (from-address.ts). The same result as calling those three in turn, which
// walks the header block twice more.
import { toCrlf } from './canonical.js';
import { scannedFromAddress } from './from-address.js';
import { scanHeader } from './header-block.js';
import { stampScannedMessage, type SubmissionStamp } from './submission-headers.js';

export interface IntakeMessage {
  /** CRLF-canonical, with the stamp's fields when a stamp was given. */
  readonly message: Buffer;
  /** The first address of the From field, as headerFromAddress gives it. */
  readonly fromAddress: string | undefined;
}

/**
 * `toCrlf`, then `stampSubmittedMessage` when `stamp` is given (not for the
 * messages we generate ourselves), then `headerFromAddress` of the result.
 * The From address is read from the message before stamping: the stamp adds
 * only Received, Date and Message-ID, never a From field.
 */
export function prepareIntakeMessage(raw: Buffer, stamp: SubmissionStamp | undefined): IntakeMessage {
  const message = toCrlf(raw);
  const scan = scanHeader(message);
  const fromAddress = scannedFromAddress(message, scan);
  return { message: stamp === undefined ? message : stampScannedMessage(message, scan, stamp), fromAddress };
}
