// `hikyaku user app-password add|list|revoke`: one generated password per
// device or application, each revocable and limited on its own.
import { parseArgs } from 'node:util';
import type { UserStore } from '../users/user-store.js';
import { ACCOUNT_OPTIONS, quotaChange } from './account-options.js';
import type { Lang } from './language.js';
import { renderAppPassword, type UsageLines } from './user-show.js';

const text = {
  usage: {
    en: 'usage: hikyaku user app-password add ADDRESS --label LABEL [--may-send-as PATTERN]… [--network CIDR]… [--messages-per-hour N] [--messages-per-day N] [--recipients-per-message N] | app-password list ADDRESS | app-password revoke ADDRESS LABEL',
    ja: '使い方: hikyaku user app-password add アドレス --label ラベル [--may-send-as パターン]… [--network CIDR]… [--messages-per-hour N] [--messages-per-day N] [--recipients-per-message N] | app-password list アドレス | app-password revoke アドレス ラベル',
  },
  created: { en: 'App password %s for %u (shown only now; store it in the application):', ja: '%u のアプリパスワード %s (表示はこの一度だけです。アプリに設定してください):' },
  login: {
    en: 'The application logs in with the username %u and this password (spaces and dashes are optional).',
    ja: 'アプリではユーザー名 %u とこのパスワードでログインします (空白やハイフンは省略可)。',
  },
  none: { en: 'No app passwords for %u.', ja: '%u にはアプリパスワードがありません。' },
  revoked: { en: 'App password %s of %u revoked.', ja: '%u のアプリパスワード %s を無効にしました。' },
  missing: { en: 'No app password %s for %u.', ja: '%u にアプリパスワード %s はありません。' },
} as const;

export async function runAppPasswordCommand(args: string[], store: UserStore, lang: Lang, out: (line: string) => void, usage?: UsageLines): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...ACCOUNT_OPTIONS, label: { type: 'string' }, network: { type: 'string', multiple: true } },
    allowPositionals: true,
  });
  const [action, address, labelArg] = positionals;
  const t = (key: keyof typeof text, label = ''): string => text[key][lang].replace('%s', label).replace('%u', address ?? '');
  switch (action) {
    case 'add': {
      const label = values.label ?? labelArg;
      if (!address || !label) break;
      const password = store.addAppPassword(address, {
        label,
        ...(values['may-send-as'] && { maySendAs: values['may-send-as'] }),
        ...(values.network && { networks: values.network }),
        quota: quotaChange(values),
      });
      out(t('created', label));
      out(`  ${password}`);
      out(t('login'));
      return 0;
    }
    case 'list': {
      if (!address) break;
      const apps = store.listAppPasswords(address);
      if (apps.length === 0) out(t('none'));
      for (const app of apps) for (const line of renderAppPassword(address, app, lang, usage)) out(line);
      return 0;
    }
    case 'revoke': {
      if (!address || !labelArg) break;
      const revoked = store.revokeAppPassword(address, labelArg);
      out(t(revoked ? 'revoked' : 'missing', labelArg));
      return revoked ? 0 : 1;
    }
  }
  out(t('usage'));
  return 2;
}
