// Every reply Hikyaku sends to an SMTP client, in one table, so the codes
// and enhanced codes can be reviewed in one sitting.
import { smtpReply, type SmtpReply } from './smtp-reply.js';

export const replies = {
  // RFC 4954 §6: authentication is required before MAIL on the submission port.
  authRequired: smtpReply(530, '5.7.0', 'Authentication required'),
  // RFC 3207 §4: commands other than EHLO/STARTTLS/QUIT/NOOP/RSET before TLS.
  tlsRequired: smtpReply(530, '5.7.0', 'Must issue a STARTTLS command first'),
  authSucceeded: smtpReply(235, '2.7.0', 'Authentication successful'),
  authFailed: smtpReply(535, '5.7.8', 'Authentication credentials invalid'),
  authTooWeak: smtpReply(538, '5.7.11', 'Encryption required for requested authentication mechanism'),
  authTempFailure: smtpReply(454, '4.7.0', 'Temporary authentication failure'),
  relayDenied: smtpReply(554, '5.7.1', 'Relay access denied'),
  senderNotAllowed: smtpReply(553, '5.7.1', 'Sender address not allowed for this user'),
  badSenderSyntax: smtpReply(553, '5.1.7', 'Bad sender address syntax'),
  badRecipientSyntax: smtpReply(553, '5.1.3', 'Bad recipient address syntax'),
  tooManyRecipients: smtpReply(452, '4.5.3', 'Too many recipients'),
  messageTooBig: smtpReply(552, '5.3.4', 'Message size exceeds fixed maximum message size'),
  queued: (id: string): SmtpReply => smtpReply(250, '2.0.0', `Ok: queued as ${id}`),
  localError: smtpReply(451, '4.3.0', 'Local error in processing, try again later'),
  shuttingDown: smtpReply(421, '4.3.2', 'Service shutting down, closing transmission channel'),
  storageFull: smtpReply(452, '4.3.1', 'Insufficient system storage'),
  // RFC 5321 §2.3.8 / SMTP smuggling defence: bare LF or CR in the data.
  bareLineEnding: smtpReply(554, '5.6.11', 'Bare CR or LF in message data is not allowed'),
} as const;
