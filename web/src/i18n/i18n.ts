// The console's languages: Japanese and English. Each page keeps its own
// dictionary (i18n/<page>.ts, made with defineText) so that pages are added
// without touching each other's files. The language is the one the viewer
// chose (remembered in localStorage), else the browser's first preference
// (navigator.languages: what it sends as Accept-Language), else English.
import { useEffect, useState } from 'preact/hooks';

export type Lang = 'ja' | 'en';
export const LANGS: readonly Lang[] = ['ja', 'en'];

const STORAGE_KEY = 'hikyaku.console.lang';

function initialLanguage(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'ja' || saved === 'en') return saved;
  } catch {
    // Storage disabled: fall through to the browser's preference.
  }
  for (const tag of navigator.languages ?? [navigator.language]) {
    const primary = tag.toLowerCase().split('-')[0];
    if (primary === 'ja') return 'ja';
    if (primary === 'en') return 'en';
  }
  return 'en';
}

let current: Lang = initialLanguage();
const listeners = new Set<(lang: Lang) => void>();
document.documentElement.lang = current;

export function language(): Lang {
  return current;
}

export function setLanguage(lang: Lang): void {
  current = lang;
  document.documentElement.lang = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Not remembered; still switched for this page.
  }
  for (const listener of listeners) listener(lang);
}

/** The current language; the component re-renders when it changes. */
export function useLanguage(): Lang {
  const [lang, setLang] = useState(current);
  useEffect(() => {
    listeners.add(setLang);
    setLang(current);
    return () => void listeners.delete(setLang);
  }, []);
  return lang;
}

/** A page's dictionary: the English side must have every key the Japanese side has. */
export function defineText<const T extends Record<string, string>>(text: { ja: T; en: { [K in keyof T]: string } }): { ja: T; en: { [K in keyof T]: string } } {
  return text;
}

/** The keys of a dictionary made with defineText: `TextKey<typeof commonText>`. */
export type TextKey<D extends { ja: Record<string, string> }> = Extract<keyof D['ja'], string>;

export type Translate<K extends string> = (key: K, vars?: Readonly<Record<string, string | number>>) => string;

/**
 * `const t = useT(dashboardText); t('title')`, with {name} placeholders
 * filled from `vars`.
 */
export function useT<T extends Record<string, string>>(text: { ja: T; en: { [K in keyof T]: string } }): Translate<Extract<keyof T, string>> {
  const lang = useLanguage();
  const table = text[lang] as Record<string, string>;
  return (key, vars) => {
    const template = table[key] ?? key;
    return vars === undefined ? template : template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
  };
}
