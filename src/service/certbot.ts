// `hikyaku tls use-certbot DOMAIN`: use a Let's Encrypt certificate that
// certbot renews. certbot keeps the private key root-only
// (/etc/letsencrypt/archive is 0700), and Hikyaku runs as its own user, so a
// deploy hook copies each renewed pair into /etc/hikyaku/tls (0640
// root:hikyaku) and reloads the service; the configuration points there.
// The server also polls the files (src/tls/certificates.ts), so the reload is
// only what makes the switch immediate.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import type { SystemActions } from './system-actions.js';

export const HOOK_PATH = '/etc/letsencrypt/renewal-hooks/deploy/hikyaku';

export interface CertbotOptions {
  readonly domain: string;
  readonly configPath: string;
  /** The group that may read the copied key: the service user's group. */
  readonly group: string;
}

export function liveDir(domain: string): string {
  return `/etc/letsencrypt/live/${domain}`;
}

/** Where the copies the service reads are kept: beside the configuration. */
export function copiesDir(configPath: string): string {
  return join(dirname(configPath), 'tls');
}

const shellWord = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The deploy hook. certbot runs every deploy hook after each renewal with
 * RENEWED_LINEAGE=/etc/letsencrypt/live/<name>; this one acts only for our
 * domain. HIKYAKU_TLS_DIR overrides the destination (tests).
 */
export function renderDeployHook(o: CertbotOptions): string {
  // It goes inside double quotes in the script: no characters the shell would expand there.
  if (!/^[\w./@+-]+$/.test(copiesDir(o.configPath))) throw new Error(`${o.configPath}: use a configuration path of letters, digits and . _ - / only (it is written into a shell script)`);
  return `#!/bin/sh
# Written by "hikyaku tls use-certbot ${o.domain}". certbot runs it after each renewal:
# it copies the new certificate and key where the hikyaku user can read them
# (the originals under /etc/letsencrypt are root-only) and tells Hikyaku to load them.
set -eu
domain=${shellWord(o.domain)}
group=${shellWord(o.group)}
dest="\${HIKYAKU_TLS_DIR:-${copiesDir(o.configPath)}}"
lineage="\${RENEWED_LINEAGE:-/etc/letsencrypt/live/$domain}"
[ "$(basename "$lineage")" = "$domain" ] || exit 0

umask 077
mkdir -p "$dest"
chgrp "$group" "$dest"
chmod 0750 "$dest"
for f in fullchain.pem privkey.pem; do
  # Copy, then rename: the server never sees half a file.
  cp -L "$lineage/$f" "$dest/.$f.new"
  chgrp "$group" "$dest/.$f.new"
  chmod 0640 "$dest/.$f.new"
  mv -f "$dest/.$f.new" "$dest/$f"
done
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet hikyaku; then
  systemctl reload hikyaku
fi
`;
}

/** Point tls.certFile/keyFile at the copies, keeping the file's comments and layout. */
export function withCertificatePaths(yamlText: string, certFile: string, keyFile: string): string {
  const doc = parseDocument(yamlText);
  if (doc.errors.length > 0) throw new Error(`cannot parse it as YAML: ${doc.errors[0]?.message ?? ''}`);
  doc.setIn(['tls', 'certFile'], certFile);
  doc.setIn(['tls', 'keyFile'], keyFile);
  return doc.toString();
}

export function useCertbot(o: CertbotOptions, sys: SystemActions): void {
  if (!sys.exists(o.configPath)) {
    throw new Error(`the configuration ${o.configPath} does not exist: run "hikyaku service install" first, or give --config FILE / 設定ファイルがありません`);
  }
  const dest = copiesDir(o.configPath);
  const text = readFileSync(sys.path(o.configPath), 'utf8');
  let updated: string;
  try {
    updated = withCertificatePaths(text, join(dest, 'fullchain.pem'), join(dest, 'privkey.pem'));
  } catch (err) {
    throw new Error(`${o.configPath}: ${(err as Error).message}`);
  }
  sys.file(HOOK_PATH, renderDeployHook(o), 0o755);
  const live = liveDir(o.domain);
  if (!sys.exists(join(live, 'fullchain.pem'))) {
    // The configuration is left alone: pointing it at files that do not exist yet would stop the next start.
    sys.say(
      `no certificate yet in ${live}: get one (port 80 open) with: certbot certonly --standalone -d ${o.domain} --deploy-hook ${HOOK_PATH} — then run this command again`,
      `${live} に証明書がまだありません。80 番ポートを開けて次のコマンドで取得し、このコマンドをもう一度実行してください: certbot certonly --standalone -d ${o.domain} --deploy-hook ${HOOK_PATH}`,
    );
    return;
  }
  // The first copy: the same script certbot will run after each renewal.
  sys.run([HOOK_PATH]);
  sys.file(o.configPath, updated, 0o640);
  sys.chown(o.configPath, 'root', o.group);
  sys.say(
    `set tls.certFile and tls.keyFile to ${dest}/fullchain.pem and privkey.pem; a running server needs one restart for the new paths: systemctl restart hikyaku`,
    `tls.certFile と tls.keyFile を ${dest}/fullchain.pem と privkey.pem にしました。動作中のサーバーは新しいパスのために一度だけ再起動が必要です: systemctl restart hikyaku`,
  );
}
