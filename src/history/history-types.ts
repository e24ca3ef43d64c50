// The shapes the history store (history-store.ts) hands to its readers: the
// web console, `hikyaku history`, the API. Other branches code against these
// names; fields may be added, never renamed.

export type HistoryState = 'queued' | 'held' | 'deferred' | 'delivered' | 'bounced' | 'expired' | 'partial' | 'deleted';

export type AttemptOutcome = 'delivered' | 'deferred' | 'bounced' | 'expired';

export interface HistoryAttempt {
  rcptTo: string;
  atMs: number;
  outcome: AttemptOutcome;
  remoteMta?: string;
  /** The remote reply as received, e.g. "550 5.1.1 text"; or our own reply text for a local failure. */
  reply?: string;
  code?: number;
  enhanced?: string;
  /** Our own detail when there is no remote reply (connection refused, DNS failure…). */
  detail?: string;
}

export interface HistorySummary {
  id: string;
  mailFrom: string;
  rcptTo: string[];
  subject?: string;
  from?: string;
  size: number;
  /** smtp | api | sendmail | dsn */
  source: string;
  user?: string;
  acceptedAtMs: number;
  updatedAtMs: number;
  state: HistoryState;
  lastReply?: string;
}

export interface HistoryRecipient {
  rcptTo: string;
  state: HistoryState;
  attempts: number;
  lastReply?: string;
  enhanced?: string;
  nextAttemptAtMs?: number;
}

export interface HistoryMessage extends HistorySummary {
  messageId?: string;
  /** The header block as accepted, at most 32 KiB. */
  headers?: string;
  recipients: HistoryRecipient[];
  /** Every attempt and final verdict, oldest first. */
  attempts: HistoryAttempt[];
}

export interface HistoryQuery {
  /** Matches id, sender, recipient, subject (case-insensitive substring). */
  text?: string;
  sender?: string;
  recipient?: string;
  subject?: string;
  id?: string;
  states?: HistoryState[];
  sinceMs?: number;
  untilMs?: number;
  limit: number;
  /** Opaque keyset cursor (the `next` of the page before), newest first. */
  cursor?: string;
}

export interface HistoryPage {
  items: HistorySummary[];
  next?: string;
  /** Given on the first page (no cursor) only: counting costs a scan. */
  total?: number;
}

/** Per bucket, recipients: delivered, put off (each once per spell of deferral, not per retry), bounced or expired. */
export interface HistorySeriesPoint {
  startMs: number;
  delivered: number;
  deferred: number;
  bounced: number;
}

export interface FailingDestination {
  domain: string;
  failures: number;
  lastReply?: string;
  lastAtMs: number;
}

export interface HistoryReader {
  message(id: string): HistoryMessage | undefined;
  /** Keyset-paged and indexed: fast on 100,000 rows. */
  search(q: HistoryQuery): HistoryPage;
  /** `bucketMs`: a multiple of one hour. */
  series(sinceMs: number, bucketMs: number): HistorySeriesPoint[];
  topFailingDestinations(sinceMs: number, limit: number): FailingDestination[];
  recentForAddress(address: string, limit: number): HistorySummary[];
}
