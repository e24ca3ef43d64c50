// The frame of every page after login: header, the navigation (one line per
// page), language switch, logout.
import type { ComponentChildren } from 'preact';
import { Link, useLocation } from 'wouter-preact';
import { api } from './api.js';
import { LanguageSwitch } from './components/language-switch.js';
import { commonText } from './i18n/common.js';
import { useT, type TextKey } from './i18n/i18n.js';
import { setSession, useSession } from './session.js';


/** The navigation: add one line per page (path inside /console, label key in i18n/common.ts). */
const NAV: ReadonlyArray<{ readonly path: string; readonly label: TextKey<typeof commonText> }> = [
  { path: '/', label: 'navDashboard' },
  { path: '/queue', label: 'navQueue' },
  { path: '/domains', label: 'navDomains' },
  { path: '/users', label: 'navUsers' },
];

export function Layout({ children }: { children: ComponentChildren }) {
  const t = useT(commonText);
  const session = useSession();
  const [location, navigate] = useLocation();
  const logout = async () => {
    try {
      await api.post('/logout');
    } finally {
      setSession(undefined);
      navigate('/login', { replace: true });
    }
  };
  const current = (path: string) => (path === '/' ? location === '/' : location === path || location.startsWith(`${path}/`));
  return (
    <>
      <a class="skip-link" href="#main">
        {t('skipToContent')}
      </a>
      <header class="top">
        <span class="brand">{t('appName')}</span>
        <nav aria-label={t('nav')}>
          <ul>
            {NAV.map((item) => (
              <li>
                <Link href={item.path} aria-current={current(item.path) ? 'page' : undefined}>
                  {t(item.label)}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="top-right">
          <LanguageSwitch />
          {session !== undefined && <span class="who">{t('loggedInAs', { name: session.name })}</span>}
          <button type="button" class="secondary" onClick={() => void logout()}>
            {t('logout')}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
