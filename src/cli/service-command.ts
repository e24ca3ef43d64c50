// `hikyaku service install|uninstall`: run Hikyaku under systemd as its own
// unprivileged user (src/service/). Prints what it did and how to undo it.
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG, DEFAULT_DATA, DEFAULT_USER, install, uninstall } from '../service/service-install.js';
import { UNIT_PATH } from '../service/systemd-unit.js';
import { parseSystemArgs, printReport, systemActions } from './system-command.js';

const usage = {
  en: `usage: hikyaku service install [--user hikyaku] [--config ${DEFAULT_CONFIG}] [--data ${DEFAULT_DATA}] [--root DIR] [--no-enable]
       hikyaku service uninstall [--purge] [--user hikyaku] [--config FILE] [--data DIR] [--root DIR]
  --root DIR   write every file under DIR and run no system command (shows what it would run)`,
  ja: `使い方: hikyaku service install [--user hikyaku] [--config ${DEFAULT_CONFIG}] [--data ${DEFAULT_DATA}] [--root DIR] [--no-enable]
        hikyaku service uninstall [--purge] [--user hikyaku] [--config ファイル] [--data DIR] [--root DIR]
  --root DIR   すべてのファイルを DIR の下に書き、システムコマンドは実行しません (実行する内容を表示)`,
};

/** The built cli.js beside this module's folder: what the unit's ExecStart runs. */
function builtCli(): string {
  return fileURLToPath(new URL('../cli.js', import.meta.url));
}

export async function runServiceCommand(args: string[]): Promise<number> {
  const err = (line: string): void => void process.stderr.write(line + '\n');
  const parsed = parseSystemArgs(
    'service',
    args,
    {
      user: { type: 'string', default: DEFAULT_USER },
      data: { type: 'string', default: DEFAULT_DATA },
      'no-enable': { type: 'boolean', default: false },
      purge: { type: 'boolean', default: false },
    },
    `${usage.en}\n\n${usage.ja}`,
  );
  if (parsed === undefined) return 2;
  const { values, positionals } = parsed;
  const action = positionals[0];
  if (action !== 'install' && action !== 'uninstall') {
    err(`${usage.en}\n\n${usage.ja}`);
    return 2;
  }
  const problems: string[] = [];
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(values.user)) problems.push(`--user "${values.user}": not a valid user name (lower-case letters, digits, _ and -) / ユーザー名として使えません`);
  for (const [flag, value] of [['--config', values.config], ['--data', values.data]] as const) {
    if (!isAbsolute(value)) problems.push(`${flag} "${value}": give an absolute path (the service does not run in this folder) / 絶対パスで指定してください`);
  }
  if (problems.length > 0) {
    for (const p of problems) err(`hikyaku service: ${p}`);
    return 2;
  }
  const sys = systemActions('service', values.root);
  if (sys === undefined) return 2;
  const cliPath = builtCli();
  try {
    if (action === 'install') {
      if (!existsSync(cliPath)) {
        err(`hikyaku service: ${cliPath} does not exist: build first (npm run build) or install the package (npm install -g) / 先にビルドしてください`);
        return 1;
      }
      install({ user: values.user, configPath: values.config, dataDir: values.data, nodePath: realpathSync(process.execPath), cliPath: realpathSync(cliPath), enable: !values['no-enable'] }, sys);
    } else {
      uninstall({ user: values.user, configPath: values.config, dataDir: values.data, purge: values.purge }, sys);
    }
  } catch (e) {
    printReport(sys, []);
    err(`hikyaku service ${action}: ${(e as Error).message}`);
    return 1;
  }
  const undo =
    action === 'install'
      ? [
          { en: `Undo: hikyaku service uninstall${values.root ? ` --root ${values.root}` : ''} (keeps data and configuration; add --purge to delete them and the user)`, ja: `元に戻す: hikyaku service uninstall (データと設定は残します。--purge でそれらとユーザーも削除)` },
          { en: `Logs: journalctl -u hikyaku -o cat · reload the certificate and settings: systemctl reload hikyaku · unit: ${UNIT_PATH}`, ja: `ログ: journalctl -u hikyaku -o cat ・ 証明書と設定の再読み込み: systemctl reload hikyaku` },
        ]
      : [{ en: 'Undo: hikyaku service install (same options)', ja: '元に戻す: hikyaku service install (同じオプションで)' }];
  printReport(sys, undo);
  return 0;
}
