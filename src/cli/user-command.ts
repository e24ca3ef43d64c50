// `hikyaku user add|list|passwd|remove`: the accounts that may submit mail.
import { parseArgs } from 'node:util';
import type { Config } from '../config/types.js';
import { UserStore } from '../users/user-store.js';
import type { Lang } from './language.js';
import { promptPassword, readPasswordFromStdin } from './read-password.js';

export interface CommandContext {
  readonly config: Config;
  readonly lang: Lang;
  readonly out: (line: string) => void;
}

const text = {
  usage: {
    en: 'usage: hikyaku user add|passwd ADDRESS [--password-stdin] | user list | user remove ADDRESS',
    ja: '使い方: hikyaku user add|passwd アドレス [--password-stdin] | user list | user remove アドレス',
  },
  added: { en: 'User added: %s', ja: 'ユーザーを追加しました: %s' },
  changed: { en: 'Password changed: %s', ja: 'パスワードを変更しました: %s' },
  removed: { en: 'User removed: %s', ja: 'ユーザーを削除しました: %s' },
  missing: { en: 'No such user: %s (see: hikyaku user list)', ja: 'ユーザーが見つかりません: %s (hikyaku user list で確認できます)' },
  none: { en: 'No users yet. Add one: hikyaku user add you@example.com', ja: 'ユーザーはまだいません。追加: hikyaku user add you@example.com' },
  prompt: { en: 'Password for %s: ', ja: '%s のパスワード: ' },
  login: {
    en: 'Mail clients log in with the full address (or the part before @ when no other user has it), on port 587 (STARTTLS) or 465 (SSL/TLS).',
    ja: 'メールソフトでは、ユーザー名にメールアドレス全体(他のユーザーと重ならなければ @ の前だけでも可)を使い、ポート 587 (STARTTLS) または 465 (SSL/TLS) で接続します。',
  },
} as const;

export async function runUserCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { 'password-stdin': { type: 'boolean' } }, allowPositionals: true });
  const [action, address] = positionals;
  const t = (key: keyof typeof text, arg = ''): string => text[key][ctx.lang].replace('%s', arg);
  const store = UserStore.open(ctx.config.dataDir);
  try {
    switch (action) {
      case 'list': {
        const users = store.list();
        if (users.length === 0) ctx.out(t('none'));
        for (const u of users) ctx.out(`${u.address}\t${new Date(u.createdAtMs).toISOString()}`);
        return 0;
      }
      case 'add':
      case 'passwd': {
        if (!address) break;
        const password = values['password-stdin'] ? await readPasswordFromStdin() : await promptPassword(t('prompt', address));
        if (action === 'add') {
          await store.add(address, password);
          ctx.out(t('added', address));
          ctx.out(t('login'));
        } else {
          await store.setPassword(address, password);
          ctx.out(t('changed', address));
        }
        return 0;
      }
      case 'remove': {
        if (!address) break;
        if (!store.remove(address)) {
          ctx.out(t('missing', address));
          return 1;
        }
        ctx.out(t('removed', address));
        return 0;
      }
    }
    ctx.out(t('usage'));
    return 2;
  } finally {
    store.close();
  }
}
