// The main thread's side of the history's writer thread (history-writer.ts).
// Records wait here up to FLUSH_DELAY_MS and then go over in one message,
// committed there in one transaction. flush() is synchronous: it sends what
// waits and blocks (Atomics.wait) until the writer has committed it, so a
// read right after a write sees it, as when the writes were made here. Reads
// are rare (the console, the CLI); the hot path never waits.
//
// The thread starts with the first write (a CLI that only reads never starts
// one). Should it die, what it held is reported through onError (the
// history is a record of the mail, never the mail itself) and the next write
// starts a new one.
import type { Worker } from 'node:worker_threads';
import { Gathered } from '../storage/commit-gathered.js';
import { startWorker } from '../storage/worker-thread.js';
import type { HistoryRecord } from './history-writes.js';
import {
  SHARED_SLOTS,
  SLOT_DEAD,
  SLOT_DONE,
  SLOT_PARKED,
  type FromHistoryWriter,
  type HistoryWriterData,
  type ToHistoryWriter,
} from './history-writer-protocol.js';

/** The longest a read waits for the writer (it may be starting, or busy with a prune). */
const WAIT_LIMIT_MS = 10_000;
/** Sent at once past this many records (bounds memory and one commit's size). */
const MAX_PENDING = 5_000;

export interface HistoryWriterOptions {
  readonly dataDir: string;
  readonly waitForAcceptance: boolean;
  readonly delayMs: number;
  readonly onError: (err: unknown) => void;
}

export class HistoryWriterClient {
  readonly #options: HistoryWriterOptions;
  readonly #shared = new SharedArrayBuffer(SHARED_SLOTS * Int32Array.BYTES_PER_ELEMENT);
  readonly #slots = new Int32Array(this.#shared);
  #worker: Worker | undefined;
  /** Records waiting to go over; unref: a process that ends calls close(), which sends what is left. */
  readonly #pending: Gathered<HistoryRecord>;
  /** Sequence number of the last message sent to the writer. */
  #sent = 0;
  /** Prunes sent, by sequence number, waiting for their answer. */
  readonly #prunes = new Map<number, { resolve: (count: number) => void; reject: (err: Error) => void }>();

  constructor(options: HistoryWriterOptions) {
    this.#options = options;
    this.#pending = new Gathered({ delayMs: options.delayMs, maxPending: MAX_PENDING, unref: true }, (records) => {
      this.#post((seq) => ({ type: 'batch', seq, records }));
    });
  }

  add(record: HistoryRecord): void {
    this.#pending.add(record);
  }

  /** Sends the waiting records and returns once the writer has committed everything sent so far. */
  flush(): void {
    this.#pending.flush();
    this.#waitFor(this.#sent);
  }

  /** Runs one prune batch in the writer (after what waits); resolves with how many messages it removed. */
  prune(beforeMs: number, batch: number): Promise<number> {
    this.#pending.flush();
    return new Promise((resolve, reject) => {
      const seq = this.#post((s) => ({ type: 'prune', seq: s, beforeMs, batch }));
      this.#prunes.set(seq, { resolve, reject });
      this.#worker?.ref(); // until the answer comes
    });
  }

  /** Messages whose writes wait for their acceptance, once what was sent is committed. */
  get parked(): number {
    this.flush();
    return Atomics.load(this.#slots, SLOT_PARKED);
  }

  /** Commits what waits and stops the writer. */
  close(): void {
    this.#pending.flush();
    if (this.#worker === undefined) return;
    this.#waitFor(this.#post((seq) => ({ type: 'close', seq })));
    this.#worker = undefined;
  }

  #post(message: (seq: number) => ToHistoryWriter): number {
    const seq = ++this.#sent;
    this.#ensureWorker().postMessage(message(seq));
    return seq;
  }

  #ensureWorker(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    Atomics.store(this.#slots, SLOT_DEAD, 0);
    const data: HistoryWriterData = { dataDir: this.#options.dataDir, waitForAcceptance: this.#options.waitForAcceptance, shared: this.#shared };
    const worker = startWorker(new URL('./history-writer', import.meta.url), data);
    worker.on('message', (message: FromHistoryWriter) => this.#onMessage(message));
    worker.on('error', (err) => this.#options.onError(err));
    worker.on('exit', () => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      const lost = this.#sent - Atomics.load(this.#slots, SLOT_DONE);
      if (lost > 0) this.#options.onError(new Error(`the history writer stopped: ${lost} batch(es) of history records were not recorded`));
      // Nothing more will come from this one: later waits must not wait for it.
      Atomics.store(this.#slots, SLOT_DONE, this.#sent);
      for (const prune of this.#prunes.values()) prune.reject(new Error('the history writer stopped before the prune was done'));
      this.#prunes.clear();
    });
    // An idle writer does not keep the process alive (a prune waited for does: see prune()).
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  #onMessage(message: FromHistoryWriter): void {
    if (message.type === 'error') {
      this.#options.onError(Object.assign(new Error(message.message), { code: message.code }));
      return;
    }
    const prune = this.#prunes.get(message.seq);
    this.#prunes.delete(message.seq);
    if (this.#prunes.size === 0) this.#worker?.unref();
    if (message.count === undefined) prune?.reject(new Error('could not prune the message history (the error is logged before this)'));
    else prune?.resolve(message.count);
  }

  #waitFor(seq: number): void {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    for (;;) {
      const done = Atomics.load(this.#slots, SLOT_DONE);
      if (done >= seq || Atomics.load(this.#slots, SLOT_DEAD) === 1) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        this.#options.onError(new Error(`the history writer did not answer within ${WAIT_LIMIT_MS} ms; reading without its latest records`));
        return;
      }
      Atomics.wait(this.#slots, SLOT_DONE, done, left);
    }
  }
}
