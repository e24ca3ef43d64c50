// `hikyaku tls use-certbot DOMAIN`: a Let's Encrypt certificate renewed by
// certbot, picked up without a restart (src/service/certbot.ts).
import { isAbsolute } from 'node:path';
import { HOOK_PATH, useCertbot } from '../service/certbot.js';
import { DEFAULT_CONFIG, DEFAULT_USER } from '../service/service-install.js';
import { parseSystemArgs, printReport, systemActions } from './system-command.js';

const usage = `usage: hikyaku tls use-certbot DOMAIN [--config ${DEFAULT_CONFIG}] [--group ${DEFAULT_USER}] [--root DIR]
使い方: hikyaku tls use-certbot ドメイン [--config ${DEFAULT_CONFIG}] [--group ${DEFAULT_USER}] [--root DIR]`;

export async function runTlsCommand(args: string[]): Promise<number> {
  const err = (line: string): void => void process.stderr.write(line + '\n');
  const parsed = parseSystemArgs('tls', args, { group: { type: 'string', default: DEFAULT_USER } }, usage);
  if (parsed === undefined) return 2;
  const { values, positionals } = parsed;
  const [action, domain] = positionals;
  if (action !== 'use-certbot' || domain === undefined || positionals.length !== 2) {
    err(usage);
    return 2;
  }
  // A domain name as certbot names its lineage directory: no slashes, no dot-dot.
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(domain)) {
    err(`hikyaku tls: "${domain}" is not a domain name like mail.example.com / ドメイン名 (例: mail.example.com) を指定してください`);
    return 2;
  }
  if (!isAbsolute(values.config)) {
    err(`hikyaku tls: --config "${values.config}": give an absolute path / 絶対パスで指定してください`);
    return 2;
  }
  const sys = systemActions('tls', values.root);
  if (sys === undefined) return 2;
  try {
    useCertbot({ domain: domain.toLowerCase(), configPath: values.config, group: values.group }, sys);
  } catch (e) {
    printReport(sys, []);
    err(`hikyaku tls use-certbot: ${(e as Error).message}`);
    return 1;
  }
  printReport(sys, [
    {
      en: `Renewals: certbot runs ${HOOK_PATH} after each one; Hikyaku loads the new certificate without a restart. Undo: remove the hook and the tls: lines of ${values.config}.`,
      ja: `更新: certbot は更新のたびに ${HOOK_PATH} を実行し、Hikyaku は再起動なしで新しい証明書を読み込みます。元に戻す: フックを削除し、${values.config} の tls: の行を消してください。`,
    },
  ]);
  return 0;
}
