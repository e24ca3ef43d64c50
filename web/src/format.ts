// Dates and numbers in the viewer's language and time zone (Intl uses the
// browser's zone when none is given).
import type { Lang } from './i18n/i18n.js';

const LOCALE: Record<Lang, string> = { ja: 'ja-JP', en: 'en-GB' };

export function formatDateTime(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(LOCALE[lang], { dateStyle: 'medium', timeStyle: 'short' }).format(ms);
}

export function formatTime(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(LOCALE[lang], { timeStyle: 'medium' }).format(ms);
}

export function formatNumber(n: number, lang: Lang): string {
  return new Intl.NumberFormat(LOCALE[lang]).format(n);
}

/** "3 hours ago" / "3 時間前". */
export function formatAge(ms: number, nowMs: number, lang: Lang): string {
  const seconds = Math.round((ms - nowMs) / 1000);
  const rtf = new Intl.RelativeTimeFormat(LOCALE[lang], { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(seconds, 'second');
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return rtf.format(Math.round(seconds / 3600), 'hour');
  return rtf.format(Math.round(seconds / 86_400), 'day');
}
