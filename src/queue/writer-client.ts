// The main thread's side of the writer worker: gathers write operations while
// a commit is in progress and sends them as the next batch, so that all the
// callers waiting at that moment share one transaction and one fsync.
//
// The worker may die (an uncaught exception, an out-of-memory kill, a
// terminate()): it is then started again, with a back-off while it keeps
// failing, and the batch it held is settled without ever saying "stored" for
// something that is not, nor "failed" for an enqueue that is:
// - a batch is one SQLite transaction, so it committed whole or not at all,
//   and once the worker has exited its connection is closed (an open
//   transaction rolled back), so the store's read connection tells for each
//   enqueue whether it is there (same id, creation time and size: ids are
//   unique, time plus 40 random bits). One that is there resolves (its caller
//   says 250; a 451 would make the client send it again, a duplicate); one
//   that is not is sent again to the new worker.
// - the other operations set absolute values (recipient status, held, due
//   time) and are sent again as well: doing them twice leaves the same rows.
// - an operation that was in flight when the worker died twice fails (451):
//   it may be what kills the worker.
// While the worker cannot be started, writes fail at once (451, or 452 when
// the disk is full) instead of waiting: a client retries later.
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { startWorker } from '../storage/worker-thread.js';
import { isDeliveryRecord, type FromWriter, type OpResult, type ToWriter, type WriteOp, type WriterData } from './writer-protocol.js';

// Bound one transaction so a burst of large messages does not make one
// enormous commit (and one enormous postMessage).
const MAX_BATCH_OPS = 2_000;
const MAX_BATCH_BYTES = 64 * 1024 * 1024;

// Delivery records alone (isDeliveryRecord) wait up to this long for the next
// operation that needs a sync (an enqueue, mostly), and then go in its batch:
// their rows would not be synced on their own anyway, and one transaction
// instead of two means one round trip to the worker instead of two, and the
// pages they share with the enqueue (indexes, the free list) written to the
// WAL once. One serial session no longer has its next enqueue wait behind the
// record of the message before it. The cost: such a record is committed a few
// milliseconds later, so a crash of this process in that window makes the
// message go out a second time, as a power loss already could.
const DELIVERY_RECORD_HOLD_MS = 5;

// Restart back-off: the first restart at once, then 100 ms doubling up to 5 s
// while the worker keeps dying before it commits anything (say, at open).
const RESTART_MIN_DELAY_MS = 100;
const RESTART_MAX_DELAY_MS = 5_000;
/** An operation in flight during this many worker deaths fails instead of being sent again. */
const MAX_DEATHS_PER_OP = 2;

interface PendingOp {
  op: WriteOp;
  /** isDeliveryRecord(op): may wait for a batch that syncs. */
  readonly record: boolean;
  transfer: ArrayBuffer | undefined;
  /** The caller's body, to copy again should the transferred copy die with a worker. */
  readonly source: Uint8Array | undefined;
  readonly bytes: number;
  sent: boolean;
  deaths: number;
  readonly resolve: (value: boolean | number | null) => void;
  readonly reject: (err: Error) => void;
}

/** SQLITE_FULL (the unix VFS's name for ENOSPC on write), or ENOSPC itself. */
export function isStorageFullCode(code: string | undefined): boolean {
  return code === 'ENOSPC' || (code !== undefined && code.startsWith('SQLITE_FULL'));
}

export class WriterError extends Error {
  readonly code: string | undefined;
  /** What caused this was logged by the queue (once per episode, not per message): callers need not log it again. */
  readonly reported: boolean;
  constructor(message: string, code: string | undefined, reported = false) {
    super(message);
    this.name = 'WriterError';
    this.code = code;
    this.reported = reported;
  }

  /** The disk holding the queue is full: SMTP says 452 4.3.1 (RFC 3463: mail system full). */
  get storageFull(): boolean {
    return isStorageFullCode(this.code);
  }
}

export interface WriterHooks {
  readonly logger: Logger;
  /** Whether this enqueue is committed; asked only after a worker holding it died (and so closed its connection). */
  isStored(id: string, createdAtMs: number, size: number): boolean;
}

// Test hook: the live writer workers of this process, so that a test can kill
// one in the middle of a burst as a crash would.
const liveWorkers = new Set<Worker>();

/** For tests: terminate every queue writer thread of this process now (each is restarted). Returns how many. */
export async function terminateQueueWritersForTests(): Promise<number> {
  const workers = [...liveWorkers];
  await Promise.all(workers.map((w) => w.terminate()));
  return workers.length;
}

/** A new worker, once it has opened the database; rejects (and ends the worker) when it cannot. */
async function spawnWriter(data: WriterData): Promise<Worker> {
  const worker = startWorker(new URL('./queue-writer', import.meta.url), data);
  let onMessage: ((message: FromWriter) => void) | undefined;
  let onError: ((err: Error) => void) | undefined;
  let onExit: ((code: number) => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      onMessage = (message) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'openFailed') reject(new WriterError(`cannot open queue database: ${message.message}`, message.code));
      };
      onError = reject;
      onExit = (code) => reject(new WriterError(`queue writer exited during start-up (code ${code})`, 'WRITER_DIED'));
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
  } catch (err) {
    await worker.terminate();
    throw err;
  } finally {
    // Only ours: removeAllListeners() would also take Node's own (the worker's port ref counting).
    if (onMessage) worker.off('message', onMessage);
    if (onError) worker.off('error', onError);
    if (onExit) worker.off('exit', onExit);
  }
  return worker;
}

function errorOf(err: unknown): { message: string; code: string | undefined } {
  const code = (err as { code?: unknown } | null)?.code;
  return { message: err instanceof Error ? err.message : String(err), code: typeof code === 'string' ? code : undefined };
}

export class WriterClient {
  private readonly data: WriterData;
  private readonly hooks: WriterHooks;
  /** The live worker; undefined while it is being restarted or cannot be. */
  private worker: Worker | undefined;
  /** Why the worker is down, once a restart has failed: writes are refused with it until one succeeds. */
  private downError: WriterError | undefined;
  private pending: PendingOp[] = [];
  private inFlight: { readonly batchId: number; readonly ops: PendingOp[] } | undefined;
  private nextBatchId = 1;
  private flushScheduled = false;
  /** Set while only delivery records are pending: sends them after DELIVERY_RECORD_HOLD_MS. */
  private holdTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private idleWaiters: (() => void)[] = [];
  private closedWaiter: (() => void) | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Restarts tried since the last commit (for the back-off). */
  private failedStarts = 0;
  /** Since when the worker is down (one log line when it dies, one when it is back). */
  private downSinceMs: number | undefined;
  /** Since when the disk is full, and how many operations it refused meanwhile. */
  private fullSinceMs: number | undefined;
  private refusedWhileFull = 0;
  /** Transactions committed by this writer. */
  commits = 0;
  /** Times the worker was started again after it died. */
  restarts = 0;

  private constructor(data: WriterData, hooks: WriterHooks, worker: Worker) {
    this.data = data;
    this.hooks = hooks;
    this.attach(worker);
  }

  static async start(data: WriterData, hooks: WriterHooks): Promise<WriterClient> {
    return new WriterClient(data, hooks, await spawnWriter(data));
  }

  private attach(worker: Worker): void {
    this.worker = worker;
    liveWorkers.add(worker);
    let crash: Error | undefined;
    worker.on('message', (message: FromWriter) => this.onMessage(worker, message));
    worker.on('error', (err) => (crash = err));
    worker.on('exit', (code) => {
      liveWorkers.delete(worker);
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (this.closing && !this.inFlight && this.pending.length === 0 && this.closedWaiter) {
        this.closedWaiter();
        return;
      }
      this.onDeath(crash ?? new Error(`queue writer exited unexpectedly (code ${code})`));
    });
    // An idle store does not keep the process alive; a batch in flight does.
    worker.unref();
  }

  /** Queue one operation for the next batch. `transfer` is a private copy the caller gives up; `source` what it was copied from. */
  submit(op: WriteOp, transfer?: ArrayBuffer, source?: Uint8Array): Promise<boolean | number | null> {
    if (this.closing) return Promise.reject(new WriterError('queue store is closed', 'CLOSED'));
    if (this.downError) return Promise.reject(this.downError);
    return new Promise((resolve, reject) => {
      this.pending.push({ op, record: isDeliveryRecord(op), transfer, source, bytes: transfer?.byteLength ?? 0, sent: false, deaths: 0, resolve, reject });
      this.restartTimer?.ref(); // someone waits for the restart now
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    // Deferred to a microtask: calls made in the same tick join one batch.
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(holdRecords = true): void {
    const worker = this.worker;
    if (this.inFlight || this.pending.length === 0 || !worker) {
      if (!this.inFlight && this.pending.length === 0) this.notifyIdle();
      return;
    }
    if (holdRecords && !this.closing && this.pending.length < MAX_BATCH_OPS && this.pending.every((p) => p.record)) {
      this.holdTimer ??= setTimeout(() => {
        this.holdTimer = undefined;
        this.flush(false);
      }, DELIVERY_RECORD_HOLD_MS);
      return;
    }
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    let count = 0;
    let bytes = 0;
    while (count < this.pending.length && count < MAX_BATCH_OPS) {
      const next = this.pending[count] as PendingOp;
      if (count > 0 && bytes + next.bytes > MAX_BATCH_BYTES) break;
      bytes += next.bytes;
      count++;
    }
    const ops = this.pending.slice(0, count);
    this.pending = this.pending.slice(count);
    for (const p of ops) {
      // Sent before, to a worker that died: its transferred copy died with it.
      if (p.sent && p.source && p.op.kind === 'enqueue') {
        const body = Buffer.allocUnsafeSlow(p.source.byteLength);
        body.set(p.source);
        p.op = { ...p.op, body };
        p.transfer = body.buffer;
      }
      p.sent = true;
    }
    const batchId = this.nextBatchId++;
    this.inFlight = { batchId, ops };
    const transfers = ops.flatMap((p) => (p.transfer ? [p.transfer] : []));
    const message: ToWriter = { type: 'batch', batchId, ops: ops.map((p) => p.op) };
    worker.ref();
    worker.postMessage(message, transfers);
  }

  private onMessage(worker: Worker, message: FromWriter): void {
    if (message.type !== 'done' || worker !== this.worker) return;
    const batch = this.inFlight;
    if (!batch || batch.batchId !== message.batchId) return;
    this.inFlight = undefined;
    worker.unref();
    if (message.committed) {
      this.commits++;
      this.failedStarts = 0;
    }
    this.watchStorage(batch.ops, message);
    batch.ops.forEach((p, i) => settle(p, message.results[i]));
    this.flush();
  }

  /** Logs a full disk when it starts refusing writes and when an enqueue commits again: once per episode. */
  private watchStorage(ops: readonly PendingOp[], message: Extract<FromWriter, { type: 'done' }>): void {
    const full = message.results.filter((r) => !r.ok && isStorageFullCode(r.code)).length;
    if (full > 0) {
      const first = message.results.find((r) => !r.ok && isStorageFullCode(r.code));
      this.noteStorageFull(full, first && !first.ok ? first.message : undefined);
      return;
    }
    if (this.fullSinceMs === undefined || !message.committed) return;
    if (!ops.some((p, i) => p.op.kind === 'enqueue' && message.results[i]?.ok)) return;
    this.hooks.logger.warn(
      { event: 'queue-storage-recovered', fullForMs: Date.now() - this.fullSinceMs, refused: this.refusedWhileFull },
      'queue storage has space again: messages are accepted',
    );
    this.fullSinceMs = undefined;
    this.refusedWhileFull = 0;
  }

  private noteStorageFull(refused: number, error: string | undefined): void {
    this.refusedWhileFull += refused;
    if (this.fullSinceMs !== undefined) return;
    this.fullSinceMs = Date.now();
    this.hooks.logger.error(
      { event: 'queue-storage-full', dbPath: this.data.dbPath, error },
      'queue storage is full: messages are refused with 452 4.3.1 until space is freed (logged once until then)',
    );
  }

  private onDeath(err: Error): void {
    if (this.downSinceMs === undefined) {
      this.downSinceMs = Date.now();
      this.hooks.logger.error({ err, event: 'queue-writer-died' }, 'queue writer thread died; restarting it (the writes it held are retried or refused with 451)');
    }
    const batch = this.inFlight;
    this.inFlight = undefined;
    if (batch) {
      const again: PendingOp[] = [];
      for (const p of batch.ops) {
        if (p.op.kind === 'enqueue' && this.committedBefore(p)) p.resolve(null);
        else if (++p.deaths >= MAX_DEATHS_PER_OP) p.reject(new WriterError(`queue writer died twice during this write: ${err.message}`, 'WRITER_DIED', true));
        else again.push(p);
      }
      this.pending = [...again, ...this.pending];
    }
    this.scheduleRestart();
  }

  private committedBefore(p: PendingOp): boolean {
    if (p.op.kind !== 'enqueue') return false;
    try {
      return this.hooks.isStored(p.op.id, p.op.createdAtMs, p.bytes);
    } catch (err) {
      // Cannot tell: sent again, where a duplicate id fails (451) rather than stores twice.
      this.hooks.logger.warn({ err, queueId: p.op.id }, 'could not check whether a message was stored before the queue writer died');
      return false;
    }
  }

  private scheduleRestart(): void {
    if (this.restartTimer || this.closingWithNothingToDo()) return;
    const delay = this.failedStarts === 0 ? 0 : Math.min(RESTART_MIN_DELAY_MS * 2 ** (this.failedStarts - 1), RESTART_MAX_DELAY_MS);
    this.failedStarts++;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.restart();
    }, delay);
    // Keep the process alive only for callers that wait.
    if (this.pending.length === 0) this.restartTimer.unref();
  }

  private closingWithNothingToDo(): boolean {
    return this.closing && this.pending.length === 0;
  }

  private async restart(): Promise<void> {
    if (this.closingWithNothingToDo()) return this.notifyIdle();
    let worker: Worker;
    try {
      worker = await spawnWriter(this.data);
      // Closed meanwhile with nothing left to write: this worker is not needed.
      if (this.closingWithNothingToDo()) {
        await worker.terminate();
        return this.notifyIdle();
      }
    } catch (err) {
      const { message, code } = errorOf(err);
      this.downError = new WriterError(message, code, true);
      if (isStorageFullCode(code)) this.noteStorageFull(this.pending.length, message);
      // Nobody waits through a back-off: the callers answer 451 (or 452) now and their clients retry.
      const waiting = this.pending;
      this.pending = [];
      for (const p of waiting) p.reject(this.downError);
      this.hooks.logger.debug({ err, attempt: this.failedStarts }, 'queue writer could not be restarted; trying again');
      this.notifyIdle();
      this.scheduleRestart();
      return;
    }
    this.restarts++;
    this.downError = undefined;
    this.hooks.logger.warn(
      { event: 'queue-writer-restarted', downForMs: Date.now() - (this.downSinceMs ?? Date.now()), attempts: this.failedStarts },
      'queue writer thread restarted; queue writes resumed',
    );
    this.downSinceMs = undefined;
    this.attach(worker);
    this.flush();
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Refuse new work, let the queued operations commit, then stop the worker. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.flush(); // held delivery records go now
    if (this.inFlight || this.pending.length > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => (this.closedWaiter = resolve));
    worker.ref();
    const message: ToWriter = { type: 'close' };
    worker.postMessage(message);
    await exited;
  }
}

function settle(p: PendingOp, result: OpResult | undefined): void {
  if (!result) p.reject(new WriterError('queue writer gave no result', undefined));
  else if (result.ok) p.resolve(result.value);
  // A full disk is logged once per episode by watchStorage, so it counts as reported.
  else p.reject(new WriterError(result.message, result.code, isStorageFullCode(result.code)));
}
