import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { ApiError, api, pathAfterLogin } from '../api.js';
import { LanguageSwitch } from '../components/language-switch.js';
import { commonText } from '../i18n/common.js';
import { useT } from '../i18n/i18n.js';
import { loginText } from '../i18n/login.js';
import { setSession, type SessionInfo } from '../session.js';

type Problem = { key: 'badCredentials' | 'totpRequired' } | { key: 'throttled'; seconds: number } | { key: 'failed'; message: string };

export function LoginPage() {
  const t = useT(loginText);
  const tc = useT(commonText);
  const [, navigate] = useLocation();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [askTotp, setAskTotp] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const totpInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (askTotp) totpInput.current?.focus();
  }, [askTotp]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const session = await api.post<SessionInfo>('/login', { name, password, ...(askTotp ? { totp } : {}) }, { stayOn401: true });
      setSession(session);
      navigate(pathAfterLogin(window.location.search), { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'totp-required') {
        setAskTotp(true);
        setProblem({ key: 'totpRequired' });
      } else if (err instanceof ApiError && err.code === 'bad-credentials') setProblem({ key: 'badCredentials' });
      else if (err instanceof ApiError && err.status === 429) setProblem({ key: 'throttled', seconds: Number(err.body['retryAfterSeconds'] ?? 60) });
      else setProblem({ key: 'failed', message: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login">
      <div class="login-lang">
        <LanguageSwitch />
      </div>
      <form class="card login-card" onSubmit={(e) => void submit(e)} aria-describedby={problem ? 'login-problem' : undefined}>
        <p class="brand">{tc('appName')}</p>
        <h1>{t('title')}</h1>
        <label>
          {t('name')}
          <input name="name" autoComplete="username" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          {t('password')}
          <input name="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {askTotp && (
          <label>
            {t('totp')}
            <input ref={totpInput} name="totp" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9 ]{6,8}" required value={totp} onInput={(e) => setTotp(e.currentTarget.value)} />
          </label>
        )}
        {problem !== undefined && (
          <p id="login-problem" class="problem" role="alert">
            {problem.key === 'throttled' ? t('throttled', { seconds: problem.seconds }) : problem.key === 'failed' ? t('failed', { message: problem.message }) : t(problem.key)}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? t('submitting') : t('submit')}
        </button>
        <p class="hint">{t('hint')}</p>
      </form>
    </main>
  );
}
