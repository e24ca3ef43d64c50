export type Lang = 'ja' | 'en';

/** --lang wins; else LC_ALL / LC_MESSAGES / LANG starting with "ja" means Japanese. */
export function chooseLang(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Lang {
  if (flag === 'ja' || flag === 'en') return flag;
  const locale = env['LC_ALL'] || env['LC_MESSAGES'] || env['LANG'] || '';
  return locale.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

/** A message in both languages; pick with `say(lang, …)`. */
export interface Bilingual {
  readonly en: string;
  readonly ja: string;
}

export function say(lang: Lang, text: Bilingual): string {
  return text[lang];
}
