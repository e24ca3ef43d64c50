// The data directory's format version, in <dataDir>/FORMAT, so that an
// upgrade can change what the directory holds and a downgrade cannot
// misread it. A newer Hikyaku migrates an older directory at start (one step
// per version, then FORMAT is rewritten, and it says so); an older Hikyaku
// refuses a directory written by a newer one, naming both versions.
//
// Versions:
//   1  releases before FORMAT existed (a directory with stores but no FORMAT
//      file); the databases keep their own schema versions and migrate
//      themselves when opened, as they always have.
//   2  FORMAT written. The step 1 → 2 changes nothing else.
// A new version adds its step to MIGRATIONS and raises DATA_FORMAT.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, writePrivateFile } from '../domains/private-file.js';

export const DATA_FORMAT = 2;
export const FORMAT_FILE = 'FORMAT';
const LINE = /^hikyaku data format (\d+)$/m;

/** Step from version N to N + 1, keyed by N. */
const MIGRATIONS: Readonly<Record<number, (dataDir: string) => void>> = {
  1: () => undefined,
};

/** A data directory this Hikyaku cannot use; the message says why and what to do, in English and Japanese. */
export class DataFormatError extends Error {
  constructor(
    readonly en: string,
    readonly ja: string,
  ) {
    super(en);
    this.name = 'DataFormatError';
  }
}

/** 'empty' for a directory that does not exist or holds nothing yet. */
export function readDataFormat(dataDir: string): number | 'empty' {
  const file = join(dataDir, FORMAT_FILE);
  if (existsSync(file)) {
    const m = LINE.exec(readFileSync(file, 'utf8'));
    if (m === null) {
      throw new DataFormatError(
        `${file}: not a Hikyaku format file (expected a line "hikyaku data format N"); restore it from a backup, or remove it if this directory is from a release before format files existed`,
        `${file}: Hikyaku のフォーマットファイルではありません (「hikyaku data format N」の行が必要です)。バックアップから戻すか、フォーマットファイル導入前のリリースのディレクトリなら削除してください`,
      );
    }
    return Number(m[1]);
  }
  if (!existsSync(dataDir)) return 'empty';
  return readdirSync(dataDir).length === 0 ? 'empty' : 1;
}

export interface FormatCheck {
  /** The version found (undefined: a new directory). */
  readonly from: number | undefined;
  readonly to: number;
  readonly migrated: boolean;
}

/**
 * Makes `dataDir` the current format: writes FORMAT into a new directory,
 * migrates an older one, refuses a newer one (DataFormatError).
 */
export function ensureDataFormat(dataDir: string): FormatCheck {
  const found = readDataFormat(dataDir);
  if (found === 'empty') {
    ensurePrivateDir(dataDir);
    writeFormat(dataDir, DATA_FORMAT);
    return { from: undefined, to: DATA_FORMAT, migrated: false };
  }
  if (found > DATA_FORMAT) throw newerFormatError(dataDir, found);
  if (found === DATA_FORMAT) return { from: found, to: found, migrated: false };
  for (let v = found; v < DATA_FORMAT; v++) {
    const step = MIGRATIONS[v];
    if (step === undefined) throw new Error(`no migration from data format ${v} to ${v + 1}`);
    step(dataDir);
    // Written after each step: a migration cut short resumes from the last finished step.
    writeFormat(dataDir, v + 1);
  }
  return { from: found, to: DATA_FORMAT, migrated: true };
}

export function newerFormatError(dataDir: string, found: number): DataFormatError {
  return new DataFormatError(
    `the data directory ${dataDir} has format ${found}, written by a newer Hikyaku; this Hikyaku reads format ${DATA_FORMAT} and older. ` +
      `Install the newer Hikyaku again, or use a data directory (or a backup) made by this version.`,
    `データディレクトリ ${dataDir} のフォーマットは ${found} で、より新しい Hikyaku が書いたものです。この Hikyaku が読めるのはフォーマット ${DATA_FORMAT} までです。` +
      `新しい Hikyaku を入れ直すか、このバージョンで作ったデータディレクトリ (またはバックアップ) を使ってください。`,
  );
}

function writeFormat(dataDir: string, version: number): void {
  writePrivateFile(join(dataDir, FORMAT_FILE), `hikyaku data format ${version}\n`);
}
