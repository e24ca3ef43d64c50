// The policy side of an SMTP session (smtp-server does the protocol side):
// who may authenticate, who may relay, and handing the DATA to intake.
import type { BlockList } from 'node:net';
import type {
  SMTPServerAddress,
  SMTPServerAuthentication,
  SMTPServerAuthenticationResponse,
  SMTPServerDataStream,
  SMTPServerSession,
} from 'smtp-server';
import type { Submitter } from '../core/envelope.js';
import { isRoutableAddress, normalizeAddress } from '../core/address.js';
import { formatReply } from '../core/smtp-reply.js';
import { replies } from '../core/replies.js';
import type { Intake } from '../intake/intake.js';
import type { Logger } from '../log/logger.js';
import { isTrustedClient, mayRelay, type ListenerKind } from './relay-policy.js';
import { replyError } from './smtp-server-replies.js';

export interface Authenticator {
  /** The canonical address of the user, or undefined when the credentials are wrong. */
  authenticate(login: string, password: string): Promise<string | undefined>;
}

export interface SessionPolicyOptions {
  readonly listener: ListenerKind;
  readonly trustedNetworks: BlockList;
  readonly maxRecipients: number;
  readonly authenticator: Authenticator;
  readonly intake: Intake;
  readonly logger: Logger;
}

type Done = (err?: Error | null) => void;

export function sessionHandlers(options: SessionPolicyOptions) {
  const { listener, trustedNetworks, maxRecipients, authenticator, intake, logger } = options;
  const userOf = (session: SMTPServerSession): string | undefined =>
    typeof session.user === 'string' ? session.user : undefined;

  return {
    onAuth(
      auth: SMTPServerAuthentication,
      session: SMTPServerSession,
      callback: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
    ): void {
      // RFC 4954 §4 and our own rule: never accept a password over a clear channel.
      if (!session.secure) return callback(replyError(replies.tlsRequired));
      if (auth.method !== 'PLAIN' && auth.method !== 'LOGIN') return callback(replyError(replies.authFailed));
      authenticator.authenticate(auth.username ?? '', auth.password ?? '').then(
        (user) => {
          if (user === undefined) {
            logger.warn({ event: 'auth-failed', clientIp: session.remoteAddress, login: auth.username, listener }, 'authentication failed');
            return callback(replyError(replies.authFailed));
          }
          logger.info({ event: 'auth', clientIp: session.remoteAddress, user, listener }, 'authenticated');
          callback(null, { user });
        },
        (err: unknown) => {
          logger.error({ err, event: 'auth-error', clientIp: session.remoteAddress }, 'authentication backend failed');
          callback(replyError(replies.authTempFailure));
        },
      );
    },

    onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, callback: Done): void {
      if (listener !== 'relay' && userOf(session) === undefined) {
        return callback(replyError(session.secure ? replies.authRequired : replies.tlsRequired));
      }
      if (address.address !== '' && !isRoutableAddress(address.address)) {
        return callback(replyError(replies.badSenderSyntax));
      }
      callback();
    },

    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback: Done): void {
      if (!isRoutableAddress(address.address)) return callback(replyError(replies.badRecipientSyntax));
      const user = userOf(session);
      const trustedClient = isTrustedClient(trustedNetworks, session.remoteAddress);
      if (!mayRelay({ listener, authenticatedUser: user, trustedClient })) {
        logger.warn(
          {
            event: 'relay-denied',
            listener,
            clientIp: session.remoteAddress,
            helo: session.hostNameAppearsAs,
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            rcptTo: address.address,
          },
          'relay access denied',
        );
        return callback(replyError(listener === 'relay' ? replies.relayDenied : replies.authRequired));
      }
      if (session.envelope.rcptTo.length >= maxRecipients) return callback(replyError(replies.tooManyRecipients));
      callback();
    },

    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err: Error | null, message?: string) => void): void {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        // Past the limit, keep reading (the client must finish DATA) but stop keeping.
        if (!stream.sizeExceeded) {
          chunks.push(chunk);
          size += chunk.length;
        }
      });
      stream.once('error', (err) => {
        logger.warn({ err, clientIp: session.remoteAddress }, 'DATA stream failed');
        callback(replyError(replies.localError));
      });
      stream.once('end', () => {
        if (stream.sizeExceeded) return callback(replyError(replies.messageTooBig));
        const mailFrom = session.envelope.mailFrom ? normalizeAddress(session.envelope.mailFrom.address) : '';
        const rcptTo = session.envelope.rcptTo.map((r) => normalizeAddress(r.address));
        intake
          .accept({
            envelope: { mailFrom, rcptTo },
            message: Buffer.concat(chunks, size),
            submitter: submitterOf(session, listener),
            stamp: true,
            envId: session.envelope.dsn?.envid ?? undefined,
          })
          .then(
            (id) => callback(null, formatReply(replies.queued(id))),
            (err: unknown) => {
              // Nothing was acknowledged, so nothing is lost: the client retries.
              logger.error({ err, event: 'intake-failed', clientIp: session.remoteAddress }, 'could not queue message');
              callback(replyError(replies.localError));
            },
          );
      });
    },
  };
}

function submitterOf(session: SMTPServerSession, listener: ListenerKind): Submitter {
  const tls = session.tlsOptions ? { version: session.tlsOptions.version, cipher: session.tlsOptions.name } : undefined;
  return {
    clientIp: session.remoteAddress,
    clientHostname: session.clientHostname,
    helo: session.hostNameAppearsAs,
    user: typeof session.user === 'string' ? session.user : undefined,
    protocol: session.transmissionType,
    tls,
    via: listener,
  };
}
