// The users page (issue 10 point 8): users (add, disable / enable, remove),
// per user its app passwords and API keys (created with the secret shown
// once, listed, revoked) and what it sent against its limits; then the
// suppression list (listed, entries removed). The server does the work
// (src/console/user-routes.ts) with the stores the CLI uses.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { commonText } from '../i18n/common.js';
import { usersText } from '../i18n/users.js';
import { useLanguage, useT } from '../i18n/i18n.js';
import { usePolling } from '../use-polling.js';
import { SuppressionList } from './suppression-list.js';
import { refusal, UserCard, type Confirm, type T, type User } from './user-card.js';

const POLL_MS = 15_000;

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
            <UserCard key={u.address} t={t} lang={lang} user={u} ask={setConfirm} act={(c) => void run(c)} onChanged={reload} />
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
