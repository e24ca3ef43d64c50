import { LANGS, setLanguage, useLanguage } from '../i18n/i18n.js';
import { commonText } from '../i18n/common.js';
import { useT } from '../i18n/i18n.js';

/** Each option is written in its own language, so it can be found whatever is shown now. */
const NAMES = { ja: '日本語', en: 'English' } as const;

export function LanguageSwitch() {
  const lang = useLanguage();
  const t = useT(commonText);
  return (
    <div class="language-switch" role="group" aria-label={t('language')}>
      {LANGS.map((l) => (
        <button type="button" lang={l} aria-pressed={l === lang} class={l === lang ? 'active' : ''} onClick={() => setLanguage(l)}>
          {NAMES[l]}
        </button>
      ))}
    </div>
  );
}
