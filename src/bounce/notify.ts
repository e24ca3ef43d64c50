// Turning final failures and long delays into DSNs for the envelope sender.
// Bounces re-enter through intake with the null reverse-path, so they get
// the same signing and durability as any message.
import { notifies } from '../core/envelope.js';
import type { DeliveryFailure, RelayInfo, RemoteReply } from '../core/outcome.js';
import type { Intake } from '../intake/intake.js';
import type { Logger } from '../log/logger.js';
import type { QueueStore, StoredMessage } from '../queue/queue-store.js';
import { buildDsn, type DsnKind, type DsnRecipient } from './dsn.js';

export interface FailedRecipient {
  readonly rcptTo: string;
  readonly kind: 'bounced' | 'expired';
  readonly failure: DeliveryFailure;
}

export interface DeferredRecipient {
  readonly rcptTo: string;
  readonly failure: DeliveryFailure;
}

export interface RelayedRecipient {
  readonly rcptTo: string;
  readonly relay: RelayInfo;
  readonly remoteReply: RemoteReply;
}

export interface BounceNotifierOptions {
  readonly hostname: string;
  readonly intake: Intake;
  readonly store: QueueStore;
  readonly logger: Logger;
  readonly maxLifetimeMs: number;
}

export interface BounceNotifier {
  onFailed(message: StoredMessage, failed: readonly FailedRecipient[]): Promise<void>;
  onDelayed(message: StoredMessage, deferred: readonly DeferredRecipient[]): Promise<void>;
  /** RFC 3461 NOTIFY=SUCCESS, handed to a next hop without DSN: Action: relayed. */
  onRelayed(message: StoredMessage, relayed: readonly RelayedRecipient[]): Promise<void>;
}

const NOTIFY_KEYWORD: Readonly<Record<DsnKind, 'SUCCESS' | 'FAILURE' | 'DELAY'>> = { failure: 'FAILURE', delay: 'DELAY', success: 'SUCCESS' };
const LOG_EVENT: Readonly<Record<DsnKind, string>> = { failure: 'bounce', delay: 'delay-notice', success: 'success-notice' };

export function createBounceNotifier(options: BounceNotifierOptions): BounceNotifier {
  const { hostname, intake, store, logger } = options;

  async function send(message: StoredMessage, kind: DsnKind, all: DsnRecipient[]): Promise<void> {
    // RFC 5321 §6.1 / RFC 3464 §2: never send a DSN about a DSN (null reverse-path).
    if (message.mailFrom === '') return;
    // RFC 3461 §4.1: only the recipients whose NOTIFY asks for this kind (no NOTIFY: FAILURE,DELAY);
    // ORCPT becomes Original-Recipient (RFC 3464 §2.3.1).
    const stored = new Map(message.recipients.map((r) => [r.rcptTo, r]));
    const recipients = all
      .filter((r) => notifies(stored.get(r.rcptTo)?.notify, NOTIFY_KEYWORD[kind]))
      .map((r) => ({ ...r, originalRecipient: stored.get(r.rcptTo)?.orcpt }));
    if (recipients.length === 0) return;
    const original = (await store.readMessage(message.id)) ?? Buffer.from(`Message-ID: <unavailable@${hostname}>\r\n\r\n`);
    const nowMs = Date.now();
    const dsn = buildDsn({
      kind,
      reportingMta: hostname,
      queueId: message.id,
      envId: message.envId,
      // RFC 8689 §5: a REQUIRETLS message's content is not returned in the clear: headers only.
      ret: message.requireTls === true ? 'HDRS' : message.ret,
      arrivalDateMs: message.createdAtMs,
      originalMailFrom: message.mailFrom,
      originalMessage: original,
      recipients,
      nowMs,
    });
    const id = await intake.accept({
      // RFC 8689 §5: the report about a REQUIRETLS message goes back under REQUIRETLS too.
      envelope: message.requireTls === true ? { ...dsn.envelope, params: { ...dsn.envelope.params, requireTls: true } } : dsn.envelope,
      message: dsn.message,
      submitter: {
        clientIp: '127.0.0.1',
        clientHostname: 'localhost',
        helo: hostname,
        user: undefined,
        protocol: 'local',
        tls: undefined,
        via: 'bounce',
      },
      stamp: false,
    });
    logger.info({ event: LOG_EVENT[kind], queueId: message.id, dsnQueueId: id, to: message.mailFrom }, 'delivery status notification queued');
  }

  function dsnRecipient(r: DeferredRecipient, action: 'failed' | 'delayed', nowMs: number): DsnRecipient {
    const { status, remoteMta, remoteReply, detail } = r.failure;
    return { rcptTo: r.rcptTo, action, status, remoteMta, remoteReply, detail, lastAttemptAtMs: nowMs };
  }

  return {
    async onFailed(message, failed) {
      const nowMs = Date.now();
      await send(message, 'failure', failed.map((f) => dsnRecipient(f, 'failed', nowMs)));
    },
    async onDelayed(message, deferred) {
      const nowMs = Date.now();
      const willRetryUntilMs = message.createdAtMs + options.maxLifetimeMs;
      await send(message, 'delay', deferred.map((d) => ({ ...dsnRecipient(d, 'delayed', nowMs), willRetryUntilMs })));
    },
    async onRelayed(message, relayed) {
      const nowMs = Date.now();
      await send(
        message,
        'success',
        relayed.map((r) => ({
          rcptTo: r.rcptTo,
          action: 'relayed',
          status: r.remoteReply.enhanced?.startsWith('2.') ? r.remoteReply.enhanced : '2.0.0',
          remoteMta: r.relay.host,
          remoteReply: r.remoteReply,
          detail: '',
          lastAttemptAtMs: nowMs,
        })),
      );
    },
  };
}
