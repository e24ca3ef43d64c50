// The users page (issue 10 point 8): users (add, disable / enable, remove),
// per user its app passwords and API keys (created with the secret shown
// once, listed, revoked) and what it sent against its limits; then the
// suppression list (listed, entries removed). The server does the work
// (src/console/user-routes.ts) with the stores the CLI uses.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { CopyButton } from '../components/copy-button.js';
import { formatDateTime, formatNumber } from '../format.js';
import { commonText } from '../i18n/common.js';
import { usersText } from '../i18n/users.js';
import { useLanguage, useT, type Lang, type TextKey, type Translate } from '../i18n/i18n.js';
import { usePolling } from '../use-polling.js';

interface Usage {
  readonly hour: number | null;
  readonly day: number | null;
  readonly limitPerHour: number | null;
  readonly limitPerDay: number | null;
  readonly recipientsPerMessage: number | null;
}

interface User {
  readonly address: string;
  readonly createdAtMs: number;
  readonly flag: { readonly atMs: number; readonly reason: string } | null;
  readonly usage: Usage;
  readonly appPasswords: ReadonlyArray<{ readonly label: string; readonly createdAtMs: number; readonly networks: readonly string[]; readonly flag: { readonly reason: string } | null; readonly usage: Usage }>;
  readonly apiKeys: ReadonlyArray<{ readonly id: string; readonly label: string; readonly createdAtMs: number }>;
}

interface Suppression {
  readonly recipient: string;
  readonly sendingDomain: string;
  readonly reason: string;
  readonly source: 'bounce' | 'manual';
  readonly createdAtMs: number;
  readonly expiresAtMs: number | null;
}

type T = Translate<TextKey<typeof usersText>>;
interface Confirm {
  readonly question: string;
  readonly label: string;
  run(): Promise<unknown>;
}
type Ask = (confirm: Confirm) => void;

const POLL_MS = 15_000;
const KNOWN_ERRORS = ['invalid-address', 'weak-password', 'exists', 'not-found', 'invalid-label'];

function refusal(t: T, err: unknown, value: string): string {
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

function AddUser({ t, onAdded }: { readonly t: T; onAdded(): void }) {
  const [address, setAddress] = useState('');
  const [password, setPassword] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const [working, setWorking] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setWorking(true);
    setMessage(undefined);
    try {
      const answer = await api.post<{ user: { address: string } }>('/users', { address: address.trim(), password });
      setMessage({ ok: true, text: t('added', { address: answer.user.address }) });
      setAddress('');
      setPassword('');
      onAdded();
    } catch (err) {
      setMessage({ ok: false, text: refusal(t, err, address.trim()) });
    } finally {
      setWorking(false);
    }
  };
  return (
    <section class="card" aria-labelledby="add-user-title">
      <h2 id="add-user-title">{t('addTitle')}</h2>
      <form class="inline-form" onSubmit={(e) => void submit(e)}>
        <label>
          {t('address')}
          <input name="address" type="email" required autocomplete="off" value={address} onInput={(e) => setAddress((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          {t('password')}
          <input name="password" type="password" required minLength={8} autocomplete="new-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled={working}>
          {t('add')}
        </button>
      </form>
      <div role="status" aria-live="polite" data-testid="add-user-result">
        {message !== undefined && <p class={message.ok ? 'done' : 'problem'}>{message.text}</p>}
      </div>
    </section>
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

function UserCard({ t, lang, user, ask, onChanged }: { readonly t: T; readonly lang: Lang; readonly user: User; readonly ask: Ask; onChanged(): void }) {
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
      {/* Per-user mail client setup (src/autoconfig, `hikyaku user setup`) belongs here, as a link or a button in this slot. */}
      <div class="user-setup" data-slot="user-setup" />
      <div class="buttons">
        {user.flag === null ? (
          <button type="button" class="secondary" data-action="disable" onClick={() => ask({ question: t('confirmDisable', { address: user.address }), label: t('disable'), run: () => api.post(`${base}/disabled`, { disabled: true }) })}>
            {t('disable')}
          </button>
        ) : (
          <button type="button" class="secondary" data-action="enable" onClick={() => void api.post(`${base}/disabled`, { disabled: false }).then(onChanged)}>
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

function SuppressionList({ t, lang, ask }: { readonly t: T; readonly lang: Lang; readonly ask: Ask }) {
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

export function UsersPage() {
  const t = useT(usersText);
  const tc = useT(commonText);
  const lang = useLanguage();
  const { data, error, reload } = usePolling(() => api.get<{ users: User[] }>('/users'), POLL_MS);
  const [confirm, setConfirm] = useState<Confirm | undefined>(undefined);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const [suppressionKey, setSuppressionKey] = useState(0);
  const run = async (c: Confirm) => {
    setConfirm(undefined);
    try {
      await c.run();
      setOutcome({ ok: true, text: t('done') });
    } catch (err) {
      setOutcome({ ok: false, text: refusal(t, err, '') });
    }
    reload();
    setSuppressionKey((n) => n + 1);
  };
  return (
    <section class="users">
      <h1>{t('title')}</h1>
      <p class="hint">{t('intro')}</p>
      {error !== undefined && (
        <p class="problem" role="alert">
          {tc('loadFailed', { message: error.message })}
        </p>
      )}
      <div role="status" aria-live="polite" data-testid="users-result">
        {outcome !== undefined && <p class={outcome.ok ? 'done' : 'problem'}>{outcome.text}</p>}
      </div>
      <AddUser t={t} onAdded={reload} />
      {data === undefined ? (
        error === undefined && <p class="loading">{tc('loading')}</p>
      ) : (
        <>
          {data.users.length === 0 && <p class="card">{t('noUsers')}</p>}
          {data.users.map((u) => (
            <UserCard key={u.address} t={t} lang={lang} user={u} ask={setConfirm} onChanged={reload} />
          ))}
        </>
      )}
      <SuppressionList key={suppressionKey} t={t} lang={lang} ask={setConfirm} />
      <ConfirmDialog
        open={confirm !== undefined}
        title={t('confirmTitle')}
        question={confirm?.question ?? ''}
        confirmLabel={confirm?.label ?? ''}
        cancelLabel={t('cancel')}
        danger
        onConfirm={() => confirm !== undefined && void run(confirm)}
        onCancel={() => setConfirm(undefined)}
      />
    </section>
  );
}
