// `hikyaku service install` / `uninstall`: the system user, the directories
// with tight permissions, a default configuration, the systemd unit, and
// systemctl enable --now. Every step is reported, and so is the way back.
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { defaultConfigYaml } from '../config/schema.js';
import { copiesDir } from './certbot.js';
import { accountExists, SystemActions } from './system-actions.js';
import { renderUnit, UNIT_NAME, UNIT_PATH } from './systemd-unit.js';

export const DEFAULT_USER = 'hikyaku';
export const DEFAULT_CONFIG = '/etc/hikyaku/hikyaku.yaml';
export const DEFAULT_DATA = '/var/lib/hikyaku';

export interface InstallOptions {
  readonly user: string;
  readonly configPath: string;
  readonly dataDir: string;
  readonly nodePath: string;
  readonly cliPath: string;
  /** systemctl enable --now (ignored under --root). */
  readonly enable: boolean;
}

/** The built-in defaults (the commented file `hikyaku init` writes) with the service's data directory. */
export function serviceConfigYaml(dataDir: string): string {
  const doc = parseDocument(defaultConfigYaml);
  doc.setIn(['dataDir'], dataDir);
  return doc.toString();
}

export function install(o: InstallOptions, sys: SystemActions): void {
  const group = o.user;
  if (sys.dryRun || !accountExists('passwd', o.user)) {
    // A system account: no password, no login shell, no home of its own
    // (the data directory is where it writes), its own group of the same name.
    sys.run(['useradd', '--system', '--user-group', '--no-create-home', '--home-dir', o.dataDir, '--shell', '/usr/sbin/nologin', o.user]);
  } else {
    sys.say(`the user ${o.user} exists already: kept`, `ユーザー ${o.user} は既にあるため、そのまま使います`);
  }

  // Data: the queue, users, DKIM keys (0600, written by the server itself): only the service user.
  // An existing one keeps its mode: 0711 may have been set on purpose for `hikyaku sendmail` (README).
  if (sys.exists(o.dataDir)) {
    sys.say(`the data directory ${o.dataDir} exists already: its mode ${sys.modeOf(o.dataDir)} kept`, `データディレクトリ ${o.dataDir} は既にあるため、モード ${sys.modeOf(o.dataDir)} のままにしました`);
  } else {
    sys.directory(o.dataDir, 0o700);
  }
  sys.chown(o.dataDir, o.user, group, true);

  // Configuration: root writes it, the service user may only read it.
  const configDir = dirname(o.configPath);
  sys.directory(configDir, 0o750);
  sys.chown(configDir, 'root', group);
  if (sys.exists(o.configPath)) {
    sys.say(`the configuration ${o.configPath} exists already: kept as it is`, `設定ファイル ${o.configPath} は既にあるため、そのままにしました`);
  } else {
    sys.file(o.configPath, serviceConfigYaml(o.dataDir), 0o640);
    sys.chown(o.configPath, 'root', group);
  }

  sys.file(UNIT_PATH, renderUnit({ user: o.user, group, nodePath: o.nodePath, cliPath: o.cliPath, configPath: o.configPath, dataDir: o.dataDir }), 0o644);
  sys.run(['systemctl', 'daemon-reload']);
  if (o.enable || sys.dryRun) sys.run(['systemctl', 'enable', '--now', UNIT_NAME]);
  else sys.say(`not enabled (--no-enable): start it with "systemctl enable --now ${UNIT_NAME}"`, `有効化していません (--no-enable)。"systemctl enable --now ${UNIT_NAME}" で起動できます`);
}

export interface UninstallOptions {
  readonly user: string;
  readonly configPath: string;
  readonly dataDir: string;
  /** Also delete the data directory (queue, users, keys), the configuration and the user. */
  readonly purge: boolean;
}

export function uninstall(o: UninstallOptions, sys: SystemActions): void {
  if (sys.dryRun || sys.exists(UNIT_PATH)) sys.run(['systemctl', 'disable', '--now', UNIT_NAME]);
  sys.remove(UNIT_PATH);
  sys.run(['systemctl', 'daemon-reload']);
  if (!o.purge) {
    sys.say(
      `kept ${o.dataDir} (queue, users, DKIM keys), ${o.configPath} and the user ${o.user}; "hikyaku service uninstall --purge" deletes them`,
      `${o.dataDir} (キュー・ユーザー・DKIM 鍵)、${o.configPath}、ユーザー ${o.user} は残しました。"hikyaku service uninstall --purge" で削除します`,
    );
    return;
  }
  // Only what is recognisably ours: a mistyped --data /var/lib or --config /etc/x.yaml must not empty a system folder.
  if (looksLikeDataDir(sys, o.dataDir)) sys.remove(o.dataDir);
  else if (sys.exists(o.dataDir)) sys.say(`${o.dataDir} does not look like a Hikyaku data directory (no users.db): not deleted`, `${o.dataDir} は Hikyaku のデータディレクトリに見えないため (users.db がない)、削除していません`);
  sys.remove(o.configPath);
  sys.remove(copiesDir(o.configPath));
  const configDir = dirname(o.configPath);
  if (sys.exists(configDir) && readdirSync(sys.path(configDir)).length === 0) sys.remove(configDir);
  if (sys.dryRun || accountExists('passwd', o.user)) sys.run(['userdel', o.user]);
}

/** A directory named for Hikyaku, or one holding its user store. */
function looksLikeDataDir(sys: SystemActions, dataDir: string): boolean {
  if (!sys.exists(dataDir)) return false;
  return /hikyaku/i.test(basename(dataDir)) || existsSync(join(sys.path(dataDir), 'users.db'));
}
