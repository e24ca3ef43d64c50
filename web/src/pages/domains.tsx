// The domains page (issue 10 point 7): each sending domain with the DNS
// records to publish (a copy button on each), the doctor's result per check
// (green / amber / red, with the doctor's own fix in the viewer's language),
// adding a domain and rotating its DKIM key. The server does the work
// (src/console/domain-routes.ts); this page only shows and asks.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { formatDateTime } from '../format.js';
import { commonText } from '../i18n/common.js';
import { domainsText } from '../i18n/domains.js';
import { useLanguage, useT, type Lang } from '../i18n/i18n.js';
import { usePolling } from '../use-polling.js';
import { Checks, DomainCard, refusal, type Check, type Domain, type RotateResult, type T } from './domain-card.js';

interface DomainsData {
  readonly checkedAtMs: number | null;
  readonly running: boolean;
  readonly autoActivate: boolean;
  readonly domains: readonly Domain[];
  readonly server: { readonly name: string; readonly light: 'green' | 'amber' | 'red'; readonly checks: readonly Check[] } | null;
}

const POLL_MS = 15_000;

function AddDomain({ t, lang, onAdded }: { readonly t: T; readonly lang: Lang; onAdded(name: string): void }) {
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
      setMessage({ ok: false, text: refusal(t, err, lang) });
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
      result = { ok: false, lines: [refusal(t, err, lang)] };
    }
    setResults((r) => ({ ...r, [name]: result }));
  };
  /** Activate a pending key (the server checks its record first) or remove a retired one. */
  const keyChange = async (name: string, change: 'activate' | 'retire', selector: string) => {
    let result: RotateResult;
    try {
      await api.post(`/domains/${encodeURIComponent(name)}/${change}-key`, { selector });
      result = { ok: true, lines: [t(change === 'activate' ? 'activated' : 'retired', { selector })] };
      reload();
    } catch (err) {
      result = { ok: false, lines: [refusal(t, err, lang)] };
    }
    setResults((r) => ({ ...r, [name]: result }));
  };
  const checkNow = async () => {
    setCheckError(undefined);
    try {
      await api.post('/domains/check');
      reload();
    } catch (err) {
      setCheckError(refusal(t, err, lang));
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
      <AddDomain t={t} lang={lang} onAdded={() => reload()} />
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
            <DomainCard
              key={d.name}
              t={t}
              lang={lang}
              domain={d}
              result={results[d.name]}
              actions={{ onRotate: () => setRotating(d.name), onActivate: (k) => void keyChange(d.name, 'activate', k), onRetire: (k) => void keyChange(d.name, 'retire', k) }}
            />
          ))}
          {data.server !== null && (
            <section class="card" aria-labelledby="server-checks-title" data-testid="server-checks">
              <h2 id="server-checks-title">
                {t('serverTitle', { name: data.server.name })} <span class={`light ${data.server.light}`}>{t(`light_${data.server.light}`)}</span>
              </h2>
              <Checks t={t} lang={lang} checks={data.server.checks} />
            </section>
          )}
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
