// One user on the users page: state, usage against the limits, disable /
// remove, its app passwords and API keys (created here, the secret shown
// once; revoked after the page's confirmation dialog). The slot for a
// per-user mail client setup link is here too.
import { useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { api, ApiError } from '../api.js';
import { CopyButton } from '../components/copy-button.js';
import { formatDateTime, formatNumber } from '../format.js';
import { usersText } from '../i18n/users.js';
import type { Lang, TextKey, Translate } from '../i18n/i18n.js';

export interface Usage {
  readonly hour: number | null;
  readonly day: number | null;
  readonly limitPerHour: number | null;
  readonly limitPerDay: number | null;
  readonly recipientsPerMessage: number | null;
}

export interface User {
  readonly address: string;
  readonly createdAtMs: number;
  readonly flag: { readonly atMs: number; readonly reason: string } | null;
  readonly usage: Usage;
  readonly appPasswords: ReadonlyArray<{ readonly label: string; readonly createdAtMs: number; readonly networks: readonly string[]; readonly flag: { readonly reason: string } | null; readonly usage: Usage }>;
  readonly apiKeys: ReadonlyArray<{ readonly id: string; readonly label: string; readonly createdAtMs: number }>;
}

export type T = Translate<TextKey<typeof usersText>>;
export interface Confirm {
  readonly question: string;
  readonly label: string;
  run(): Promise<unknown>;
}
export type Ask = (confirm: Confirm) => void;

const KNOWN_ERRORS = ['invalid-address', 'weak-password', 'exists', 'not-found', 'invalid-label'];

export function refusal(t: T, err: unknown, value: string): string {
  if (err instanceof ApiError && KNOWN_ERRORS.includes(err.code)) return t(`err_${err.code.replace(/-/g, '_')}` as TextKey<typeof usersText>, { value });
  return t('err_other', { message: err instanceof Error ? err.message : String(err) });
}

function usageText(t: T, lang: Lang, u: Usage): string {
  const n = (v: number | null) => (v === null ? '—' : formatNumber(v, lang));
  const limit = (v: number | null) => (v === null ? t('noLimit') : formatNumber(v, lang));
  return t('usageLine', { hour: n(u.hour), limitHour: limit(u.limitPerHour), day: n(u.day), limitDay: limit(u.limitPerDay) }) + (u.hour === null ? ` ${t('usageUnknown')}` : '');
}

/** A secret just created: shown once, with a copy button. */
function Secret({ t, intro, value }: { readonly t: T; readonly intro: string; readonly value: string }) {
  return (
    <div class="secret" data-testid="secret">
      <p>{intro}</p>
      <p>
        <code class="record-text" data-testid="secret-value">
          {value}
        </code>{' '}
        <CopyButton text={value} what={t('secret')} />
      </p>
    </div>
  );
}

/** One label field and a button that creates an app password or an API key; the answer's secret is shown once. */
function CreateSecret({ t, kind, user, onCreated }: { readonly t: T; readonly kind: 'app-passwords' | 'api-keys'; readonly user: string; onCreated(): void }) {
  const [label, setLabel] = useState('');
  const [created, setCreated] = useState<{ label: string; value: string } | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    setProblem(undefined);
    try {
      const answer = await api.post<{ label: string; password?: string; key?: string }>(`/users/${encodeURIComponent(user)}/${kind}`, { label: label.trim() });
      setCreated({ label: answer.label, value: answer.password ?? answer.key ?? '' });
      setLabel('');
      onCreated();
    } catch (err) {
      setProblem(refusal(t, err, label.trim()));
    }
  };
  const button = kind === 'app-passwords' ? t('createAppPassword') : t('createApiKey');
  return (
    <>
      <form class="inline-form" data-form={kind} onSubmit={(e) => void submit(e)}>
        <label>
          {t('label')}
          <input name="label" required maxLength={64} autocomplete="off" value={label} onInput={(e) => setLabel((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="secondary">
          {button}
        </button>
      </form>
      <div role="status" aria-live="polite">
        {created !== undefined && <Secret t={t} intro={t(kind === 'app-passwords' ? 'appPasswordCreated' : 'apiKeyCreated', { label: created.label })} value={created.value} />}
        {problem !== undefined && <p class="problem">{problem}</p>}
      </div>
    </>
  );
}

/** `ask` runs a change after the page's confirmation dialog; `act` runs it at once (both report the outcome). */
export function UserCard({ t, lang, user, ask, act, onChanged }: { readonly t: T; readonly lang: Lang; readonly user: User; readonly ask: Ask; readonly act: Ask; onChanged(): void }) {
  const base = `/users/${encodeURIComponent(user.address)}`;
  const id = `user-${user.address.replace(/[^a-z0-9]/gi, '-')}`;
  return (
    <section class="card user" aria-labelledby={`${id}-title`} data-user={user.address}>
      <h2 id={`${id}-title`}>{user.address}</h2>
      <p>
        <span class={`state ${user.flag === null ? 'delivered' : 'bounced'}`} data-testid="user-state">
          {user.flag === null ? t('enabled') : t('disabled', { reason: user.flag.reason })}
        </span>{' '}
        — <span class="hint">{t('created', { time: formatDateTime(user.createdAtMs, lang) })}</span>
      </p>
      <p data-testid="user-usage">
        <strong>{t('usage')}:</strong> {usageText(t, lang, user.usage)}
        {user.usage.recipientsPerMessage !== null && <span class="hint"> · {t('recipientsLimit', { n: formatNumber(user.usage.recipientsPerMessage, lang) })}</span>}
      </p>
      {/* Per-user mail client setup (src/autoconfig, `hikyaku user setup`): the page user-setup.tsx. */}
      <p class="user-setup">
        <Link href={`${base}/setup`} data-testid="user-setup-link">
          {t('setupLink')}
        </Link>
      </p>
      <div class="buttons">
        {user.flag === null ? (
          <button type="button" class="secondary" data-action="disable" onClick={() => ask({ question: t('confirmDisable', { address: user.address }), label: t('disable'), run: () => api.post(`${base}/disabled`, { disabled: true }) })}>
            {t('disable')}
          </button>
        ) : (
          <button type="button" class="secondary" data-action="enable" onClick={() => act({ question: '', label: t('enable'), run: () => api.post(`${base}/disabled`, { disabled: false }) })}>
            {t('enable')}
          </button>
        )}
        <button type="button" class="danger" data-action="remove" onClick={() => ask({ question: t('confirmRemove', { address: user.address }), label: t('remove'), run: () => api.delete(base) })}>
          {t('remove')}
        </button>
      </div>

      <h3>{t('appPasswords')}</h3>
      {user.appPasswords.length === 0 ? (
        <p class="hint">{t('noAppPasswords')}</p>
      ) : (
        <div class="table-scroll">
          <table data-testid="app-passwords">
            <thead>
              <tr>
                <th scope="col">{t('labelHead')}</th>
                <th scope="col">{t('createdHead')}</th>
                <th scope="col">{t('networksHead')}</th>
                <th scope="col">{t('usageHead')}</th>
                <td />
              </tr>
            </thead>
            <tbody>
              {user.appPasswords.map((a) => (
                <tr data-label={a.label}>
                  <th scope="row">{a.label}</th>
                  <td>{formatDateTime(a.createdAtMs, lang)}</td>
                  <td>{a.networks.length === 0 ? t('anyNetwork') : a.networks.join(', ')}</td>
                  <td>{usageText(t, lang, a.usage)}</td>
                  <td>
                    <button type="button" class="secondary small" data-action="revoke" aria-label={`${t('revoke')} ${a.label}`} onClick={() => ask({ question: t('confirmRevoke', { what: a.label }), label: t('revoke'), run: () => api.delete(`${base}/app-passwords/${encodeURIComponent(a.label)}`) })}>
                      {t('revoke')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CreateSecret t={t} kind="app-passwords" user={user.address} onCreated={onChanged} />

      <h3>{t('apiKeys')}</h3>
      {user.apiKeys.length === 0 ? (
        <p class="hint">{t('noApiKeys')}</p>
      ) : (
        <div class="table-scroll">
          <table data-testid="api-keys">
            <thead>
              <tr>
                <th scope="col">{t('labelHead')}</th>
                <th scope="col">{t('idHead')}</th>
                <th scope="col">{t('createdHead')}</th>
                <td />
              </tr>
            </thead>
            <tbody>
              {user.apiKeys.map((k) => (
                <tr data-label={k.label}>
                  <th scope="row">{k.label}</th>
                  <td>
                    <code>{k.id}</code>
                  </td>
                  <td>{formatDateTime(k.createdAtMs, lang)}</td>
                  <td>
                    <button type="button" class="secondary small" data-action="revoke" aria-label={`${t('revoke')} ${k.label}`} onClick={() => ask({ question: t('confirmRevoke', { what: k.label }), label: t('revoke'), run: () => api.delete(`${base}/api-keys/${encodeURIComponent(k.id)}`) })}>
                      {t('revoke')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CreateSecret t={t} kind="api-keys" user={user.address} onCreated={onChanged} />
    </section>
  );
}

