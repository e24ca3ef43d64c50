// The domains page (issue 10 point 7): each sending domain with the DNS
// records to publish (a copy button on each), the doctor's result per check
// (green / amber / red, with the doctor's own fix in the viewer's language),
// adding a domain and rotating its DKIM key. The server does the work
// (src/console/domain-routes.ts); this page only shows and asks.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { CopyButton } from '../components/copy-button.js';
import { formatDateTime } from '../format.js';
import { commonText } from '../i18n/common.js';
import { domainsText } from '../i18n/domains.js';
import { useLanguage, useT, type Lang, type Translate, type TextKey } from '../i18n/i18n.js';
import { usePolling } from '../use-polling.js';

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

interface Check {
  readonly id: string;
  readonly status: Status;
  readonly subject: string | null;
  readonly title: Bilingual;
  readonly explanation: Bilingual;
  readonly fix: (Bilingual & { readonly record: string | null }) | null;
}

interface Domain {
  readonly name: string;
  readonly createdAtMs: number;
  readonly returnPathDomain: string | null;
  readonly keys: ReadonlyArray<{ readonly selector: string; readonly algorithm: string; readonly state: 'active' | 'pending' | 'retiring'; readonly retireUntilMs: number | null }>;
  readonly records: readonly DnsRecord[];
  readonly light: Light | null;
  readonly checks: readonly Check[] | null;
}

interface DomainsData {
  readonly checkedAtMs: number | null;
  readonly running: boolean;
  readonly autoActivate: boolean;
  readonly domains: readonly Domain[];
}

type T = Translate<TextKey<typeof domainsText>>;

const POLL_MS = 15_000;
const LIGHT_OF: Record<Status, Light | 'unknown'> = { ok: 'green', info: 'unknown', warning: 'amber', error: 'red' };

/** A refusal in the viewer's language (the server's code), else its own message. */
function refusal(t: T, err: unknown): string {
  if (err instanceof ApiError) {
    const subject = typeof err.body['subject'] === 'string' ? err.body['subject'] : '';
    const key = `err_${err.code.replace(/-/g, '_')}`;
    if (['err_invalid_name', 'err_exists', 'err_pending_exists', 'err_not_found'].includes(key)) return t(key as TextKey<typeof domainsText>, { subject });
    return t('err_other', { message: err.message });
  }
  return t('err_other', { message: err instanceof Error ? err.message : String(err) });
}

function AddDomain({ t, onAdded }: { readonly t: T; onAdded(name: string): void }) {
  const [name, setName] = useState('');
  const [ed25519, setEd25519] = useState(false);
  const [working, setWorking] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    setWorking(true);
    setMessage(undefined);
    try {
      const answer = await api.post<{ domain: { name: string } }>('/domains', { name: name.trim(), ed25519 });
      setMessage({ ok: true, text: t('added', { name: answer.domain.name }) });
      setName('');
      onAdded(answer.domain.name);
    } catch (err) {
      setMessage({ ok: false, text: refusal(t, err) });
    } finally {
      setWorking(false);
    }
  };
  return (
    <section class="card" aria-labelledby="add-domain-title">
      <h2 id="add-domain-title">{t('addTitle')}</h2>
      <form class="inline-form" onSubmit={(e) => void submit(e)}>
        <label>
          {t('addName')}
          <input name="domain" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} placeholder="example.com" autocomplete="off" />
        </label>
        <label class="check">
          <input type="checkbox" name="ed25519" checked={ed25519} onChange={(e) => setEd25519((e.target as HTMLInputElement).checked)} />
          {t('addEd25519')}
        </label>
        <button type="submit" disabled={working}>
          {t('add')}
        </button>
      </form>
      <div role="status" aria-live="polite" data-testid="add-domain-result">
        {message !== undefined && <p class={message.ok ? 'done' : 'problem'}>{message.text}</p>}
      </div>
    </section>
  );
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

function Checks({ t, lang, checks }: { readonly t: T; readonly lang: Lang; readonly checks: readonly Check[] | null }) {
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

type RotateResult = { readonly ok: boolean; readonly lines: readonly string[] };

function DomainCard({ t, lang, domain, result, onRotate }: { readonly t: T; readonly lang: Lang; readonly domain: Domain; readonly result: RotateResult | undefined; onRotate(): void }) {
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
            </tr>
          ))}
        </tbody>
      </table>
      <div class="buttons">
        <button type="button" class="secondary" data-action="rotate" onClick={() => onRotate()}>
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

export function DomainsPage() {
  const t = useT(domainsText);
  const tc = useT(commonText);
  const lang = useLanguage();
  const { data, error, reload } = usePolling(() => api.get<DomainsData>('/domains'), POLL_MS);
  const [checkError, setCheckError] = useState<string | undefined>(undefined);
  // One dialog for the page (ids must be unique): the domain whose key is about to be rotated.
  const [rotating, setRotating] = useState<string | undefined>(undefined);
  const [results, setResults] = useState<Readonly<Record<string, RotateResult>>>({});
  const rotate = async (name: string) => {
    setRotating(undefined);
    let result: RotateResult;
    try {
      const answer = await api.post<{ added: Array<{ selector: string }> }>(`/domains/${encodeURIComponent(name)}/rotate-key`);
      const step2 = data?.autoActivate === false ? t('rotatedManual', { name }) : t('rotatedAuto');
      result = { ok: true, lines: [t('rotated', { selectors: answer.added.map((k) => k.selector).join(', ') }), step2] };
      reload();
    } catch (err) {
      result = { ok: false, lines: [refusal(t, err)] };
    }
    setResults((r) => ({ ...r, [name]: result }));
  };
  const checkNow = async () => {
    setCheckError(undefined);
    try {
      await api.post('/domains/check');
      reload();
    } catch (err) {
      setCheckError(refusal(t, err));
    }
  };
  return (
    <section class="domains">
      <h1>{t('title')}</h1>
      <p class="hint">{t('intro')}</p>
      {error !== undefined && (
        <p class="problem" role="alert">
          {tc('loadFailed', { message: error.message })}
        </p>
      )}
      <AddDomain t={t} onAdded={() => reload()} />
      {data === undefined ? (
        error === undefined && <p class="loading">{tc('loading')}</p>
      ) : (
        <>
          <div class="buttons">
            <button type="button" class="secondary" data-action="check" onClick={() => void checkNow()}>
              {t('checkNow')}
            </button>
            <span class="hint" data-testid="checked-at">
              {data.running ? t('checking') : data.checkedAtMs === null ? t('neverChecked') : t('checkedAt', { time: formatDateTime(data.checkedAtMs, lang) })}
            </span>
            {checkError !== undefined && <span class="problem">{checkError}</span>}
          </div>
          {data.domains.length === 0 && <p class="card">{t('noDomains')}</p>}
          {data.domains.map((d) => (
            <DomainCard key={d.name} t={t} lang={lang} domain={d} result={results[d.name]} onRotate={() => setRotating(d.name)} />
          ))}
        </>
      )}
      <ConfirmDialog
        open={rotating !== undefined}
        title={t('rotateConfirmTitle')}
        question={t('rotateConfirm', { name: rotating ?? '' })}
        confirmLabel={t('rotate')}
        cancelLabel={t('cancel')}
        onConfirm={() => rotating !== undefined && void rotate(rotating)}
        onCancel={() => setRotating(undefined)}
      />
    </section>
  );
}
