// The queue is the only contract between receiving and delivering.
// This interface is what the embedded store (SQLite + WAL, group commit)
// implements today and what a shared database backend implements later.
import type { Envelope } from '../core/envelope.js';

export type RecipientStatus = 'queued' | 'delivered' | 'bounced' | 'expired';

export interface NewMessage {
  /** Queue id, chosen by intake (it appears in the Received header before the message is stored). */
  readonly id: string;
  readonly envelope: Envelope;
  /** The whole message, CRLF line endings, headers added by intake, not dot-stuffed. */
  readonly message: Buffer;
  /** When the first delivery attempt counts as "recorded" (see Scheduler: attempts are recorded before they are made). */
  readonly firstRetryAtMs: number;
  /** RFC 3461 ENVID, if the client gave one. */
  readonly envId?: string | undefined;
  /** Store the message held (not delivered until released), with this reason. */
  readonly holdReason?: string | undefined;
  /** The message has octets over 127 (intake scans it once); the store scans when not given. */
  readonly eightBit?: boolean | undefined;
  /** When it was first queued; now when not given (`hikyaku store import` keeps the original, so expiry counts from it). */
  readonly createdAtMs?: number | undefined;
}

export interface StoredRecipient {
  readonly rcptTo: string;
  readonly status: RecipientStatus;
  readonly attempts: number;
  readonly nextAttemptAtMs: number;
  /** Last error (remote reply or local detail) for `queue list`. */
  readonly lastError: string | undefined;
  /** RFC 3463 status of the last failure, e.g. "4.4.1". */
  readonly lastStatus: string | undefined;
  /** RFC 3461 NOTIFY ("NEVER" or e.g. "SUCCESS,FAILURE"), undefined for the default; ORCPT as "type;address". */
  readonly notify?: string | undefined;
  readonly orcpt?: string | undefined;
}

export interface StoredMessage {
  readonly id: string;
  readonly mailFrom: string;
  readonly size: number;
  readonly createdAtMs: number;
  readonly held: boolean;
  /** Why it is held, when something other than `queue hold` held it (e.g. "brake:user:a@b"). */
  readonly holdReason: string | undefined;
  readonly delayNotified: boolean;
  readonly envId: string | undefined;
  /** RFC 3461 RET; RFC 6531: the client used SMTPUTF8 on MAIL. */
  readonly ret?: 'FULL' | 'HDRS' | undefined;
  readonly smtputf8?: boolean;
  /** RFC 8689: MAIL FROM had REQUIRETLS; delivered only over verified TLS. */
  readonly requireTls?: boolean;
  /** Has octets over 127: sent with BODY=8BITMIME, or made 7-bit for a next hop without 8BITMIME. */
  readonly eightBit: boolean;
  readonly recipients: readonly StoredRecipient[];
}

export interface RecipientUpdate {
  readonly rcptTo: string;
  readonly status: RecipientStatus;
  readonly attempts: number;
  readonly nextAttemptAtMs: number;
  readonly lastError: string | undefined;
  readonly lastStatus: string | undefined;
}

export interface QueuePage {
  readonly messages: StoredMessage[];
  readonly lastId: string | undefined;
}

export interface QueueStore {
  /**
   * Store a message durably. Resolves only once the message and its envelope
   * are on stable storage (fsync'd): the caller may then say 250.
   * Concurrent calls share one commit (group commit).
   */
  enqueue(message: NewMessage): Promise<void>;
  /** Ids of messages with a queued recipient due at or before `nowMs`, not held, oldest first. */
  dueMessageIds(nowMs: number, limit: number): Promise<string[]>;
  /** Earliest next attempt among queued, not held recipients; undefined when none. */
  nextDueAtMs(): Promise<number | undefined>;
  load(id: string): Promise<StoredMessage | undefined>;
  readMessage(id: string): Promise<Buffer | undefined>;
  /** Record per-recipient results; removes the message once no recipient is queued. */
  updateRecipients(id: string, updates: readonly RecipientUpdate[], options?: { delayNotified?: boolean }): Promise<void>;
  list(): Promise<StoredMessage[]>;
  /**
   * The messages among the next `limit` ids after `afterId` (from the start
   * when undefined), in id order: the queue a page at a time, in bounded
   * memory whatever its size (`hikyaku store export`). Each page is one
   * snapshot; walking the pages never yields an id twice. `lastId` is the
   * page's last id, invalid (quarantined) entries included, to pass as
   * `afterId` for the next page; undefined once past the end. Absent on
   * wrappers that only serve the scheduler.
   */
  listPage?(afterId: string | undefined, limit: number): Promise<QueuePage>;
  hold(id: string): Promise<boolean>;
  release(id: string): Promise<boolean>;
  /** Release every message held with this reason; how many. */
  releaseHeld(reason: string): Promise<number>;
  /** Make queued recipients due now; id 'all' for every message. Returns how many messages. */
  retryNow(id: string | 'all'): Promise<number>;
  remove(id: string): Promise<boolean>;
  close(): Promise<void>;
  /**
   * Stores shared by several nodes (PostgreSQL): dueMessageIds claims what it
   * returns under a lease; the scheduler calls this when it is done with a
   * message (attempted or skipped) so that the lease is freed. Absent on the
   * embedded store, which has one node.
   */
  releaseClaim?(id: string): void;
  /** Entries that failed validation and are skipped, with the reason (`hikyaku queue list --quarantined`). */
  listQuarantined?(): Promise<{ readonly id: string; readonly reason: string }[]>;
}
