// The count sink as a child process, driven over IPC from the benchmark.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopChild, track } from './children.js';
import type { SinkEvent, SinkRequest } from './count-sink.js';

export class SinkProcess {
  private nextId = 1;
  private readonly pending = new Map<number, (event: { count: number; reached: boolean }) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (event: SinkEvent) => {
      if (event.type !== 'count') return;
      const done = this.pending.get(event.id);
      this.pending.delete(event.id);
      done?.(event);
    });
  }

  static async start(): Promise<SinkProcess> {
    const script = fileURLToPath(new URL('./count-sink.js', import.meta.url));
    const child = track(fork(script, ['127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('count sink did not start within 10 s')), 10_000);
      child.once('exit', (code) => reject(new Error(`count sink exited (${code}) before it was ready`)));
      child.once('message', (event: SinkEvent) => {
        clearTimeout(timer);
        if (event.type === 'ready') resolve(event.port);
      });
    });
    return new SinkProcess(child, port);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('count sink has no pid');
    return this.child.pid;
  }

  reset(): void {
    this.request({ type: 'reset' });
  }

  count(): Promise<number> {
    return this.ask((id) => ({ type: 'count', id })).then((e) => e.count);
  }

  /** Resolves when the sink has counted `n` messages (or `timeoutMs` passed). */
  waitFor(n: number, timeoutMs: number): Promise<{ count: number; reached: boolean }> {
    return this.ask((id) => ({ type: 'wait', id, n, timeoutMs }));
  }

  stop(): Promise<number | null> {
    return stopChild(this.child, 3_000);
  }

  private ask(make: (id: number) => SinkRequest): Promise<{ count: number; reached: boolean }> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.request(make(id));
    });
  }

  private request(request: SinkRequest): void {
    this.child.send(request);
  }
}
