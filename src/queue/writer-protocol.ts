// Messages between the queue store (main thread) and its writer worker.
// Plain data only: these cross `postMessage` (structured clone). Bodies travel
// as Uint8Array over a freshly copied ArrayBuffer that is transferred, never
// the caller's Buffer (it may be a slice of Node's shared pool).

export interface EnqueueOp {
  readonly kind: 'enqueue';
  readonly id: string;
  readonly mailFrom: string;
  readonly envId: string | null;
  readonly holdReason: string | null;
  /** RFC 3461 RET and RFC 6531 SMTPUTF8 of the transaction. */
  readonly ret: 'FULL' | 'HDRS' | null;
  readonly smtputf8: boolean;
  readonly eightBit: boolean;
  /** RFC 8689 REQUIRETLS of the transaction (absent = false). */
  readonly requireTls?: boolean;
  readonly createdAtMs: number;
  readonly firstRetryAtMs: number;
  /** NOTIFY and ORCPT: RFC 3461 parameters of the recipient, null when not given. */
  readonly recipients: readonly { readonly rcptTo: string; readonly domain: string; readonly notify: string | null; readonly orcpt: string | null }[];
  readonly body: Uint8Array;
  /** Webhook events caused by this enqueue (accepted), written in its transaction; absent without webhooks. */
  readonly events?: readonly OutboxEvent[];
}

/** One row of the webhook outbox: an event for one endpoint. Inserted once (a resent op changes nothing). */
export interface OutboxEvent {
  readonly eventId: string;
  readonly endpoint: string;
  readonly payload: string;
  readonly nextAttemptAtMs: number;
}

export interface UpdateRecipientsOp {
  readonly kind: 'updateRecipients';
  readonly id: string;
  readonly nowMs: number;
  readonly delayNotified: boolean;
  readonly updates: readonly {
    readonly rcptTo: string;
    readonly status: string;
    readonly attempts: number;
    readonly nextAttemptAtMs: number;
    readonly lastError: string | null;
    readonly lastStatus: string | null;
  }[];
  /** Webhook events caused by these outcomes, written in the same transaction; absent without webhooks. */
  readonly events?: readonly OutboxEvent[];
}

/** Webhook outbox: rows answered 2xx (deleted), one to retry later, rows of endpoints no longer configured. */
export type WebhookOp =
  | { readonly kind: 'webhookDone'; readonly seqs: readonly number[] }
  | { readonly kind: 'webhookRetry'; readonly seq: number; readonly attempts: number; readonly nextAttemptAtMs: number }
  | { readonly kind: 'webhookKeepOnly'; readonly endpoints: readonly string[] };

export interface HoldOp {
  readonly kind: 'hold' | 'release';
  readonly id: string;
}

export interface ReleaseHeldOp {
  readonly kind: 'releaseHeld';
  readonly reason: string;
}

export interface RetryNowOp {
  readonly kind: 'retryNow';
  /** null = every message. */
  readonly id: string | null;
  readonly nowMs: number;
}

export interface RemoveOp {
  readonly kind: 'remove';
  readonly id: string;
}

export type WriteOp = EnqueueOp | UpdateRecipientsOp | HoldOp | ReleaseHeldOp | RetryNowOp | RemoveOp | WebhookOp;

/**
 * Only records that something was delivered (recipients delivered, a webhook
 * row done): lost only by a power loss, and then sent again. The writer
 * commits a batch of these without its own sync (queue-writer.ts), and the
 * client lets them wait for the next batch that syncs (writer-client.ts).
 */
export function isDeliveryRecord(op: WriteOp): boolean {
  return op.kind === 'webhookDone' || (op.kind === 'updateRecipients' && !op.delayNotified && op.updates.every((u) => u.status === 'delivered'));
}

/** Result of one operation: hold/release/remove give a boolean, retryNow, releaseHeld and webhookKeepOnly a count, the others nothing. */
export type OpResult =
  | { readonly ok: true; readonly value: boolean | number | null }
  | { readonly ok: false; readonly message: string; readonly code: string | undefined };

export type ToWriter =
  | { readonly type: 'batch'; readonly batchId: number; readonly ops: readonly WriteOp[] }
  | { readonly type: 'close' };

export type FromWriter =
  | { readonly type: 'ready' }
  | { readonly type: 'openFailed'; readonly message: string; readonly code: string | undefined }
  | { readonly type: 'done'; readonly batchId: number; readonly committed: boolean; readonly results: readonly OpResult[] }
  | { readonly type: 'closed' };

export interface WriterData {
  readonly dbPath: string;
  readonly busyTimeoutMs: number;
}
