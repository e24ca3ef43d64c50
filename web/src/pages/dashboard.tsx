import { api } from '../api.js';
import { formatAge, formatDateTime, formatNumber, formatTime } from '../format.js';
import { commonText } from '../i18n/common.js';
import { dashboardText } from '../i18n/dashboard.js';
import { useLanguage, useT } from '../i18n/i18n.js';
import { usePolling } from '../use-polling.js';

export interface DashboardData {
  readonly nowMs: number;
  readonly queue: { readonly messages: number; readonly oldestCreatedAtMs: number | null };
}

const POLL_MS = 10_000;

export function DashboardPage() {
  const t = useT(dashboardText);
  const tc = useT(commonText);
  const lang = useLanguage();
  const { data, error } = usePolling(() => api.get<DashboardData>('/dashboard'), POLL_MS);
  return (
    <section class="dashboard">
      <h1>{t('title')}</h1>
      {error !== undefined && (
        <p class="problem" role="alert">
          {tc('loadFailed', { message: error.message })}
        </p>
      )}
      {data === undefined ? (
        <p class="loading">{tc('loading')}</p>
      ) : (
        <>
          <p class="updated" aria-live="polite">
            {t('updated', { time: formatTime(data.nowMs, lang) })}
          </p>
          <section class="card" aria-labelledby="queue-heading">
            <h2 id="queue-heading">{t('queue')}</h2>
            <dl class="figures">
              <div>
                <dt>{t('queueSize')}</dt>
                <dd data-testid="queue-size">{t('queueCount', { count: formatNumber(data.queue.messages, lang) })}</dd>
              </div>
              <div>
                <dt>{t('oldest')}</dt>
                <dd data-testid="queue-oldest">
                  {data.queue.oldestCreatedAtMs === null ? (
                    t('oldestNone')
                  ) : (
                    <time dateTime={new Date(data.queue.oldestCreatedAtMs).toISOString()}>
                      {t('oldestAt', { time: formatDateTime(data.queue.oldestCreatedAtMs, lang), age: formatAge(data.queue.oldestCreatedAtMs, data.nowMs, lang) })}
                    </time>
                  )}
                </dd>
              </div>
            </dl>
          </section>
        </>
      )}
    </section>
  );
}
