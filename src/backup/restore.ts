// `hikyaku restore`: brings a backup back, typically on another machine.
// The archive is extracted (and, when encrypted, authenticated to its last
// byte) into a staging directory first; only then does anything move into
// place, so a wrong passphrase or a damaged file leaves nothing behind. A
// non-empty data directory or an existing configuration file is not
// overwritten without --force, which moves it aside (never deletes it); a
// directory a running server uses is refused even with --force.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { DATA_FORMAT } from '../storage/data-format.js';
import { requestStatus } from '../status/control-socket.js';
import { BackupError, extractArchive } from './archive.js';
import type { BackupManifest } from './snapshot.js';

export interface RestoreOptions {
  readonly file: string;
  /** Default: the data directory the backup was made from. */
  readonly dataDir: string | undefined;
  /** Default: the configuration file the backup was made from. */
  readonly configFile: string | undefined;
  readonly passphrase: string | undefined;
  readonly force: boolean;
}

export interface RestoreReport {
  readonly manifest: BackupManifest;
  readonly dataDir: string;
  readonly configFile: string | undefined;
  /** Where --force moved what was there. */
  readonly movedAside: readonly string[];
  /** The restored configuration's dataDir was changed to the new place. */
  readonly dataDirRewritten: boolean;
}

export async function restoreBackup(o: RestoreOptions): Promise<RestoreReport> {
  // Beside the target when it is known: the final move is then a rename, not a copy of the whole queue.
  const stagingParent = o.dataDir === undefined ? tmpdir() : dirname(resolve(o.dataDir));
  mkdirSync(stagingParent, { recursive: true });
  const staging = mkdtempSync(join(stagingParent, '.hikyaku-restore-'));
  try {
    await extractArchive(o.file, staging, o.passphrase);
    const manifest = JSON.parse(readFileSync(join(staging, 'manifest.json'), 'utf8')) as BackupManifest;
    if (manifest.dataFormat > DATA_FORMAT) {
      throw new BackupError(
        `${o.file} holds a data directory of format ${manifest.dataFormat}, from a newer Hikyaku; this one reads format ${DATA_FORMAT} and older: restore it with the newer version`,
        `${o.file} のデータディレクトリはフォーマット ${manifest.dataFormat} (より新しい Hikyaku) です。この Hikyaku が読めるのはフォーマット ${DATA_FORMAT} までです。新しいバージョンで復元してください`,
      );
    }
    const dataDir = resolve(o.dataDir ?? manifest.dataDir);
    const hasConfig = existsSync(join(staging, 'config', 'hikyaku.yaml'));
    const configFile = hasConfig ? resolve(o.configFile ?? manifest.configFile ?? 'hikyaku.yaml') : undefined;
    await refuseRunningServer(dataDir);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const movedAside: string[] = [];
    const clear = (path: string, what: 'dir' | 'file'): void => {
      const occupied = what === 'dir' ? existsSync(path) && readdirSync(path).length > 0 : existsSync(path);
      if (!occupied) return;
      if (!o.force) {
        throw new BackupError(
          what === 'dir'
            ? `the data directory ${path} is not empty: restore into an empty or new directory (--data-dir DIR), or give --force to move the present one aside`
            : `the configuration file ${path} exists: name another with --config FILE, or give --force to move the present one aside`,
          what === 'dir'
            ? `データディレクトリ ${path} は空ではありません。空か新しいディレクトリ (--data-dir DIR) に復元するか、--force で今のものを別名に退避してください`
            : `設定ファイル ${path} は既にあります。--config ファイル で別の名前を指定するか、--force で今のものを別名に退避してください`,
        );
      }
      const aside = `${path}.before-restore-${stamp}`;
      renameSync(path, aside);
      movedAside.push(aside);
    };
    clear(dataDir, 'dir');
    if (configFile !== undefined) clear(configFile, 'file');

    mkdirSync(dirname(dataDir), { recursive: true });
    if (existsSync(dataDir)) rmSync(dataDir, { recursive: true }); // empty (checked above)
    moveDirectory(join(staging, 'data'), dataDir);
    let dataDirRewritten = false;
    if (configFile !== undefined) {
      const doc = parseDocument(readFileSync(join(staging, 'config', 'hikyaku.yaml'), 'utf8'));
      if (resolve(String(doc.get('dataDir') ?? '')) !== dataDir) {
        doc.set('dataDir', dataDir);
        dataDirRewritten = true;
      }
      mkdirSync(dirname(configFile), { recursive: true });
      writeFileSync(configFile, doc.toString(), { mode: 0o600 });
    }
    return { manifest, dataDir, configFile, movedAside, dataDirRewritten };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** rename(2) when on one file system, else a copy (modes kept) then removal. */
export function moveDirectory(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    cpSync(from, to, { recursive: true, preserveTimestamps: true, errorOnExist: true });
    rmSync(from, { recursive: true, force: true });
  }
}

async function refuseRunningServer(dataDir: string): Promise<void> {
  const running = await requestStatus(dataDir, 2_000).then(
    () => true,
    () => false,
  );
  if (running) {
    throw new BackupError(
      `a Hikyaku server is running on ${dataDir}: stop it first (systemctl stop hikyaku)`,
      `${dataDir} を使う Hikyaku サーバーが動いています。先に停止してください (systemctl stop hikyaku)`,
    );
  }
}
