// `hikyaku admin add|list|remove|passwd|totp`: the web console's admins, in
// <dataDir>/console.db (admins/admin-database.ts). Works while the server
// runs; removing an admin or changing the password ends their sessions.
import { parseArgs } from 'node:util';
import { openAdminDatabase } from '../admins/admin-database.js';
import { AdminError, checkAdminName } from '../admins/admin-store.js';
import { newTotpSecret, totpUri } from '../admins/totp.js';
import { MIN_PASSWORD_LENGTH } from '../users/user-store.js';
import { hashPassword } from '../users/password.js';
import type { Bilingual } from './language.js';
import { promptPassword, readPasswordFromStdin } from './read-password.js';
import type { CommandContext } from './user-command.js';

const text = {
  usage: {
    en: `usage: hikyaku admin add NAME [--totp] [--password-stdin]   an admin of the web console (/console/ on the HTTP listener)
       hikyaku admin list
       hikyaku admin remove NAME
       hikyaku admin passwd NAME [--password-stdin]
       hikyaku admin totp NAME on|off                        the second factor (an authenticator app's 6-digit code)`,
    ja: `使い方: hikyaku admin add 名前 [--totp] [--password-stdin]   Web コンソール (HTTP リスナーの /console/) の管理者を追加
        hikyaku admin list
        hikyaku admin remove 名前
        hikyaku admin passwd 名前 [--password-stdin]
        hikyaku admin totp 名前 on|off                        二段階認証 (認証アプリの 6 桁コード) の設定`,
  },
  badOption: { en: 'Invalid arguments: {0}', ja: '引数が正しくありません: {0}' },
  prompt: { en: 'Password for admin {0}: ', ja: '管理者 {0} のパスワード: ' },
  weak: {
    en: 'The password is too short: use at least {0} characters (a passphrase of several words is easiest to remember).',
    ja: 'パスワードが短すぎます。{0} 文字以上にしてください（いくつかの単語をつないだフレーズが覚えやすくおすすめです）。',
  },
  added: { en: 'Added admin {0}. Log in at http://HOST:PORT/console/ (the HTTP listener).', ja: '管理者 {0} を追加しました。HTTP リスナーの /console/ からログインできます。' },
  changed: { en: 'Changed the password of {0}; their open sessions were ended.', ja: '{0} のパスワードを変更しました。ログイン中のセッションは終了しました。' },
  removed: { en: 'Removed admin {0}; their open sessions were ended.', ja: '管理者 {0} を削除しました。ログイン中のセッションは終了しました。' },
  none: { en: 'There are no admins yet. Add one with: hikyaku admin add NAME', ja: '管理者はまだいません。追加するには: hikyaku admin add 名前' },
  header: { en: 'NAME\tTOTP\tCREATED', ja: '名前\t二段階認証\t作成日時' },
  on: { en: 'on', ja: 'オン' },
  off: { en: 'off', ja: 'オフ' },
  totpOn: {
    en: `Two-factor login is on for {0}. Add this secret to an authenticator app now (it is shown only this once):
  secret: {1}
  URI:    {2}
(Most apps can import the URI as a QR code, e.g. qrencode -t ansiutf8 'URI'.)`,
    ja: `{0} の二段階認証をオンにしました。この秘密鍵を今すぐ認証アプリに登録してください（表示はこの一度だけです）:
  秘密鍵: {1}
  URI:    {2}
（多くのアプリは URI を QR コードで読み込めます。例: qrencode -t ansiutf8 'URI'）`,
  },
  totpOff: { en: 'Two-factor login is off for {0}; the password alone logs in.', ja: '{0} の二段階認証をオフにしました。パスワードだけでログインします。' },
  totpArg: { en: 'Say on or off, for example: hikyaku admin totp {0} on', ja: 'on か off を指定してください。例: hikyaku admin totp {0} on' },
  missingName: { en: 'Give the admin name, for example: hikyaku admin {0} taro', ja: '管理者名を指定してください。例: hikyaku admin {0} taro' },
} as const satisfies Record<string, Bilingual>;

type Key = keyof typeof text;

export async function runAdminCommand(args: string[], ctx: CommandContext): Promise<number> {
  const t = (key: Key, ...params: string[]): string => text[key][ctx.lang].replace(/\{(\d)\}/g, (_, i: string) => params[Number(i)] ?? '');
  let parsed;
  try {
    parsed = parseArgs({ args, options: { totp: { type: 'boolean' }, 'password-stdin': { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (err) {
    ctx.out(t('badOption', (err as Error).message));
    ctx.out(t('usage'));
    return 2;
  }
  const { values, positionals } = parsed;
  const [action, name, onOff] = positionals;
  if (action !== 'add' && action !== 'list' && action !== 'remove' && action !== 'passwd' && action !== 'totp') {
    ctx.out(t('usage'));
    return 2;
  }
  if (action !== 'list' && name === undefined) {
    ctx.out(t('missingName', action));
    return 2;
  }
  const readPassword = async (): Promise<string | undefined> => {
    const password = values['password-stdin'] === true ? await readPasswordFromStdin() : await promptPassword(t('prompt', name as string));
    if ([...password].length < MIN_PASSWORD_LENGTH) {
      ctx.out(t('weak', String(MIN_PASSWORD_LENGTH)));
      return undefined;
    }
    return password;
  };
  const db = openAdminDatabase(ctx.config.dataDir);
  try {
    switch (action) {
      case 'list': {
        const admins = db.admins.list();
        if (admins.length === 0) {
          ctx.out(t('none'));
          return 0;
        }
        ctx.out(t('header'));
        for (const a of admins) ctx.out([a.name, a.totpSecret === undefined ? t('off') : t('on'), new Date(a.createdMs).toISOString().slice(0, 16).replace('T', ' ')].join('\t'));
        return 0;
      }
      case 'add': {
        checkAdminName(name as string);
        if (db.admins.get(name as string) !== undefined) throw new AdminError(`admin "${name}" already exists (change its password with: hikyaku admin passwd ${name})`);
        const password = await readPassword();
        if (password === undefined) return 2;
        const secret = values.totp === true ? newTotpSecret() : undefined;
        db.admins.add(name as string, await hashPassword(password), secret);
        ctx.out(t('added', name as string));
        if (secret !== undefined) ctx.out(t('totpOn', name as string, secret, totpUri(name as string, secret)));
        return 0;
      }
      case 'passwd': {
        db.admins.require(name as string);
        const password = await readPassword();
        if (password === undefined) return 2;
        db.admins.setPassword(name as string, await hashPassword(password));
        ctx.out(t('changed', name as string));
        return 0;
      }
      case 'remove':
        db.admins.remove(name as string);
        ctx.out(t('removed', name as string));
        return 0;
      case 'totp': {
        if (onOff !== 'on' && onOff !== 'off') {
          ctx.out(t('totpArg', name as string));
          return 2;
        }
        const secret = onOff === 'on' ? newTotpSecret() : undefined;
        db.admins.setTotpSecret(name as string, secret);
        ctx.out(secret === undefined ? t('totpOff', name as string) : t('totpOn', name as string, secret, totpUri(name as string, secret)));
        return 0;
      }
    }
  } catch (err) {
    if (err instanceof AdminError) {
      ctx.out(err.message);
      return 1;
    }
    throw err;
  } finally {
    db.close();
  }
}
