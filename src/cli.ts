#!/usr/bin/env -S node --max-semi-space-size=4 --no-memory-reducer
// The `hikyaku` command: dispatches to one module per subcommand.
//
// The flags on the first line are the server's V8 flags: why each, and every
// other place that starts the server, in core/node-flags.ts.
import { once } from 'node:events';
import { writeFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { chooseLang, type Lang } from './cli/language.js';
import { chooseConfig } from './cli/config-source.js';
import { describeConfigError } from './cli/config-errors.js';
import { runStartCommand } from './cli/start-command.js';
import { runUserCommand } from './cli/user-command.js';
import { runQueueCommand } from './cli/queue-command.js';
import { runMigrateCommand } from './cli/migrate-command.js';
import { runStoreCommand } from './cli/store-command.js';
import { runDomainCommand } from './cli/domain-command.js';
import { runDoctorCommand } from './cli/doctor-command.js';
import { runSuppressionCommand } from './cli/suppression-command.js';
import { runApiKeyCommand } from './cli/apikey-command.js';
import { runSendmailCommand } from './cli/sendmail-command.js';
import { runServiceCommand } from './cli/service-command.js';
import { runTlsCommand } from './cli/tls-command.js';
import { runAdminCommand } from './cli/admin-command.js';

import { runHistoryCommand } from './cli/history-command.js';
import { runStatusCommand } from './cli/status-command.js';
import { runBackupCommand } from './cli/backup-command.js';
import { DATA_FORMAT, newerFormatError, readDataFormat } from './storage/data-format.js';
import { runTlsRptCommand } from './cli/tlsrpt-command.js';
import { runWarmupCommand } from './cli/warmup-command.js';
import { defaultConfigYaml } from './config/schema.js';

const help: Record<Lang, string> = {
  en: `Hikyaku — an outgoing mail server

usage: hikyaku <command> [options]   (every command takes --config FILE and --lang ja|en)

  start [--config FILE]            run the server in the foreground (SIGTERM stops it cleanly)
        [--data-dir DIR] [--submission-listen HOST:PORT|off] [--submissions-listen HOST:PORT|off]
        [--relay-listen HOST:PORT|off] [--http-listen HOST:PORT|off] [--relayhost HOST:PORT] [--log-level LEVEL]
        [--log-format auto|json|pretty]   (auto: readable lines on a terminal, JSON in files and pipes)
                                   (SIGHUP re-reads the certificate and log.level; README: Production)
  init [FILE]                      write a commented configuration file (default ./hikyaku.yaml)
  check-config                     validate the configuration and print every problem
  user add|passwd ADDRESS          add a user / change a password (prompted, or --password-stdin)
  user list | user remove ADDRESS | user show ADDRESS (settings, app passwords, usage against limits)
  user set ADDRESS [--may-send-as PATTERN]… [--sender-check on|off] [--messages-per-hour N] …
  user app-password add ADDRESS --label LABEL [--network CIDR]… | list ADDRESS | revoke ADDRESS LABEL
  user unflag ADDRESS [--app-password LABEL]   lift the compromised-account brake, send the held mail
  user setup ADDRESS               the settings for a mail client or WordPress (server, port, TLS, username)
  queue list [--json] [--to ADDRESS] | show ID | retry ID|--all | hold ID | release ID | delete ID
  queue providers [--json]                  provider groups, their limits and back-off state (slowed, suspended)
  warmup status [--json]                    IP warm-up per provider group: day, sent today / allowed, next day
  queue list --quarantined         queue entries that failed validation (PostgreSQL store), with the reason
  migrate                          create or upgrade the PostgreSQL queue schema (store: postgres://…)
  store export FILE | import FILE  move the queue between the embedded store and PostgreSQL (stop the servers first)
  history ADDRESS|ID [--json] [--limit N]   recent mail from or to ADDRESS (delivered and bounced too),
                                   or one message with every attempt, the remote reply and what it means
  domain add NAME [--ed25519] | list | show NAME | remove NAME | rotate-key NAME
        | activate-key NAME [SELECTOR] [--force] | retire-key NAME SELECTOR [--force]
                                   sending domains, DKIM keys (pending → active → retiring) and the DNS records to publish
  doctor [DOMAIN] [--json]         check SPF, DKIM, DMARC, PTR, TLS and more, live
  suppression list | add ADDRESS [--for 30d] | remove ADDRESS | purge   hard-bounced recipients, refused at RCPT
  apikey create USER [--label NAME] | list [USER] | revoke USER LABEL|ID   keys for the HTTP API (shown once)
  sendmail [-t] [-i|-oi] [-f SENDER] [-F NAME] [RCPT…]   queue a message read from stdin (/usr/sbin/sendmail)
  service install [--user U] [--config FILE] [--data DIR] [--no-enable] | uninstall [--purge]   (--root DIR: write under DIR only)
                                   run as a systemd service under its own unprivileged user
  tls use-certbot DOMAIN           use certbot's Let's Encrypt certificate; renewals load without a restart
  admin add NAME [--totp] | list | remove NAME | passwd NAME | totp NAME on|off   web console admins (/console/)
  status [--json]                  ask the running server how it is; exit 0 ok, 1 warning, 2 critical, 3 not running
  backup FILE [--passphrase-file F]   consistent snapshot of the data directory and configuration, server running
  restore FILE [--data-dir DIR] [--config FILE] [--passphrase-file F] [--force]   bring a backup back (another machine)
  tlsrpt report [--date YYYY-MM-DD] [--dry-run]   send (or print) a day's TLS-RPT reports (RFC 8460)

Configuration: --config FILE, else $HIKYAKU_CONFIG, else ./hikyaku.yaml, else built-in defaults.`,
  ja: `Hikyaku (飛脚) — 送信メールサーバ

使い方: hikyaku <コマンド> [オプション]   (全コマンド共通: --config ファイル, --lang ja|en)

  start [--config ファイル]         サーバを起動します (SIGTERM で安全に停止)
        [--data-dir DIR] [--submission-listen HOST:PORT|off] [--submissions-listen HOST:PORT|off]
        [--relay-listen HOST:PORT|off] [--http-listen HOST:PORT|off] [--relayhost HOST:PORT] [--log-level LEVEL]
        [--log-format auto|json|pretty]   (auto: 端末では読みやすい行、ファイルやパイプでは JSON)
                                   (SIGHUP で証明書と log.level を再読み込み。README「本番運用」参照)
  init [ファイル]                   説明付きの設定ファイルを書き出します (既定 ./hikyaku.yaml)
  check-config                     設定を検査し、問題をすべて表示します
  user add|passwd アドレス          ユーザー追加 / パスワード変更 (入力を求めます。--password-stdin も可)
  user list | user remove アドレス | user show アドレス (設定・アプリパスワード・送信数と上限)
  user set アドレス [--may-send-as パターン]… [--sender-check on|off] [--messages-per-hour N] …
  user app-password add アドレス --label ラベル [--network CIDR]… | list アドレス | revoke アドレス ラベル
  user unflag アドレス [--app-password ラベル]   乗っ取り対策ブレーキを解除し、保留中のメールを送信
  user setup アドレス               メールソフトや WordPress に入力する設定 (サーバー、ポート、暗号化、ユーザー名)
  queue list [--json] [--to アドレス] | show ID | retry ID|--all | hold ID | release ID | delete ID
  queue providers [--json]                  事業者グループと上限、自動減速の状態 (減速中・停止中)
  warmup status [--json]                    事業者グループごとの IP ウォームアップ: 何日目か、本日の送信数 / 上限、翌日
  queue list --quarantined         検査に失敗して隔離したキューの項目と理由 (PostgreSQL ストア)
  migrate                          PostgreSQL のキューのスキーマを作成・更新 (store: postgres://…)
  store export ファイル | import ファイル  組み込みストアと PostgreSQL の間でキューを移す (先にサーバーを停止)
  history アドレス|ID [--json] [--limit N]   アドレスとやりとりした最近のメール (配信済み・失敗も)、
                                   または 1 通の全配信記録と相手の応答、その意味と対応
  domain add ドメイン [--ed25519] | list | show ドメイン | remove ドメイン | rotate-key ドメイン
        | activate-key ドメイン [セレクタ] [--force] | retire-key ドメイン セレクタ [--force]
                                   送信ドメイン、DKIM 鍵 (有効化待ち → 使用中 → 退役中)、公開すべき DNS レコード
  doctor [ドメイン] [--json]        SPF・DKIM・DMARC・PTR・TLS などを実際に確認します
  suppression list | add アドレス [--for 30d] | remove アドレス | purge   ハードバウンスした宛先 (送信抑止リスト)
  apikey create ユーザー [--label 名前] | list [ユーザー] | revoke ユーザー ラベル|ID   HTTP API のキー (表示は一度だけ)
  sendmail [-t] [-i|-oi] [-f 送信者] [-F 名前] [宛先…]   標準入力のメッセージをキューへ (/usr/sbin/sendmail として)
  service install [--user U] [--config ファイル] [--data DIR] [--no-enable] | uninstall [--purge]   (--root DIR: DIR の下にだけ書く)
                                   専用の非特権ユーザーで systemd サービスとして動かします
  tls use-certbot ドメイン          certbot の Let's Encrypt 証明書を使います (更新は再起動なしで反映)
  admin add 名前 [--totp] | list | remove 名前 | passwd 名前 | totp 名前 on|off   Web コンソール (/console/) の管理者
  status [--json]                  起動中のサーバーの状態。終了ステータス 0 正常、1 警告、2 重大、3 停止中
  backup ファイル [--passphrase-file F]   データディレクトリと設定の一貫したバックアップ (起動中でも可)
  restore ファイル [--data-dir DIR] [--config ファイル] [--passphrase-file F] [--force]   バックアップを戻す (別のマシンにも)
  tlsrpt report [--date YYYY-MM-DD] [--dry-run]   その日の TLS-RPT レポート (RFC 8460) を送る (または表示する)

設定ファイル: --config、なければ $HIKYAKU_CONFIG、なければ ./hikyaku.yaml、なければ既定値。`,
};

/** Pull out the options every command shares, leaving the rest to the command. */
function commonOptions(args: string[]): { config: string | undefined; lang: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let config: string | undefined;
  let lang: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--config' || arg === '-c') config = args[++i];
    else if (arg.startsWith('--config=')) config = arg.slice('--config='.length);
    else if (arg === '--lang') lang = args[++i];
    else if (arg.startsWith('--lang=')) lang = arg.slice('--lang='.length);
    else rest.push(arg);
  }
  return { config, lang, rest };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === 'start') return runStartCommand(args);
  // These take --config as the file to write, not one to load.
  if (command === 'service') return runServiceCommand(args);
  if (command === 'tls') return runTlsCommand(args);
  if (command === 'backup' || command === 'restore') return runBackupCommand(command, args);
  const { config: configFlag, lang: langFlag, rest } = commonOptions(args);
  const lang = chooseLang(langFlag);
  const out = (line: string): void => void process.stdout.write(line + '\n');

  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    out(help[lang]);
    return command === undefined ? 2 : 0;
  }
  if (command === 'init') {
    const target = resolve(rest[0] ?? 'hikyaku.yaml');
    if (existsSync(target)) {
      process.stderr.write(lang === 'ja' ? `${target} は既にあります。上書きしません。\n` : `${target} already exists; not overwriting it.\n`);
      return 1;
    }
    writeFileSync(target, defaultConfigYaml, { mode: 0o600 });
    out(lang === 'ja' ? `設定ファイルを書き出しました: ${target}` : `Wrote ${target}`);
    return 0;
  }

  let config;
  try {
    config = (await chooseConfig(configFlag)).config;
  } catch (err) {
    process.stderr.write(describeConfigError(err) + '\n');
    // For `status`, 2 means "critical" to a monitoring system: a configuration it cannot read is "unknown".
    return command === 'status' ? 3 : 2;
  }
  // A pipe takes output more slowly than a long listing makes it: commands
  // that print a page at a time wait for it to drain (queue list).
  const drained = (): Promise<void> => (process.stdout.writableNeedDrain ? once(process.stdout, 'drain').then(() => undefined) : Promise.resolve());
  const ctx = { config, lang, out, drained };
  // A data directory of a newer Hikyaku: its stores are not ours to open (storage/data-format.ts).
  if (['user', 'queue', 'history', 'domain', 'suppression', 'apikey', 'admin', 'sendmail'].includes(command)) {
    const format = readDataFormat(config.dataDir);
    if (format !== 'empty' && format > DATA_FORMAT) {
      const refusal = newerFormatError(config.dataDir, format);
      process.stderr.write(`hikyaku: ${lang === 'ja' ? refusal.ja : refusal.en}\n`);
      return 1;
    }
  }
  switch (command) {
    case 'check-config':
      out(lang === 'ja' ? '設定に問題はありません。' : 'The configuration is valid.');
      return 0;
    case 'user':
      return runUserCommand(rest, ctx);
    case 'queue':
      return runQueueCommand(rest, ctx);
    case 'migrate':
      return runMigrateCommand(ctx);
    case 'store':
      return runStoreCommand(rest, ctx);
    case 'history':
      return runHistoryCommand(rest, ctx);
    case 'warmup':
      return runWarmupCommand(rest, ctx);
    case 'domain':
      return runDomainCommand(rest, ctx);
    case 'suppression':
      return runSuppressionCommand(rest, ctx);
    case 'apikey':
      return runApiKeyCommand(rest, ctx);
    case 'sendmail':
      return runSendmailCommand(rest, { config });
    case 'admin':
      return runAdminCommand(rest, ctx);
    case 'doctor':
      return runDoctorCommand(rest, { ...ctx, isTty: process.stdout.isTTY === true });
    case 'status':
      return runStatusCommand(rest, ctx);
    case 'tlsrpt':
      return runTlsRptCommand(rest, ctx);
    default:
      process.stderr.write((lang === 'ja' ? `不明なコマンドです: ${command}\n\n` : `unknown command: ${command}\n\n`) + help[lang] + '\n');
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`hikyaku: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
