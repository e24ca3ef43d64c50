// `hikyaku backup FILE [--passphrase-file F]` and
// `hikyaku restore FILE [--data-dir DIR] [--config FILE] [--passphrase-file F] [--force]`
// (src/backup/). The backup is taken while the server runs; without a
// passphrase the file holds the private keys in the clear and says so.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { parseArgs } from 'node:util';
import { BackupError, writeArchive } from '../backup/archive.js';
import { restoreBackup } from '../backup/restore.js';
import { STAGING_PREFIX, snapshotDataDir } from '../backup/snapshot.js';
import type { Config } from '../config/types.js';
import { DataFormatError, readDataFormat } from '../storage/data-format.js';
import { describeConfigError } from './config-errors.js';
import { chooseConfig } from './config-source.js';
import { chooseLang } from './language.js';

const usage = {
  en: `usage: hikyaku backup FILE [--passphrase-file F] [--config FILE]
       hikyaku restore FILE [--data-dir DIR] [--config FILE] [--passphrase-file F] [--force]`,
  ja: `使い方: hikyaku backup ファイル [--passphrase-file F] [--config ファイル]
        hikyaku restore ファイル [--data-dir DIR] [--config ファイル] [--passphrase-file F] [--force]`,
};

type Say = (en: string, ja: string) => void;

export async function runBackupCommand(command: 'backup' | 'restore', args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        lang: { type: 'string' },
        'passphrase-file': { type: 'string' },
        'data-dir': { type: 'string' },
        force: { type: 'boolean', default: false },
      },
      allowPositionals: true,
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage.en}\n${usage.ja}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const lang = chooseLang(values.lang);
  const say: Say = (en, ja) => void process.stdout.write((lang === 'ja' ? ja : en) + '\n');
  const fail = (en: string, ja: string): number => {
    process.stderr.write(`hikyaku ${command}: ${lang === 'ja' ? ja : en}\n`);
    return 1;
  };
  const file = positionals[0];
  if (file === undefined || positionals.length > 1 || (command === 'backup' && (values['data-dir'] !== undefined || values.force))) {
    process.stderr.write(`${usage[lang]}\n`);
    return 2;
  }
  let passphrase: string | undefined;
  if (values['passphrase-file'] !== undefined) {
    const read = readPassphrase(values['passphrase-file']);
    if (typeof read !== 'string') return fail(read.en, read.ja);
    passphrase = read;
  }
  try {
    if (command === 'restore') return await restore(resolve(file), values['data-dir'], values.config, passphrase, values.force === true, say);
    let choice;
    try {
      choice = await chooseConfig(values.config);
    } catch (err) {
      process.stderr.write(describeConfigError(err) + '\n');
      return 2;
    }
    const configFile = choice.source === 'built-in defaults' ? undefined : choice.source;
    return await backup(resolve(file), choice.config, configFile, passphrase, say);
  } catch (err) {
    if (err instanceof BackupError || err instanceof DataFormatError) return fail(err.en, err.ja);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      const path = (err as NodeJS.ErrnoException).path ?? '';
      return fail(`no permission for ${path}: run it as root or as the server's user (sudo -u hikyaku …)`, `${path} への権限がありません。root かサーバーのユーザー (sudo -u hikyaku …) で実行してください`);
    }
    throw err;
  }
}

function readPassphrase(path: string): string | { en: string; ja: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    return { en: `--passphrase-file ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, ja: `--passphrase-file ${path}: 読めません (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  if ([...text].length < 8) return { en: `--passphrase-file ${path}: the passphrase must be at least 8 characters`, ja: `--passphrase-file ${path}: パスフレーズは 8 文字以上にしてください` };
  return text;
}

async function backup(file: string, config: Config, configFile: string | undefined, passphrase: string | undefined, say: Say): Promise<number> {
  const dataFormat = readDataFormat(config.dataDir);
  if (dataFormat === 'empty') throw new BackupError(`the data directory ${config.dataDir} is empty or missing: nothing to back up (is --config the server's?)`, `データディレクトリ ${config.dataDir} が空か存在しません。バックアップするものがありません (--config はサーバーのものですか?)`);
  const outside = [config.tls.certFile, config.tls.keyFile].filter((f): f is string => f !== undefined && !isInside(config.dataDir, f));
  // Inside the data directory: the plain copies of the keys never leave the directory that already holds them.
  const staging = mkdtempSync(join(config.dataDir, STAGING_PREFIX));
  try {
    const { entries, manifest } = await snapshotDataDir({ dataDir: resolve(config.dataDir), dataFormat, hostname: config.hostname, configFile, outside, exclude: [file], stagingDir: staging });
    await writeArchive(file, entries, passphrase);
    const mib = (statSync(file).size / 1_048_576).toFixed(1);
    const files = entries.filter((e) => !e.dir).length;
    say(`Backup written: ${file} (${files} files, ${manifest.databases.length} databases, ${mib} MiB)`, `バックアップを書き出しました: ${file} (${files} ファイル、データベース ${manifest.databases.length} 個、${mib} MiB)`);
    if (passphrase === undefined) say('Not encrypted: it holds the DKIM and TLS private keys in the clear. Keep it safe, or use --passphrase-file.', '暗号化していません: DKIM と TLS の秘密鍵がそのまま入っています。安全に保管するか、--passphrase-file を使ってください。');
    else say('Encrypted (AES-256-GCM, key from the passphrase by scrypt): keep the passphrase apart from the file.', '暗号化しました (AES-256-GCM、鍵はパスフレーズから scrypt で導出)。パスフレーズはファイルと別に保管してください。');
    if (configFile === undefined) say('No configuration file was in use (built-in defaults): none is in the backup.', '設定ファイルを使っていないため (既定値)、バックアップに設定ファイルは入っていません。');
    for (const f of outside) say(`Not in the backup (outside the data directory): ${f}`, `バックアップに含まれないファイル (データディレクトリの外): ${f}`);
    return 0;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function restore(file: string, dataDir: string | undefined, configFile: string | undefined, passphrase: string | undefined, force: boolean, say: Say): Promise<number> {
  const r = await restoreBackup({ file, dataDir, configFile, passphrase, force });
  const made = new Date(r.manifest.createdAtMs).toISOString();
  say(`Restored the backup of ${r.manifest.hostname} (made ${made} on ${r.manifest.machine}) into ${r.dataDir}`, `${r.manifest.hostname} のバックアップ (${made}、${r.manifest.machine} で作成) を ${r.dataDir} に復元しました`);
  if (r.configFile !== undefined) say(`Configuration: ${r.configFile}${r.dataDirRewritten ? ` (dataDir changed to ${r.dataDir})` : ''}`, `設定ファイル: ${r.configFile}${r.dataDirRewritten ? ` (dataDir を ${r.dataDir} に変更)` : ''}`);
  for (const a of r.movedAside) say(`Moved aside (--force): ${a}`, `退避しました (--force): ${a}`);
  for (const f of r.manifest.outside) say(`Not in the backup, copy it yourself: ${f}`, `バックアップに含まれていないため、別途コピーしてください: ${f}`);
  if (process.getuid?.() === 0) say('Restored as root: give the files to the service user before starting (chown -R hikyaku: ' + r.dataDir + ').', 'root で復元しました。起動前にサービスのユーザーに渡してください (chown -R hikyaku: ' + r.dataDir + ')。');
  say(`Next: hikyaku start --config ${r.configFile ?? '…'} (or systemctl start hikyaku); queued mail is delivered from there.`, `次に: hikyaku start --config ${r.configFile ?? '…'} (または systemctl start hikyaku)。キューのメールはそこから配信されます。`);
  return 0;
}

function isInside(dir: string, file: string): boolean {
  const rel = relative(resolve(dir), resolve(file));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
