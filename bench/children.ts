// Every child process and temporary folder the benchmark creates, so that all
// of them go away at the end — also on an error or Ctrl-C.
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const children = new Set<ChildProcess>();
const folders = new Set<string>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function trackFolder(path: string): string {
  folders.add(path);
  return path;
}

export function removeFolder(path: string): void {
  rmSync(path, { recursive: true, force: true });
  folders.delete(path);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

/** Synchronous last resort (process 'exit' handlers cannot wait). */
function killAllNow(): void {
  for (const child of children) child.kill('SIGKILL');
  for (const path of folders) rmSync(path, { recursive: true, force: true });
}

export function installCleanup(): void {
  process.once('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}: stopping every child process\n`);
      void Promise.all([...children].map((c) => stopChild(c, 3_000))).finally(() => process.exit(130));
    });
  }
}
