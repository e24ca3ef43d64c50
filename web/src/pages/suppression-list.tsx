// The suppression list on the users page: recipients no mail goes to, with
// why and since when; an entry removed after the page's confirmation dialog.
import { api } from '../api.js';
import { formatDateTime } from '../format.js';
import type { Lang } from '../i18n/i18n.js';
import { usePolling } from '../use-polling.js';
import type { Ask, T } from './user-card.js';

const POLL_MS = 15_000;

interface Suppression {
  readonly recipient: string;
  readonly sendingDomain: string;
  readonly reason: string;
  readonly source: 'bounce' | 'manual';
  readonly createdAtMs: number;
  readonly expiresAtMs: number | null;
}


export function SuppressionList({ t, lang, ask }: { readonly t: T; readonly lang: Lang; readonly ask: Ask }) {
  const { data, error } = usePolling(() => api.get<{ entries: Suppression[]; more: boolean }>('/suppressions'), POLL_MS);
  return (
    <section class="card" aria-labelledby="suppression-title">
      <h2 id="suppression-title">{t('suppression')}</h2>
      <p class="hint">{t('suppressionIntro')}</p>
      {error !== undefined && <p class="problem">{error.message}</p>}
      {data !== undefined && data.entries.length === 0 && <p data-testid="suppression-empty">{t('noSuppression')}</p>}
      {data !== undefined && data.entries.length > 0 && (
        <div class="table-scroll">
          <table data-testid="suppression">
            <thead>
              <tr>
                <th scope="col">{t('recipient')}</th>
                <th scope="col">{t('sendingDomain')}</th>
                <th scope="col">{t('reason')}</th>
                <th scope="col">{t('source')}</th>
                <th scope="col">{t('createdHead')}</th>
                <th scope="col">{t('expires')}</th>
                <td />
              </tr>
            </thead>
            <tbody>
              {data.entries.map((e) => (
                <tr data-recipient={e.recipient}>
                  <th scope="row">{e.recipient}</th>
                  <td>{e.sendingDomain === '' ? t('allDomains') : e.sendingDomain}</td>
                  <td class="reply">{e.reason}</td>
                  <td>{t(`source_${e.source}`)}</td>
                  <td>{formatDateTime(e.createdAtMs, lang)}</td>
                  <td>{e.expiresAtMs === null ? t('never') : formatDateTime(e.expiresAtMs, lang)}</td>
                  <td>
                    <button
                      type="button"
                      class="secondary small"
                      data-action="unsuppress"
                      aria-label={`${t('removeEntry')}: ${e.recipient}`}
                      onClick={() => ask({ question: t('confirmRemoveEntry', { recipient: e.recipient }), label: t('removeEntry'), run: () => api.post('/suppressions/remove', { recipient: e.recipient, sendingDomain: e.sendingDomain }) })}
                    >
                      {t('removeEntry')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.more && <p class="hint">{t('more', { n: data.entries.length })}</p>}
        </div>
      )}
    </section>
  );
}

