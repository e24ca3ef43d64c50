// "Copy" beside a DNS record or a secret: puts the text on the clipboard and
// says so (a polite live region), or asks to select the text when the
// browser refuses the clipboard.
import { useState } from 'preact/hooks';
import { defineText, useT } from '../i18n/i18n.js';

const copyText = defineText({
  ja: { copy: 'コピー', copied: 'コピーしました', failed: 'コピーできませんでした。文字列を選択してコピーしてください。', label: '{what}をコピー' },
  en: { copy: 'Copy', copied: 'Copied', failed: 'Could not copy: select the text and copy it.', label: 'Copy {what}' },
});

export function CopyButton({ text, what }: { readonly text: string; readonly what: string }) {
  const t = useT(copyText);
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <span class="copy">
      <button type="button" class="secondary small" aria-label={t('label', { what })} data-copy={text} onClick={() => void copy()}>
        {t('copy')}
      </button>
      <span role="status" class="hint">
        {state === 'copied' ? t('copied') : state === 'failed' ? t('failed') : ''}
      </span>
    </span>
  );
}
