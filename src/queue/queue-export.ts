// The queue as a file, to move it between stores (`hikyaku store export` /
// `store import`): one JSON line per message with its envelope, recipients'
// state and body (base64). Written and read through the QueueStore
// interface only, so it works from and into either store.
//
// Import never duplicates: a message whose id is already in the target is
// skipped (counted), so an import cut short can simply be run again; and
// never loses: each message counts as imported once its enqueue and its
// recipients' state have committed.
import type { EnvelopeParams, RecipientParams } from '../core/envelope.js';
import type { QueueStore, RecipientStatus, StoredMessage } from './queue-store.js';

export const EXPORT_FORMAT = 'hikyaku-queue-export/1';

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

/** Put one exported message into the store: 'imported', or 'present' when its id is there already. */
export async function importMessage(store: QueueStore, m: ExportedMessage): Promise<'imported' | 'present'> {
  if ((await store.load(m.id)) !== undefined) return 'present';
  const perRecipient = new Map<string, RecipientParams>();
  for (const r of m.recipients) if (r.notify !== undefined || r.orcpt !== undefined) perRecipient.set(r.rcptTo, { notify: r.notify, orcpt: r.orcpt });
  const params: EnvelopeParams = { ret: m.ret, envId: m.envId, smtputf8: m.smtputf8, recipients: perRecipient.size > 0 ? perRecipient : undefined };
  await store.enqueue({
    id: m.id,
    envelope: { mailFrom: m.mailFrom, rcptTo: m.recipients.map((r) => r.rcptTo), params },
    message: Buffer.from(m.body, 'base64'),
    firstRetryAtMs: Math.min(...m.recipients.map((r) => r.nextAttemptAtMs)),
    envId: m.envId,
    holdReason: m.held ? m.holdReason : undefined,
    eightBit: m.eightBit,
    createdAtMs: m.createdAtMs,
  });
  // The recipients' own state: attempts, last errors, which are done already.
  await store.updateRecipients(
    m.id,
    m.recipients.map((r) => ({ rcptTo: r.rcptTo, status: r.status, attempts: r.attempts, nextAttemptAtMs: r.nextAttemptAtMs, lastError: r.lastError, lastStatus: r.lastStatus })),
    m.delayNotified ? { delayNotified: true } : undefined,
  );
  // Held by an admin (no reason): enqueue held only those with a reason.
  if (m.held && m.holdReason === undefined) await store.hold(m.id);
  return 'imported';
}
