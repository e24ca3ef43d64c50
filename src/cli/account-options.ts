// The options `hikyaku user add|set` and `user app-password add` share:
// sender patterns, sender check and quota overrides, parsed into the
// store's change objects. Bad values are errors naming the option.
import type { QuotaChange, UserSettingsChange } from '../users/user-store.js';

export const ACCOUNT_OPTIONS = {
  'may-send-as': { type: 'string', multiple: true },
  'clear-may-send-as': { type: 'boolean' },
  'sender-check': { type: 'string' },
  'messages-per-hour': { type: 'string' },
  'messages-per-day': { type: 'string' },
  'recipients-per-message': { type: 'string' },
} as const;

export interface AccountOptionValues {
  readonly 'may-send-as'?: string[] | undefined;
  readonly 'clear-may-send-as'?: boolean | undefined;
  readonly 'sender-check'?: string | undefined;
  readonly 'messages-per-hour'?: string | undefined;
  readonly 'messages-per-day'?: string | undefined;
  readonly 'recipients-per-message'?: string | undefined;
}

/** A number sets the limit; "default" clears the override (the configured default applies). */
function quotaValue(option: string, text: string | undefined): number | null | undefined {
  if (text === undefined) return undefined;
  if (text === 'default') return null;
  if (!/^\d+$/.test(text)) throw new Error(`--${option}: ${JSON.stringify(text)} is not a whole number (or "default")`);
  return Number(text);
}

export function quotaChange(values: AccountOptionValues): QuotaChange {
  const change: { -readonly [K in keyof QuotaChange]: QuotaChange[K] } = {};
  const pairs = [
    ['messagesPerHour', 'messages-per-hour'],
    ['messagesPerDay', 'messages-per-day'],
    ['recipientsPerMessage', 'recipients-per-message'],
  ] as const;
  for (const [field, option] of pairs) {
    const value = quotaValue(option, values[option]);
    if (value !== undefined) change[field] = value;
  }
  return change;
}

export function settingsChange(values: AccountOptionValues): UserSettingsChange {
  const check = values['sender-check'];
  if (check !== undefined && check !== 'on' && check !== 'off') throw new Error(`--sender-check: ${JSON.stringify(check)} (allowed: on, off)`);
  if (values['clear-may-send-as'] && values['may-send-as']) throw new Error('--may-send-as and --clear-may-send-as cannot be combined');
  const maySendAs = values['clear-may-send-as'] ? [] : values['may-send-as'];
  return {
    ...(maySendAs !== undefined && { maySendAs }),
    ...(check !== undefined && { senderCheck: check === 'on' }),
    quota: quotaChange(values),
  };
}
