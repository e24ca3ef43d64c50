// The main thread's side of the writer worker: gathers write operations while
// a commit is in progress and sends them as the next batch, so that all the
// callers waiting at that moment share one transaction and one fsync.
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FromWriter, OpResult, ToWriter, WriteOp, WriterData } from './writer-protocol.js';

// Bound one transaction so a burst of large messages does not make one
// enormous commit (and one enormous postMessage).
const MAX_BATCH_OPS = 2_000;
const MAX_BATCH_BYTES = 64 * 1024 * 1024;

interface PendingOp {
  readonly op: WriteOp;
  readonly transfer: ArrayBuffer | undefined;
  readonly bytes: number;
  readonly resolve: (value: boolean | number | null) => void;
  readonly reject: (err: Error) => void;
}

export class WriterError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.name = 'WriterError';
    this.code = code;
  }
}

/**
 * Compiled: queue-writer.js beside this file. Under tsx in development only the
 * .ts exists; on Node 20 a worker given `execArgv: ['--import', 'tsx']` still
 * loads its entry without tsx's hooks (ERR_UNKNOWN_FILE_EXTENSION), so a tiny
 * bootstrap registers tsx inside the worker first, then imports the .ts.
 */
function createWriterWorker(data: WriterData): Worker {
  const js = new URL('./queue-writer.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData: data, execArgv: [] });
  const ts = new URL('./queue-writer.ts', import.meta.url);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(ts.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: data, execArgv: [] });
}

export class WriterClient {
  private readonly worker: Worker;
  private pending: PendingOp[] = [];
  private inFlight: { readonly batchId: number; readonly ops: PendingOp[] } | undefined;
  private nextBatchId = 1;
  private flushScheduled = false;
  private failure: Error | undefined;
  private closing = false;
  private idleWaiters: (() => void)[] = [];
  private closedWaiter: (() => void) | undefined;
  /** Transactions committed by this writer. */
  commits = 0;

  private constructor(worker: Worker) {
    this.worker = worker;
  }

  static async start(data: WriterData, onFatal: (err: Error) => void): Promise<WriterClient> {
    const worker = createWriterWorker(data);
    const client = new WriterClient(worker);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromWriter): void => {
        if (message.type === 'ready') {
          worker.off('error', onError);
          worker.off('exit', onExit);
          resolve();
        } else if (message.type === 'openFailed') {
          reject(new WriterError(`cannot open queue database: ${message.message}`, message.code));
        }
      };
      const onError = (err: Error): void => reject(err);
      const onExit = (code: number): void => reject(new Error(`queue writer exited during start-up (code ${code})`));
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    worker.removeAllListeners('message');
    worker.on('message', (message: FromWriter) => client.onMessage(message));
    worker.on('error', (err) => client.fail(err, onFatal));
    worker.on('exit', (code) => {
      if (!client.closing || client.inFlight || client.pending.length > 0) {
        client.fail(new Error(`queue writer exited unexpectedly (code ${code})`), onFatal);
      }
      client.closedWaiter?.();
    });
    // An idle store does not keep the process alive; a batch in flight does.
    worker.unref();
    return client;
  }

  /** Queue one operation for the next batch. `transfer` is a private copy the caller gives up. */
  submit(op: WriteOp, transfer?: ArrayBuffer): Promise<boolean | number | null> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new WriterError('queue store is closed', 'CLOSED'));
    return new Promise((resolve, reject) => {
      this.pending.push({ op, transfer, bytes: transfer?.byteLength ?? 0, resolve, reject });
      // Deferred to a microtask: calls made in the same tick join one batch.
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    if (this.inFlight || this.pending.length === 0 || this.failure) {
      if (!this.inFlight && this.pending.length === 0) this.notifyIdle();
      return;
    }
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
    const batchId = this.nextBatchId++;
    this.inFlight = { batchId, ops };
    const transfers = ops.flatMap((p) => (p.transfer ? [p.transfer] : []));
    const message: ToWriter = { type: 'batch', batchId, ops: ops.map((p) => p.op) };
    this.worker.ref();
    this.worker.postMessage(message, transfers);
  }

  private onMessage(message: FromWriter): void {
    if (message.type === 'closed') return;
    if (message.type !== 'done') return;
    const batch = this.inFlight;
    if (!batch || batch.batchId !== message.batchId) return;
    this.inFlight = undefined;
    this.worker.unref();
    if (message.committed) this.commits++;
    batch.ops.forEach((p, i) => settle(p, message.results[i]));
    this.flush();
  }

  private fail(err: Error, onFatal: (err: Error) => void): void {
    if (this.failure) return;
    this.failure = err;
    const waiting = [...(this.inFlight?.ops ?? []), ...this.pending];
    this.inFlight = undefined;
    this.pending = [];
    for (const p of waiting) p.reject(err);
    this.notifyIdle();
    onFatal(err);
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
    if (this.inFlight || this.pending.length > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    if (this.failure) {
      await this.worker.terminate();
      return;
    }
    const exited = new Promise<void>((resolve) => (this.closedWaiter = resolve));
    this.worker.ref();
    const message: ToWriter = { type: 'close' };
    this.worker.postMessage(message);
    await exited;
  }
}

function settle(p: PendingOp, result: OpResult | undefined): void {
  if (!result) p.reject(new WriterError('queue writer gave no result', undefined));
  else if (result.ok) p.resolve(result.value);
  else p.reject(new WriterError(result.message, result.code));
}
