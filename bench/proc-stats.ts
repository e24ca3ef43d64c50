// CPU time and memory of one process, read from Linux's /proc (proc(5)).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clockTicks: number | undefined;

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (almost always 100). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * utime + stime of the process, in seconds: all its threads (worker threads
 * included), not its children. Fields 14 and 15 of /proc/<pid>/stat; the
 * command name (field 2) may hold spaces, so fields are counted after its ')'.
 */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/** The same for the main thread alone (its thread id is the process id). */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuSeconds(path: string): number {
  const { user, system } = statCpu(path);
  return user + system;
}

/** utime and stime of one /proc stat file, in seconds. */
function statCpu(path: string): { user: number; system: number } {
  const stat = readFileSync(path, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field N is fields[N - 3].
  return { user: Number(fields[14 - 3]) / ticksPerSecond(), system: Number(fields[15 - 3]) / ticksPerSecond() };
}

export interface ThreadCpu {
  readonly tid: number;
  /** The thread's name (/proc/<pid>/task/<tid>/comm): Node names its threads only in part. */
  readonly name: string;
  readonly user: number;
  readonly system: number;
}

/** User and system CPU seconds of every thread of a process (a thread that ended in between is left out). */
export function threadsCpu(pid: number): ThreadCpu[] {
  const threads: ThreadCpu[] = [];
  for (const entry of readdirSync(`/proc/${pid}/task`)) {
    const tid = Number(entry);
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'latin1').trim();
      threads.push({ tid, name, ...statCpu(`/proc/${pid}/task/${tid}/stat`) });
    } catch {
      // ended between the listing and the read
    }
  }
  return threads;
}

export interface Memory {
  readonly pssKiB: number;
  readonly rssKiB: number;
}

/** Proportional and resident set size, from /proc/<pid>/smaps_rollup (Linux ≥ 4.14). */
export function memoryOf(pid: number): Memory {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    if (!m?.[1]) throw new Error(`no ${name} in /proc/${pid}/smaps_rollup`);
    return Number(m[1]);
  };
  return { pssKiB: field('Pss'), rssKiB: field('Rss') };
}
