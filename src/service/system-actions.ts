// What `hikyaku service` and `hikyaku tls use-certbot` do to the machine, in
// one place, so that with --root DIR every file lands under DIR and every
// system command (useradd, chown to a user that may not exist, systemctl) is
// only reported as "would run", never run. Tests use --root.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A line of the report, in both languages. */
export interface Said {
  readonly en: string;
  readonly ja: string;
}

export class SystemActions {
  /** What was done, in order. */
  readonly done: Said[] = [];
  /** Commands not run because of --root (shown so the reader can run them). */
  readonly skipped: string[] = [];

  /** root: write under this directory and run no system command; undefined = the real system. */
  constructor(readonly root: string | undefined) {}

  get dryRun(): boolean {
    return this.root !== undefined;
  }

  /** Where an absolute system path lands (under --root, if given). */
  path(systemPath: string): string {
    return this.root === undefined ? systemPath : join(this.root, systemPath);
  }

  exists(systemPath: string): boolean {
    return existsSync(this.path(systemPath));
  }

  /** The permission bits of an existing path, as 4 octal digits. */
  modeOf(systemPath: string): string {
    return (statSync(this.path(systemPath)).mode & 0o7777).toString(8).padStart(4, '0');
  }

  say(en: string, ja: string): void {
    this.done.push({ en, ja });
  }

  /** mkdir -p, then the exact mode (mkdir's is filtered by the umask and ignored for an existing directory). */
  directory(systemPath: string, mode: number): void {
    const target = this.path(systemPath);
    const existed = existsSync(target);
    // Missing parents get 0755: the service user must be able to pass through them.
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    mkdirSync(target, { recursive: true, mode });
    chmodSync(target, mode);
    const m = mode.toString(8).padStart(4, '0');
    this.say(`${existed ? 'set' : 'created'} directory ${systemPath} (mode ${m})`, `ディレクトリ ${systemPath} を${existed ? '設定' : '作成'}しました (モード ${m})`);
  }

  /** Write a file atomically (temporary file + rename) with an exact mode. */
  file(systemPath: string, content: string, mode: number): void {
    const target = this.path(systemPath);
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    const temp = `${target}.${process.pid}.tmp`;
    writeFileSync(temp, content, { mode });
    chmodSync(temp, mode);
    renameSync(temp, target);
    const m = mode.toString(8).padStart(4, '0');
    this.say(`wrote ${systemPath} (mode ${m})`, `${systemPath} を書き込みました (モード ${m})`);
  }

  remove(systemPath: string): void {
    if (!this.exists(systemPath)) return;
    rmSync(this.path(systemPath), { recursive: true, force: true });
    this.say(`removed ${systemPath}`, `${systemPath} を削除しました`);
  }

  /** chown (recursively for a directory): to a user that may not exist yet, so only noted under --root. */
  chown(systemPath: string, user: string, group: string, recursive = false): void {
    this.run(['chown', ...(recursive ? ['-R'] : []), `${user}:${group}`, systemPath]);
  }

  /** Run a system command (or, under --root, note it). Throws with its output when it fails. */
  run(argv: readonly string[]): void {
    const line = argv.join(' ');
    if (this.dryRun) {
      this.skipped.push(line);
      return;
    }
    const result = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
    if (result.error !== undefined || result.status !== 0) {
      const detail = result.error?.message ?? (result.stderr || result.stdout || `exit status ${result.status}`).trim();
      throw new Error(`"${line}" failed: ${detail}`);
    }
    this.say(`ran: ${line}`, `実行しました: ${line}`);
  }
}

/** True when the user (or group) exists on this machine (getent reads /etc/passwd, NSS too). */
export function accountExists(database: 'passwd' | 'group', name: string): boolean {
  return spawnSync('getent', [database, name], { encoding: 'utf8' }).status === 0;
}
