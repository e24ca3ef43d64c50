// `hikyaku apikey create USER [--label NAME] | list [USER] | revoke USER LABEL|ID`:
// keys for the HTTP API (users/api-keys.ts). A key is shown once, at
// creation; only its keyed hash is stored.
import { parseArgs } from 'node:util';
import { ApiKeyStore } from '../users/api-keys.js';
import type { CommandContext } from './user-command.js';

const text = {
  usage: {
    en: 'usage: hikyaku apikey create USER [--label NAME] | apikey list [USER] | apikey revoke USER LABEL|ID',
    ja: '使い方: hikyaku apikey create ユーザー [--label 名前] | apikey list [ユーザー] | apikey revoke ユーザー ラベル|ID',
  },
  created: {
    en: 'API key %l for %u (shown only now; store it in the application):',
    ja: '%u の API キー %l (表示はこの一度だけです。アプリに設定してください):',
  },
  howto: {
    en: 'Send with the header "Authorization: Bearer KEY" to POST /api/v1/messages (see README).',
    ja: 'ヘッダー "Authorization: Bearer キー" を付けて POST /api/v1/messages に送ります (README 参照)。',
  },
  none: { en: 'No API keys.', ja: 'API キーはありません。' },
  revoked: { en: 'API key %l of %u revoked.', ja: '%u の API キー %l を無効にしました。' },
  missing: { en: 'No API key %l for %u (see: hikyaku apikey list).', ja: '%u に API キー %l はありません (hikyaku apikey list で確認できます)。' },
} as const;

export async function runApiKeyCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { label: { type: 'string' } }, allowPositionals: true });
  const [action, user, labelArg] = positionals;
  const t = (key: keyof typeof text, label = '', who = user ?? ''): string => text[key][ctx.lang].replace('%l', label).replace('%u', who);
  if (!['create', 'list', 'revoke'].includes(action ?? '') || (action !== 'list' && !user) || (action === 'revoke' && !labelArg)) {
    ctx.out(t('usage'));
    return 2;
  }
  const store = ApiKeyStore.open(ctx.config.dataDir);
  try {
    switch (action) {
      case 'create': {
        const label = values.label ?? labelArg ?? 'default';
        const { key, record } = store.create(user as string, label);
        ctx.out(t('created', label, record.user));
        ctx.out(`  ${key}`);
        ctx.out(t('howto'));
        return 0;
      }
      case 'list': {
        const keys = store.list(user);
        if (keys.length === 0) ctx.out(t('none'));
        for (const k of keys) ctx.out(`${k.id}\t${k.user}\t${k.label}\t${new Date(k.createdAtMs).toISOString()}`);
        return 0;
      }
      default: {
        const revoked = store.revoke(user as string, labelArg as string);
        ctx.out(t(revoked ? 'revoked' : 'missing', labelArg));
        return revoked ? 0 : 1;
      }
    }
  } finally {
    store.close();
  }
}
