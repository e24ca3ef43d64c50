// The dashboard: what was sent, what is waiting, what keeps failing, and
// whether each sending domain's DNS is in order. Reloaded every 10 s.
import { api } from '../api.js';
import { OutcomeChart, type OutcomeSeries } from '../components/outcome-chart.js';
import { formatAge, formatDateTime, formatNumber, formatTime } from '../format.js';
import { commonText } from '../i18n/common.js';
import { dashboardText } from '../i18n/dashboard.js';
import { useLanguage, useT, type Lang, type TextKey, type Translate } from '../i18n/i18n.js';
import { usePolling } from '../use-polling.js';

interface Bucket {
  readonly startMs: number;
  readonly delivered: number;
  readonly deferred: number;
  readonly bounced: number;
}

interface Bilingual {
  readonly ja: string;
  readonly en: string;
}

interface DomainLight {
  readonly domain: string;
  readonly light: 'green' | 'amber' | 'red';
  readonly problems: ReadonlyArray<{ readonly id: string; readonly status: string; readonly title: Bilingual; readonly explanation: Bilingual; readonly fix: (Bilingual & { record?: string }) | null }>;
}

export interface DashboardData {
  readonly nowMs: number;
  readonly queue: { readonly messages: number; readonly oldestCreatedAtMs: number | null };
  readonly series: { readonly hourly: readonly Bucket[]; readonly daily: readonly Bucket[] } | null;
  readonly failing: ReadonlyArray<{ readonly domain: string; readonly failures: number; readonly lastReply: string | null; readonly lastAtMs: number }> | null;
  readonly doctor: { readonly checkedAtMs: number | null; readonly running: boolean; readonly domains: readonly DomainLight[]; readonly server: DomainLight | null };
}

const POLL_MS = 10_000;

type T = Translate<TextKey<typeof dashboardText>>;

function toSeries(buckets: readonly Bucket[], label: (ms: number) => string): OutcomeSeries {
  return {
    labels: buckets.map((b) => label(b.startMs)),
    delivered: buckets.map((b) => b.delivered),
    deferred: buckets.map((b) => b.deferred),
    bounced: buckets.map((b) => b.bounced),
  };
}

function totals(buckets: readonly Bucket[]) {
  return buckets.reduce((a, b) => ({ delivered: a.delivered + b.delivered, deferred: a.deferred + b.deferred, bounced: a.bounced + b.bounced }), { delivered: 0, deferred: 0, bounced: 0 });
}

function hourLabel(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { hour: '2-digit', minute: '2-digit' }).format(ms);
}

function dayLabel(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { month: 'numeric', day: 'numeric', weekday: 'short' }).format(ms);
}

function OutcomePanel({ t, lang, buckets, kind }: { t: T; lang: Lang; buckets: readonly Bucket[]; kind: 'hourly' | 'daily' }) {
  const sum = totals(buckets);
  const names = { delivered: t('delivered'), deferred: t('deferred'), bounced: t('bounced'), period: kind === 'hourly' ? t('hour') : t('day'), table: t('showTable') };
  const series = toSeries(buckets, (ms) => (kind === 'hourly' ? hourLabel(ms, lang) : dayLabel(ms, lang)));
  const heading = kind === 'hourly' ? t('last24h') : t('last7d');
  return (
    <section class="card" aria-label={heading}>
      <h3>{heading}</h3>
      <p class="totals" data-testid={`totals-${kind}`}>
        {t('totals', { delivered: formatNumber(sum.delivered, lang), deferred: formatNumber(sum.deferred, lang), bounced: formatNumber(sum.bounced, lang) })}
      </p>
      <OutcomeChart series={series} names={names} label={t(kind === 'hourly' ? 'chart24h' : 'chart7d', sum)} testId={`chart-${kind}`} />
    </section>
  );
}

function LightRow({ t, lang, light, name }: { t: T; lang: Lang; light: DomainLight; name: string }) {
  return (
    <tr data-testid={`light-${light.domain}`}>
      <th scope="row">{name}</th>
      <td>
        <span class={`light ${light.light}`}>{t(light.light)}</span>
      </td>
      <td>
        {light.problems.length === 0 ? (
          '—'
        ) : (
          <ul class="problems">
            {light.problems.map((p) => (
              <li>
                <details>
                  <summary>
                    <span class={`light ${p.status === 'error' ? 'red' : 'amber'}`} aria-hidden="true" />
                    {p.title[lang]}
                  </summary>
                  <p>{p.explanation[lang]}</p>
                  {p.fix !== null && (
                    <>
                      <p>{p.fix[lang]}</p>
                      {p.fix.record !== undefined && <pre class="record">{p.fix.record}</pre>}
                    </>
                  )}
                </details>
              </li>
            ))}
          </ul>
        )}
      </td>
    </tr>
  );
}

export function DashboardPage() {
  const t = useT(dashboardText);
  const tc = useT(commonText);
  const lang = useLanguage();
  const { data, error } = usePolling(() => api.get<DashboardData>(`/dashboard?tzOffsetMinutes=${-new Date().getTimezoneOffset()}`), POLL_MS);
  if (data === undefined) {
    return (
      <section class="dashboard">
        <h1>{t('title')}</h1>
        {error !== undefined ? (
          <p class="problem" role="alert">
            {tc('loadFailed', { message: error.message })}
          </p>
        ) : (
          <p class="loading">{tc('loading')}</p>
        )}
      </section>
    );
  }
  const { queue, series, failing, doctor } = data;
  return (
    <section class="dashboard">
      <h1>{t('title')}</h1>
      {error !== undefined && (
        <p class="problem" role="alert">
          {tc('loadFailed', { message: error.message })}
        </p>
      )}
      <p class="updated">{t('updated', { time: formatTime(data.nowMs, lang) })}</p>

      <section class="card" aria-labelledby="queue-heading">
        <h2 id="queue-heading">{t('queue')}</h2>
        <dl class="figures">
          <div>
            <dt>{t('queueSize')}</dt>
            <dd data-testid="queue-size">{t('queueCount', { count: formatNumber(queue.messages, lang) })}</dd>
          </div>
          <div>
            <dt>{t('oldest')}</dt>
            <dd data-testid="queue-oldest">
              {queue.oldestCreatedAtMs === null ? (
                t('oldestNone')
              ) : (
                <time dateTime={new Date(queue.oldestCreatedAtMs).toISOString()}>
                  {t('oldestAt', { time: formatDateTime(queue.oldestCreatedAtMs, lang), age: formatAge(queue.oldestCreatedAtMs, data.nowMs, lang) })}
                </time>
              )}
            </dd>
          </div>
        </dl>
      </section>

      <section aria-labelledby="outcomes-heading">
        <h2 id="outcomes-heading">{t('outcomes')}</h2>
        {series === null ? (
          <p class="card">{t('noHistory')}</p>
        ) : (
          <div class="grid">
            <OutcomePanel t={t} lang={lang} buckets={series.hourly} kind="hourly" />
            <OutcomePanel t={t} lang={lang} buckets={series.daily} kind="daily" />
          </div>
        )}
        {series !== null && <p class="hint">{t('deferredNote')}</p>}
      </section>

      <section class="card" aria-labelledby="failing-heading">
        <h2 id="failing-heading">{t('failing')}</h2>
        {failing === null || failing.length === 0 ? (
          <p data-testid="failing-none">{t('failingNone')}</p>
        ) : (
          <table data-testid="failing">
            <thead>
              <tr>
                <th scope="col">{t('destination')}</th>
                <th scope="col">{t('failures')}</th>
                <th scope="col">{t('lastError')}</th>
                <th scope="col">{t('lastAt')}</th>
              </tr>
            </thead>
            <tbody>
              {failing.map((f) => (
                <tr>
                  <th scope="row">{f.domain}</th>
                  <td>{formatNumber(f.failures, lang)}</td>
                  <td class="reply">{f.lastReply ?? '—'}</td>
                  <td>
                    <time dateTime={new Date(f.lastAtMs).toISOString()}>{formatDateTime(f.lastAtMs, lang)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section class="card" aria-labelledby="doctor-heading">
        <h2 id="doctor-heading">{t('doctor')}</h2>
        <p class="hint" data-testid="doctor-checked">
          {doctor.checkedAtMs === null ? t('doctorPending') : t('doctorChecked', { time: formatDateTime(doctor.checkedAtMs, lang) })}
        </p>
        {doctor.checkedAtMs !== null && doctor.domains.length === 0 && <p>{t('noDomains')}</p>}
        {doctor.checkedAtMs !== null && (
          <table data-testid="doctor">
            <thead>
              <tr>
                <th scope="col">{t('domain')}</th>
                <th scope="col">{t('status')}</th>
                <th scope="col">{t('problems')}</th>
              </tr>
            </thead>
            <tbody>
              {doctor.domains.map((d) => (
                <LightRow t={t} lang={lang} light={d} name={d.domain} />
              ))}
              {doctor.server !== null && <LightRow t={t} lang={lang} light={doctor.server} name={t('server', { name: doctor.server.domain })} />}
            </tbody>
          </table>
        )}
      </section>
    </section>
  );
}
