// A user's mail-client setup (issue 10 point 9): the table `hikyaku user
// setup` prints, from GET /console/api/users/:address/setup, each row in
// Japanese and English side by side (the person typing the settings may read
// either), plus the autoconfiguration links. The Users page links here.
import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { api, ApiError } from '../api.js';
import { useT } from '../i18n/i18n.js';
import { userSetupText } from '../i18n/user-setup.js';

interface Text {
  readonly en: string;
  readonly ja: string;
}

interface UserSetup {
  readonly table: { readonly title: Text; readonly rows: ReadonlyArray<{ readonly label: Text; readonly value: Text }>; readonly notes: readonly Text[] };
  readonly autoconfig?: { readonly thunderbird: string; readonly mobileconfig?: string };
}

function Both({ text }: { readonly text: Text }) {
  if (text.ja === text.en) return <span>{text.en}</span>;
  return (
    <>
      <span lang="ja">{text.ja}</span>
      <br />
      <span lang="en">{text.en}</span>
    </>
  );
}

export function UserSetupPage({ params }: { readonly params: { readonly address: string } }) {
  const address = decodeURIComponent(params.address);
  const t = useT(userSetupText);
  const [setup, setSetup] = useState<UserSetup | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    let live = true;
    api.get<UserSetup>(`/users/${encodeURIComponent(address)}/setup`).then(
      (s) => live && setSetup(s),
      (err: unknown) => live && setError(err instanceof ApiError && err.status === 404 ? t('notFound') : err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [address]);

  return (
    <section>
      <h1>{t('title', { address })}</h1>
      {error !== undefined && (
        <p class="problem" role="alert">
          {error}
        </p>
      )}
      {setup === undefined && error === undefined && <p class="loading">…</p>}
      {setup !== undefined && (
        <>
          <p class="hint">{t('intro')}</p>
          <div class="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('setting')}</th>
                  <th scope="col">{t('value')}</th>
                </tr>
              </thead>
              <tbody>
                {setup.table.rows.map((row) => (
                  <tr key={row.label.en + row.value.en}>
                    <th scope="row">
                      <Both text={row.label} />
                    </th>
                    <td>
                      <Both text={row.value} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>{t('notes')}</h2>
          <ul>
            {setup.table.notes.map((note) => (
              <li key={note.en}>
                <Both text={note} />
              </li>
            ))}
          </ul>
          <h2>{t('autoconfig')}</h2>
          {setup.autoconfig === undefined ? (
            <p class="hint">{t('autoconfigOff')}</p>
          ) : (
            <ul>
              <li>
                <a href={setup.autoconfig.thunderbird}>{t('thunderbird')}</a>
              </li>
              {setup.autoconfig.mobileconfig !== undefined && (
                <li>
                  <a href={setup.autoconfig.mobileconfig} download>
                    {t('mobileconfig')}
                  </a>
                </li>
              )}
            </ul>
          )}
        </>
      )}
      <p>
        <Link href="/users">{t('back')}</Link>
      </p>
    </section>
  );
}
