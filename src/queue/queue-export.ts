// The queue as a file, to move it between stores (`hikyaku store export` /
// `store import`): one JSON line per message with its envelope, recipients'
// state and body (base64). Written and read through the QueueStore
// interface only, so it works from and into either store.
//
// Import never duplicates: a message whose id is already in the target is
// skipped (counted), so an import cut short can simply be run again; and
// never loses: each message counts as imported once its enqueue and its
// recipients' state have committed.
//
// Both directions stream, so that their memory does not grow with the
// queue: export reads the queue a page of envelopes at a time (listPage, in
// id order) and one body at a time; import reads the file line by line and
// keeps a bounded window of messages in flight, which also lets their
// commits be shared (group commit) instead of one fsync per write.
import type { EnvelopeParams, RecipientParams } from '../core/envelope.js';
import { toCrlf } from '../message/canonical.js';
import type { QueuePage, QueueStore, RecipientStatus, StoredMessage } from './queue-store.js';

export const EXPORT_FORMAT = 'hikyaku-queue-export/1';

/** Envelopes read per page on export. */
export const EXPORT_PAGE_MESSAGES = 256;
/** Import: at most this many messages in flight, and this many bytes of their lines. */
export const IMPORT_WINDOW_MESSAGES = 64;
export const IMPORT_WINDOW_BYTES = 32 * 1024 * 1024;

/** A store that can be read a page at a time (both stores; not the scheduler's wrappers). */
export type PagedQueueStore = QueueStore & { listPage(afterId: string | undefined, limit: number): Promise<QueuePage> };

/**
 * Write every message of the store, one line each, through `write` (which
 * may wait, e.g. for a full pipe). Messages removed while the export runs
 * (delivered) are left out; none is written twice. Returns how many.
 */
export async function exportQueue(store: PagedQueueStore, write: (line: string) => void | Promise<void>, onProgress?: (exported: number) => void): Promise<number> {
  let n = 0;
  let after: string | undefined;
  for (;;) {
    const page = await store.listPage(after, EXPORT_PAGE_MESSAGES);
    if (page.lastId === undefined) return n;
    after = page.lastId;
    for (const m of page.messages) {
      const body = await store.readMessage(m.id);
      if (body === undefined) continue; // gone meanwhile (delivered)
      await write(exportLine(m, body) + '\n');
      onProgress?.(++n);
    }
  }
}

export interface ImportCounts {
  imported: number;
  /** Already in the store (an earlier run of the same import). */
  present: number;
  /** Lines that are not an exported message. */
  bad: number;
}

/**
 * Import the lines of an export file (one message per line) into the store,
 * a bounded window of them at a time. `onBadLine` gets the line number and
 * what is wrong; those lines are counted and skipped. Rejects on a store
 * error, after the messages in flight have settled.
 */
export async function importQueue(
  store: QueueStore,
  lines: AsyncIterable<string>,
  hooks: { onBadLine?: (lineNo: number, problem: string) => void; onProgress?: (counts: ImportCounts) => void } = {},
): Promise<ImportCounts> {
  const counts: ImportCounts = { imported: 0, present: 0, bad: 0 };
  /** In flight, by id: a repeated id waits for the first (it then counts as present). */
  const inFlight = new Map<string, Promise<void>>();
  let bytes = 0;
  let failure: unknown;
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    const m = parseLine(line);
    if (typeof m === 'string') {
      counts.bad++;
      hooks.onBadLine?.(lineNo, m);
      continue;
    }
    const size = line.length;
    while (inFlight.size > 0 && (inFlight.size >= IMPORT_WINDOW_MESSAGES || bytes + size > IMPORT_WINDOW_BYTES || inFlight.has(m.id))) {
      await Promise.race(inFlight.values());
    }
    if (failure !== undefined) break;
    bytes += size;
    const task = importMessage(store, m).then(
      (result) => {
        counts[result]++;
        hooks.onProgress?.(counts);
      },
      (err: unknown) => {
        failure ??= err;
      },
    );
    const tracked = task.finally(() => {
      inFlight.delete(m.id);
      bytes -= size;
    });
    inFlight.set(m.id, tracked);
  }
  await Promise.all(inFlight.values());
  if (failure !== undefined) throw failure;
  return counts;
}

interface ExportedRecipient {
  rcptTo: string;
  status: RecipientStatus;
  attempts: number;
  nextAttemptAtMs: number;
  lastError?: string | undefined;
  lastStatus?: string | undefined;
  notify?: string | undefined;
  orcpt?: string | undefined;
}

export interface ExportedMessage {
  id: string;
  mailFrom: string;
  createdAtMs: number;
  held: boolean;
  holdReason?: string | undefined;
  delayNotified: boolean;
  envId?: string | undefined;
  ret?: 'FULL' | 'HDRS' | undefined;
  smtputf8?: boolean | undefined;
  eightBit: boolean;
  recipients: ExportedRecipient[];
  /** base64 */
  body: string;
}

export function exportLine(m: StoredMessage, body: Buffer): string {
  const line: ExportedMessage = {
    id: m.id,
    mailFrom: m.mailFrom,
    createdAtMs: m.createdAtMs,
    held: m.held,
    holdReason: m.holdReason,
    delayNotified: m.delayNotified,
    envId: m.envId,
    ret: m.ret,
    smtputf8: m.smtputf8,
    eightBit: m.eightBit,
    recipients: m.recipients.map((r) => ({ ...r })),
    body: body.toString('base64'),
  };
  return JSON.stringify(line);
}

/** A line of an export file, checked; a string says what is wrong with it. */
export function parseLine(text: string): ExportedMessage | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const m = v as Partial<ExportedMessage> | null;
  if (m === null || typeof m !== 'object') return 'not an object';
  if (typeof m.id !== 'string' || m.id === '' || typeof m.mailFrom !== 'string' || typeof m.body !== 'string') return 'missing id, mailFrom or body';
  if (!Number.isSafeInteger(m.createdAtMs) || typeof m.held !== 'boolean' || typeof m.eightBit !== 'boolean') return `${m.id}: bad createdAtMs, held or eightBit`;
  if (!Array.isArray(m.recipients) || m.recipients.length === 0) return `${m.id}: no recipients`;
  for (const r of m.recipients) {
    if (typeof r?.rcptTo !== 'string' || !Number.isSafeInteger(r.attempts) || !Number.isSafeInteger(r.nextAttemptAtMs)) return `${m.id}: bad recipient`;
    if (!['queued', 'delivered', 'bounced', 'expired'].includes(r.status)) return `${m.id}: bad recipient status`;
  }
  return m as ExportedMessage;
}

/**
 * Held with this reason while an import writes it: its recipients' state
 * (delivered ones included) is written after the message, and until then
 * nothing may deliver it. An import cut short leaves it so; the next run
 * finishes it.
 */
export const IMPORTING = 'store import in progress';

/** Put one exported message into the store: 'imported', or 'present' when its id is there already. */
export async function importMessage(store: QueueStore, m: ExportedMessage): Promise<'imported' | 'present'> {
  const ownReason = m.held ? m.holdReason : undefined;
  const existing = await store.load(m.id);
  if (existing !== undefined && !(existing.held && existing.holdReason === IMPORTING)) {
    // Enqueued held with its own reason (the brake's): an import cut short may
    // not have written its recipients' state; writing it again changes nothing otherwise.
    if (ownReason !== undefined && existing.held && existing.holdReason === ownReason) await writeRecipients(store, m);
    return 'present';
  }
  if (existing === undefined) {
    const perRecipient = new Map<string, RecipientParams>();
    for (const r of m.recipients) if (r.notify !== undefined || r.orcpt !== undefined) perRecipient.set(r.rcptTo, { notify: r.notify, orcpt: r.orcpt });
    const params: EnvelopeParams = { ret: m.ret, envId: m.envId, smtputf8: m.smtputf8, recipients: perRecipient.size > 0 ? perRecipient : undefined };
    await store.enqueue({
      id: m.id,
      envelope: { mailFrom: m.mailFrom, rcptTo: m.recipients.map((r) => r.rcptTo), params },
      // Every stored message has CRLF line endings only (delivery relies on it
      // for dot-stuffing, outbound/dot-stuff.ts); ours do, a hand-made file may not.
      message: toCrlf(Buffer.from(m.body, 'base64')),
      firstRetryAtMs: Math.min(...m.recipients.map((r) => r.nextAttemptAtMs)),
      envId: m.envId,
      // Held until its recipients' state is written (IMPORTING), or with its own reason.
      holdReason: ownReason ?? IMPORTING,
      eightBit: m.eightBit,
      createdAtMs: m.createdAtMs,
    });
  }
  await writeRecipients(store, m);
  if (ownReason === undefined) {
    // Held by an admin (no reason): hold() keeps it held and clears ours. Otherwise ready to go.
    if (m.held) await store.hold(m.id);
    else await store.release(m.id);
  }
  // A shared store leases what a node enqueues (to deliver it from memory);
  // an import delivers nothing: free the message for the nodes at once.
  store.releaseClaim?.(m.id);
  return 'imported';
}

/** The recipients' own state: attempts, last errors, which are done already (absolute values: writing them twice is harmless). */
async function writeRecipients(store: QueueStore, m: ExportedMessage): Promise<void> {
  await store.updateRecipients(
    m.id,
    m.recipients.map((r) => ({ rcptTo: r.rcptTo, status: r.status, attempts: r.attempts, nextAttemptAtMs: r.nextAttemptAtMs, lastError: r.lastError, lastStatus: r.lastStatus })),
    m.delayNotified ? { delayNotified: true } : undefined,
  );
}
