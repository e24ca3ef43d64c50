// One sending domain on the domains page: its DKIM keys (rotation asked
// through the page's dialog), the DNS records to publish with copy buttons,
// and the doctor's result per check with the doctor's own fix.
import { ApiError } from '../api.js';
import { CopyButton } from '../components/copy-button.js';
import { formatDateTime } from '../format.js';
import { domainsText } from '../i18n/domains.js';
import type { Lang, TextKey, Translate } from '../i18n/i18n.js';

type Bilingual = { readonly ja: string; readonly en: string };
type Light = 'green' | 'amber' | 'red';
type Status = 'ok' | 'info' | 'warning' | 'error';

interface DnsRecord {
  readonly name: string;
  readonly type: string;
  readonly value: string;
  readonly zoneLine: string;
  readonly purpose: 'dkim' | 'spf' | 'dmarc' | 'ptr';
  readonly note: Bilingual;
}

export interface Check {
  readonly id: string;
  readonly status: Status;
  readonly subject: string | null;
  readonly title: Bilingual;
  readonly explanation: Bilingual;
  readonly fix: (Bilingual & { readonly record: string | null }) | null;
}

export interface Domain {
  readonly name: string;
  readonly createdAtMs: number;
  readonly returnPathDomain: string | null;
  readonly keys: ReadonlyArray<{ readonly selector: string; readonly algorithm: string; readonly state: 'active' | 'pending' | 'retiring'; readonly retireUntilMs: number | null }>;
  readonly records: readonly DnsRecord[];
  readonly light: Light | null;
  readonly checks: readonly Check[] | null;
}

export type T = Translate<TextKey<typeof domainsText>>;

const LIGHT_OF: Record<Status, Light | 'unknown'> = { ok: 'green', info: 'unknown', warning: 'amber', error: 'red' };

const KNOWN = ['err_invalid_name', 'err_exists', 'err_pending_exists', 'err_not_found', 'err_not_published', 'err_no_pending', 'err_key_not_found', 'err_key_active'];

/** A refusal in the viewer's language (the server's code), else its own message. */
export function refusal(t: T, err: unknown, lang: Lang): string {
  if (err instanceof ApiError) {
    const subject = typeof err.body['subject'] === 'string' ? err.body['subject'] : '';
    const key = `err_${err.code.replace(/-/g, '_')}`;
    if (err.code === 'key-in-overlap') return t('err_key_in_overlap', { time: formatDateTime(Number(subject), lang) });
    if (KNOWN.includes(key)) return t(key as TextKey<typeof domainsText>, { subject });
    return t('err_other', { message: err.message });
  }
  return t('err_other', { message: err instanceof Error ? err.message : String(err) });
}

function Records({ t, lang, records }: { readonly t: T; readonly lang: Lang; readonly records: readonly DnsRecord[] }) {
  return (
    <div class="table-scroll">
      <table class="records" data-testid="records">
        <thead>
          <tr>
            <th scope="col">{t('type')}</th>
            <th scope="col">{t('name')}</th>
            <th scope="col">{t('value')}</th>
            <th scope="col">{t('note')}</th>
          </tr>
        </thead>
        <tbody>
          {records.map((r) => (
            <tr data-purpose={r.purpose}>
              <td>
                {r.type}
                <br />
                <span class="hint">{t(`purpose_${r.purpose}`)}</span>
              </td>
              <td>
                <code class="record-text">{r.name}</code> <CopyButton text={r.name} what={`${t('copyName')} ${r.name}`} />
              </td>
              <td>
                <code class="record-text" data-testid="record-value">
                  {r.value}
                </code>{' '}
                <CopyButton text={r.value} what={`${t('copyValue')} (${r.type} ${r.name})`} />
                <details>
                  <summary>{t('zoneLine')}</summary>
                  <code class="record-text">{r.zoneLine}</code> <CopyButton text={r.zoneLine} what={`${t('copyZone')} (${r.type} ${r.name})`} />
                </details>
              </td>
              <td>{r.note[lang]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Checks({ t, lang, checks }: { readonly t: T; readonly lang: Lang; readonly checks: readonly Check[] | null }) {
  if (checks === null || checks.length === 0) return <p class="hint">{t('checksNone')}</p>;
  return (
    <ul class="checks" data-testid="checks">
      {checks.map((c) => (
        <li class={`check-row ${c.status}`} data-check={c.id} data-status={c.status}>
          <p>
            <span class={`light ${LIGHT_OF[c.status]}`}>{t(`status_${c.status}`)}</span> <strong>{c.title[lang]}</strong>
            {c.subject !== null && <span class="hint"> — {c.subject}</span>}
          </p>
          <p class="explanation">{c.explanation[lang]}</p>
          {c.fix !== null && (c.status === 'warning' || c.status === 'error') && (
            <div class="fix">
              <p>
                <strong>{t('fix')}:</strong> {c.fix[lang]}
              </p>
              {c.fix.record !== null && (
                <p>
                  <code class="record-text">{c.fix.record}</code> <CopyButton text={c.fix.record} what={t('copyFix')} />
                </p>
              )}
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}

export type RotateResult = { readonly ok: boolean; readonly lines: readonly string[] };

export interface DomainActions {
  onRotate(): void;
  onActivate(selector: string): void;
  onRetire(selector: string): void;
}

export function DomainCard({ t, lang, domain, result, actions }: { readonly t: T; readonly lang: Lang; readonly domain: Domain; readonly result: RotateResult | undefined; readonly actions: DomainActions }) {
  const nowMs = Date.now();
  const id = `domain-${domain.name.replace(/[^a-z0-9-]/gi, '-')}`;
  const light = domain.light ?? 'unknown';
  return (
    <section class="card domain" aria-labelledby={`${id}-title`} data-domain={domain.name}>
      <h2 id={`${id}-title`}>
        {domain.name} <span class={`light ${light}`} data-testid="domain-light">{t(`light_${light}`)}</span>
      </h2>
      {domain.returnPathDomain !== null && <p class="hint">{t('returnPath', { name: domain.returnPathDomain })}</p>}

      <h3>{t('keys')}</h3>
      <table data-testid="keys">
        <thead>
          <tr>
            <th scope="col">{t('selector')}</th>
            <th scope="col">{t('algorithm')}</th>
            <th scope="col">{t('keyState')}</th>
            <td />
          </tr>
        </thead>
        <tbody>
          {domain.keys.map((k) => (
            <tr data-state={k.state}>
              <th scope="row">{k.selector}</th>
              <td>{k.algorithm}</td>
              <td>
                {t(`key_${k.state}`)}
                {k.state === 'retiring' && k.retireUntilMs !== null && ` (${t('retireUntil', { time: formatDateTime(k.retireUntilMs, lang) })})`}
              </td>
              <td>
                {k.state === 'pending' && (
                  <button type="button" class="secondary small" data-action="activate" aria-label={`${t('activate')} ${k.selector}`} onClick={() => actions.onActivate(k.selector)}>
                    {t('activate')}
                  </button>
                )}
                {k.state === 'retiring' && (k.retireUntilMs === null || k.retireUntilMs <= nowMs) && (
                  <button type="button" class="secondary small" data-action="retire" aria-label={`${t('retire')} ${k.selector}`} onClick={() => actions.onRetire(k.selector)}>
                    {t('retire')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="buttons">
        <button type="button" class="secondary" data-action="rotate" onClick={() => actions.onRotate()}>
          {t('rotate')}
        </button>
      </div>
      <div role="status" aria-live="polite" data-testid="rotate-result">
        {result?.lines.map((line) => <p class={result.ok ? 'done' : 'problem'}>{line}</p>)}
      </div>

      <h3>{t('records')}</h3>
      <Records t={t} lang={lang} records={domain.records} />

      <h3>{t('checks')}</h3>
      <Checks t={t} lang={lang} checks={domain.checks} />

    </section>
  );
}

