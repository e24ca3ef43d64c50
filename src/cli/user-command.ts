// `hikyaku user …`: the accounts that may submit mail — passwords, the
// addresses each may send as, limits, flags, and app passwords
// (app-password-command.ts).
import { parseArgs } from 'node:util';
import type { Config } from '../config/types.js';
import { UserStore } from '../users/user-store.js';
import { loadCramKey, loadOrCreateCramKey } from '../users/cram-key.js';
import { silentLogger } from '../log/logger.js';
import { openQueueStore } from '../queue/open-queue-store.js';
import { brakeHoldReason } from '../policy/sending-policy.js';
import { credentialKeyOf } from '../policy/sender.js';
import { normalizeAddress } from '../core/address.js';
import { openQuotaUsage } from '../policy/quota-usage.js';
import type { Lang } from './language.js';
import { promptPassword, readPasswordFromStdin } from './read-password.js';
import { ACCOUNT_OPTIONS, settingsChange } from './account-options.js';
import { runAppPasswordCommand } from './app-password-command.js';
import { renderUserDetails, type UsageLines } from './user-show.js';
import { clientSettings } from '../autoconfig/client-settings.js';
import { setupLines, setupTable } from '../autoconfig/setup-table.js';

export interface CommandContext {
  readonly config: Config;
  readonly lang: Lang;
  readonly out: (line: string) => void;
  /** Resolves once what `out` wrote has gone on (stdout to a slow pipe); long listings wait for it between pages. */
  readonly drained?: () => Promise<void>;
  /** Extra `user show` lines per user and app password; by default, usage against limits from counters.db. */
  readonly usage?: UsageLines;
}

const text = {
  usage: {
    en: `usage: hikyaku user add|passwd ADDRESS [--password-stdin] [--may-send-as PATTERN]… [--sender-check on|off] [--messages-per-hour N] [--messages-per-day N] [--recipients-per-message N]
       hikyaku user set ADDRESS [--may-send-as PATTERN]… | --clear-may-send-as | --sender-check on|off | --messages-per-hour N|default | --messages-per-day N|default | --recipients-per-message N|default
       hikyaku user show ADDRESS | user list | user remove ADDRESS
       hikyaku user flag ADDRESS [--app-password LABEL] --reason TEXT | user unflag ADDRESS [--app-password LABEL]
       hikyaku user app-password add|list|revoke …
       hikyaku user setup ADDRESS   (the settings to type into a mail client or WordPress)`,
    ja: `使い方: hikyaku user add|passwd アドレス [--password-stdin] [--may-send-as パターン]… [--sender-check on|off] [--messages-per-hour N] [--messages-per-day N] [--recipients-per-message N]
        hikyaku user set アドレス [--may-send-as パターン]… | --clear-may-send-as | --sender-check on|off | --messages-per-hour N|default | --messages-per-day N|default | --recipients-per-message N|default
        hikyaku user show アドレス | user list | user remove アドレス
        hikyaku user flag アドレス [--app-password ラベル] --reason 理由 | user unflag アドレス [--app-password ラベル]
        hikyaku user app-password add|list|revoke …
        hikyaku user setup アドレス   (メールソフトや WordPress に入力する設定)`,
  },
  added: { en: 'User added: %s', ja: 'ユーザーを追加しました: %s' },
  changed: { en: 'Password changed: %s', ja: 'パスワードを変更しました: %s' },
  updated: { en: 'User updated: %s', ja: 'ユーザー設定を変更しました: %s' },
  removed: { en: 'User removed: %s', ja: 'ユーザーを削除しました: %s' },
  flagged: { en: 'Flagged: %s', ja: '停止フラグを付けました: %s' },
  unflagged: { en: 'Flag cleared: %s', ja: '停止フラグを外しました: %s' },
  released: { en: 'Messages held by the brake released for delivery: %s', ja: 'ブレーキで保留していたメールの送信を再開しました: %s 通' },
  missing: { en: 'No such user: %s (see: hikyaku user list)', ja: 'ユーザーが見つかりません: %s (hikyaku user list で確認できます)' },
  missingCredential: { en: 'No such user or app password: %s', ja: 'ユーザーまたはアプリパスワードが見つかりません: %s' },
  none: { en: 'No users yet. Add one: hikyaku user add you@example.com', ja: 'ユーザーはまだいません。追加: hikyaku user add you@example.com' },
  prompt: { en: 'Password for %s: ', ja: '%s のパスワード: ' },
  login: {
    en: 'Mail clients log in with the full address (or the part before @ when no other user has it), on port 587 (STARTTLS) or 465 (SSL/TLS).',
    ja: 'メールソフトでは、ユーザー名にメールアドレス全体(他のユーザーと重ならなければ @ の前だけでも可)を使い、ポート 587 (STARTTLS) または 465 (SSL/TLS) で接続します。',
  },
} as const;

export async function runUserCommand(args: string[], ctx: CommandContext): Promise<number> {
  if (args[0] === 'app-password') {
    return withStore(ctx, (store) => runAppPasswordCommand(args.slice(1), store, ctx.lang, ctx.out, ctx.usage));
  }
  const { values, positionals } = parseArgs({
    args,
    options: { ...ACCOUNT_OPTIONS, 'password-stdin': { type: 'boolean' }, 'app-password': { type: 'string' }, reason: { type: 'string' } },
    allowPositionals: true,
  });
  const [action, address] = positionals;
  const t = (key: keyof typeof text, arg = ''): string => text[key][ctx.lang].replace('%s', arg);
  return withStore(ctx, async (store) => {
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
        const settings = settingsChange(values); // bad options fail before the password is asked for
        const password = values['password-stdin'] ? await readPasswordFromStdin() : await promptPassword(t('prompt', address));
        if (action === 'add') {
          await store.add(address, password, settings);
          ctx.out(t('added', address));
          ctx.out(t('login'));
        } else {
          await store.setPassword(address, password);
          store.update(address, settings);
          ctx.out(t('changed', address));
        }
        return 0;
      }
      case 'set': {
        if (!address) break;
        store.update(address, settingsChange(values));
        ctx.out(t('updated', address));
        return 0;
      }
      case 'show': {
        if (!address) break;
        const details = store.show(address);
        if (!details) {
          ctx.out(t('missing', address));
          return 1;
        }
        const usage = ctx.usage === undefined ? usageLines(ctx.config, ctx.lang, store) : undefined;
        try {
          for (const line of renderUserDetails(details, ctx.lang, ctx.usage ?? usage?.lines)) ctx.out(line);
        } finally {
          usage?.close();
        }
        return 0;
      }
      case 'setup': {
        if (!address) break;
        const details = store.show(address);
        if (!details) {
          ctx.out(t('missing', address));
          return 1;
        }
        for (const line of setupLines(setupTable(clientSettings(ctx.config, details.address)))) ctx.out(line);
        return 0;
      }
      case 'flag':
      case 'unflag': {
        if (!address || (action === 'flag' && !values.reason)) break;
        const label = values['app-password'];
        const done = action === 'flag' ? store.flag(address, label, values.reason ?? '') : store.unflag(address, label);
        const name = label === undefined ? address : `${address} (${label})`;
        ctx.out(t(done ? (action === 'flag' ? 'flagged' : 'unflagged') : 'missingCredential', name));
        if (done && action === 'unflag') {
          // A flagged user holds the mail of all its credentials; an app password only its own.
          const user = normalizeAddress(address);
          const keys = label !== undefined ? [credentialKeyOf(user, label)] : [credentialKeyOf(user, undefined), ...store.listAppPasswords(user).map((app) => credentialKeyOf(user, app.label))];
          ctx.out(t('released', String(await releaseBrakedMail(ctx.config, keys))));
        }
        return done ? 0 : 1;
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
  });
}

/** The store for one command. The CRAM-MD5 key is used when its file exists (the server made it because CRAM-MD5 is on), so passwords set here work with CRAM-MD5 too. */
/** The messages the brake held for this credential go out (the running server sees them at its next poll). */
async function releaseBrakedMail(config: Config, credentialKeys: readonly string[]): Promise<number> {
  const queue = (await openQueueStore(config, silentLogger())).store;
  try {
    let released = 0;
    for (const key of credentialKeys) released += await queue.releaseHeld(brakeHoldReason(key));
    return released;
  } finally {
    await queue.close();
  }
}

/** `user show`'s usage lines, from the counters the server saves (read-only). */
function usageLines(config: Config, lang: Lang, store: UserStore): { lines: UsageLines; close(): void } {
  const reader = openQuotaUsage(config);
  return {
    lines: (user, label) => {
      const principal = store.principalFor(user, label);
      if (principal === undefined) return [];
      return [reader.describe(user, label, label === undefined ? principal.userQuota : principal.quota, lang)];
    },
    close: () => reader.close(),
  };
}

async function withStore(ctx: CommandContext, run: (store: UserStore) => Promise<number>): Promise<number> {
  const dataDir = ctx.config.dataDir;
  // With CRAM-MD5 on, a password set here must be kept for it too, so the key is made if missing.
  const store = UserStore.open(dataDir, { cramKey: ctx.config.auth.cramMd5 ? loadOrCreateCramKey(dataDir) : loadCramKey(dataDir) });
  try {
    return await run(store);
  } finally {
    store.close();
  }
}
