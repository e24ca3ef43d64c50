// Every reply Hikyaku sends to an SMTP client, in one table, so the codes
// and enhanced codes (RFC 3463, RFC 5248 registry) can be reviewed in one
// sitting.
import { smtpReply, type SmtpReply } from './smtp-reply.js';

/** How a suppression entry made by an unsubscribe link begins its reason (bulk/unsubscribe-routes.ts). */
export const UNSUBSCRIBED_REASON = 'unsubscribed';

export const replies = {
  // --- session (RFC 5321 §4.2, §4.3.2) ---
  greeting: (hostname: string): SmtpReply => smtpReply(220, undefined, `${hostname} ESMTP Hikyaku`),
  helo: (hostname: string, clientName: string): SmtpReply => smtpReply(250, undefined, `${hostname} Hello ${clientName}`),
  ok: smtpReply(250, '2.0.0', 'Ok'),
  senderOk: smtpReply(250, '2.1.0', 'Sender ok'),
  recipientOk: smtpReply(250, '2.1.5', 'Recipient ok'),
  startData: smtpReply(354, undefined, 'End data with <CR><LF>.<CR><LF>'),
  readyToStartTls: smtpReply(220, '2.0.0', 'Ready to start TLS'),
  bye: smtpReply(221, '2.0.0', 'Bye'),
  help: smtpReply(214, '2.0.0', 'Hikyaku: see https://www.rfc-editor.org/rfc/rfc5321'),
  // --- protocol errors (RFC 5321 §4.2.2, RFC 3463 §3.6) ---
  unknownCommand: smtpReply(500, '5.5.2', 'Command not recognized'),
  lineTooLong: smtpReply(500, '5.5.2', 'Line too long'),
  // RFC 5321 §4.5.3.1.4: a command line is at most 512 octets (MAIL/RCPT
  // parameters may add their extension allowance; AUTH lines up to 12,288).
  commandTooLong: smtpReply(500, '5.5.2', 'Command line too long (at most 512 octets)'),
  // RFC 5321 §2.3.8: CR and LF only as the CRLF pair; NUL never.
  badCharacterInCommand: smtpReply(501, '5.5.2', 'Command contains NUL, bare CR or bare LF'),
  // The whole command line (or DATA) must arrive within the deadline: Postfix's smtpd_per_request_deadline.
  commandDeadline: smtpReply(421, '4.4.2', 'Command or data took too long to arrive, closing connection'),
  // RFC 4954 §4: a line of the AUTH exchange too long; the exchange fails.
  authLineTooLong: smtpReply(500, '5.5.6', 'Authentication exchange line is too long'),
  notImplemented: smtpReply(502, '5.5.1', 'Command not implemented'),
  vrfyDisabled: smtpReply(502, '5.5.1', 'VRFY command is disabled'),
  heloSyntax: smtpReply(501, '5.5.4', 'Syntax: EHLO hostname'),
  noArguments: smtpReply(501, '5.5.4', 'Syntax error: no arguments allowed'),
  mailSyntax: smtpReply(501, '5.5.4', 'Syntax: MAIL FROM:<address>'),
  rcptSyntax: smtpReply(501, '5.5.4', 'Syntax: RCPT TO:<address>'),
  unsupportedParameter: smtpReply(555, '5.5.4', 'Unsupported MAIL/RCPT parameter'),
  badBodyType: smtpReply(501, '5.5.4', 'BODY must be 7BIT or 8BITMIME'),
  // RFC 3461 §4: RET, ENVID, NOTIFY, ORCPT; RFC 3463 X.5.4 "invalid command arguments".
  badDsnParameter: (name: string, problem: string): SmtpReply => smtpReply(501, '5.5.4', `Bad ${name} parameter: ${problem}`),
  repeatedParameter: (name: string): SmtpReply => smtpReply(501, '5.5.4', `Parameter ${name} given twice`),
  sendHeloFirst: smtpReply(503, '5.5.1', 'Send HELO/EHLO first'),
  nestedMail: smtpReply(503, '5.5.1', 'Sender already specified'),
  needMail: smtpReply(503, '5.5.1', 'Need MAIL command'),
  needRcpt: smtpReply(503, '5.5.1', 'Need RCPT command'),
  tlsAlreadyActive: smtpReply(503, '5.5.1', 'TLS already active'),
  tooManyErrors: smtpReply(421, '4.7.0', 'Too many errors, closing connection'),
  timeout: smtpReply(421, '4.4.2', 'Timeout exceeded, closing connection'),
  tooManyConnections: smtpReply(421, '4.7.0', 'Too many connections, try again later'),
  tooManyConnectionsFromClient: smtpReply(421, '4.7.0', 'Too many connections from your address, try again later'),
  connectionRateFromClient: smtpReply(421, '4.7.0', 'Too many new connections from your address this minute, try again later'),
  // RFC 6531 §3.5: a UTF-8 address needs the SMTPUTF8 parameter.
  utf8AddressNeedsSmtputf8: smtpReply(553, '5.6.7', 'Non-ASCII address requires the SMTPUTF8 parameter'),
  // RFC 8689 §4.1: REQUIRETLS only in a session protected by TLS; X.7.10 "REQUIRETLS needed".
  requireTlsNeedsTls: smtpReply(530, '5.7.10', 'REQUIRETLS is only accepted over TLS: issue STARTTLS first'),
  badRequireTls: smtpReply(501, '5.5.4', 'REQUIRETLS takes no value'),
  // --- authentication (RFC 4954) ---
  // RFC 4954 §6: authentication is required before MAIL on the submission port.
  authRequired: smtpReply(530, '5.7.0', 'Authentication required'),
  // RFC 3207 §4: commands other than EHLO/STARTTLS/QUIT/NOOP/RSET before TLS.
  tlsRequired: smtpReply(530, '5.7.0', 'Must issue a STARTTLS command first'),
  authSucceeded: smtpReply(235, '2.7.0', 'Authentication successful'),
  authFailed: smtpReply(535, '5.7.8', 'Authentication credentials invalid'),
  authTempFailure: smtpReply(454, '4.7.0', 'Temporary authentication failure'),
  authCancelled: smtpReply(501, '5.7.0', 'Authentication cancelled'),
  authBadBase64: smtpReply(501, '5.5.2', 'Cannot decode response (not base64)'),
  authMechanismUnknown: smtpReply(504, '5.5.4', 'Unrecognized authentication mechanism'),
  alreadyAuthenticated: smtpReply(503, '5.5.1', 'Already authenticated'),
  authDuringTransaction: smtpReply(503, '5.5.1', 'AUTH not allowed during a mail transaction'),
  authChallenge: (text: string): SmtpReply => smtpReply(334, undefined, text),
  // Brute-force protection: the same words whether or not the name exists.
  authBlocked: smtpReply(454, '4.7.0', 'Too many failed authentication attempts, try again later'),
  authTooManyFailures: smtpReply(421, '4.7.0', 'Too many failed authentication attempts, closing connection'),
  // --- policy ---
  relayDenied: smtpReply(554, '5.7.1', 'Relay access denied'),
  senderNotAllowed: (address: string, credential: string): SmtpReply =>
    smtpReply(553, '5.7.1', `Sender address <${address}> is not allowed for ${credential}`),
  // After DATA (RFC 5321 §4.2.5: 550 for a refused message).
  headerSenderNotAllowed: (field: string, address: string, credential: string): SmtpReply =>
    smtpReply(550, '5.7.1', `${field}: address <${address}> is not allowed for ${credential}`),
  // Malformed paths, naming what is wrong (issue: one address parser).
  headerFromMissing: smtpReply(550, '5.7.1', 'Message has no From: header; add one with an address of a registered sending domain'),
  badSenderAddress: (problem: string): SmtpReply => smtpReply(501, '5.1.7', `Bad sender address syntax: ${problem}`),
  badRecipientAddress: (problem: string): SmtpReply => smtpReply(501, '5.1.3', `Bad recipient address syntax: ${problem}`),
  tooManyRecipients: smtpReply(452, '4.5.3', 'Too many recipients'),
  // Quotas (RFC 3463 §3.8: 4.7.1 "delivery not authorized" used for policy rate limits, as Postfix and Gmail do).
  rateLimited: (what: string, resetsAt: string): SmtpReply =>
    smtpReply(450, '4.7.1', `Sending limit reached: ${what}; it resets at ${resetsAt}`),
  recipientQuota: (limit: number, what: string): SmtpReply =>
    smtpReply(452, '4.5.3', `Too many recipients: at most ${limit} per message for ${what}`),
  suppressed: (address: string, reason = ''): SmtpReply =>
    reason.startsWith(UNSUBSCRIBED_REASON)
      ? // 5.7.1: the recipient's own choice, not a dead address.
        smtpReply(550, '5.7.1', `<${address}> unsubscribed from this sender's mail (one-click link); mail it again only with the recipient's new consent: hikyaku suppression remove ${address}`)
      : smtpReply(550, '5.1.1', `<${address}> is on the suppression list (it hard-bounced earlier); remove it with: hikyaku suppression remove ${address}`),
  // RFC 5321 §6.3: too many Received fields means a mail loop.
  mailLoop: (limit: number): SmtpReply => smtpReply(554, '5.4.6', `Too many Received headers (over ${limit}): mail loop detected`),
  messageTooBig: smtpReply(552, '5.3.4', 'Message size exceeds fixed maximum message size'),
  // --- the message ---
  queued: (id: string): SmtpReply => smtpReply(250, '2.0.0', `Ok: queued as ${id}`),
  localError: smtpReply(451, '4.3.0', 'Local error in processing, try again later'),
  shuttingDown: smtpReply(421, '4.3.2', 'Service shutting down, closing transmission channel'),
  storageFull: smtpReply(452, '4.3.1', 'Insufficient system storage'),
  // --- CHUNKING (RFC 3030) ---
  chunkReceived: (octets: number): SmtpReply => smtpReply(250, '2.0.0', `${octets} octets received`),
  bdatSyntax: smtpReply(501, '5.5.4', 'Syntax: BDAT <size> [LAST]'),
  // Without a size the end of the chunk cannot be found: what follows cannot be read as commands.
  bdatLostSync: smtpReply(421, '4.5.0', 'Cannot find the end of the BDAT chunk, closing connection'),
  dataAfterBdat: smtpReply(503, '5.5.1', 'DATA not allowed after BDAT in the same transaction'),
} as const;
