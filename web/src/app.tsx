// The console's routes (paths inside /console/). Add one line per page.
import { useEffect, useState } from 'preact/hooks';
import { Link, Route, Router, Switch } from 'wouter-preact';
import { ApiError } from './api.js';
import { commonText } from './i18n/common.js';
import { useT } from './i18n/i18n.js';
import { Layout } from './layout.js';
import { DashboardPage } from './pages/dashboard.js';
import { LoginPage } from './pages/login.js';
import { QueueRoute } from './pages/queue-route.js';
import { DomainsPage } from './pages/domains.js';
import { UsersPage } from './pages/users.js';
import { loadSession, useSession } from './session.js';
import { UserSetupPage } from './pages/user-setup.js';

function NotFound() {
  const t = useT(commonText);
  return (
    <section>
      <h1>{t('notFound')}</h1>
      <p>
        <Link href="/">{t('backToDashboard')}</Link>
      </p>
    </section>
  );
}

/** Pages behind the login: the session is loaded first (a 401 goes to /login, see api.ts). */
function Authenticated() {
  const session = useSession();
  const [checked, setChecked] = useState(session !== undefined);
  const t = useT(commonText);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (session !== undefined) return;
    loadSession().then(
      () => setChecked(true),
      // A 401 has already sent the viewer to the login page (api.ts); anything else is shown.
      (err: unknown) => {
        if (!(err instanceof ApiError && err.status === 401)) setFailure(err instanceof Error ? err.message : String(err));
      },
    );
  }, [session]);
  if (failure !== undefined) {
    return (
      <main id="main">
        <p class="problem" role="alert">
          {t('loadFailed', { message: failure })}
        </p>
      </main>
    );
  }
  if (!checked) return <p class="loading">{t('loading')}</p>;
  return (
    <Layout>
      <Switch>
        <Route path="/" component={DashboardPage} />
        <Route path="/queue/:id?" component={QueueRoute} />
        <Route path="/domains" component={DomainsPage} />
        <Route path="/users" component={UsersPage} />
        <Route path="/users/:address/setup" component={UserSetupPage} />
        <Route component={NotFound} />
      </Switch>
    </Layout>
  );
}

export function App() {
  return (
    <Router base="/console">
      <Switch>
        <Route path="/login" component={LoginPage} />
        <Route component={Authenticated} />
      </Switch>
    </Router>
  );
}
