// The message page (issue 10 point 5): envelope, headers, each recipient's
// state, and the timeline of every attempt with the remote reply explained in
// plain words and what to do (server-side explain table, in the viewer's
// language and time zone); retry / hold / release / delete.
import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { api, ApiError } from '../api.js';
import { formatDateTime, formatNumber } from '../format.js';
import { commonText } from '../i18n/common.js';
import { queueText } from '../i18n/queue.js';
import { useLanguage, useT } from '../i18n/i18n.js';
import { QueueActions } from './queue-actions.js';
import type { MessageState } from './queue.js';

type Outcome = 'delivered' | 'deferred' | 'bounced' | 'expired';

interface MessageDetail {
  readonly id: string;
  readonly messageId: string | null;
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  readonly subject: string | null;
  readonly from: string | null;
  readonly size: number;
  readonly source: string;
  readonly user: string | null;
  readonly acceptedAtMs: number;
  readonly state: MessageState;
  readonly headers: string | null;
  readonly inQueue: boolean;
  readonly held: boolean;
  readonly recipients: ReadonlyArray<{ readonly rcptTo: string; readonly state: MessageState; readonly attempts: number; readonly lastReply: string | null; readonly nextAttemptAtMs: number | null }>;
  readonly attempts: ReadonlyArray<{
    readonly rcptTo: string;
    /** The last attempt of a run of identical ones (same outcome, reply and host); `count` of them since `firstAtMs`. */
    readonly atMs: number;
    readonly firstAtMs: number;
    readonly count: number;
    readonly outcome: Outcome;
    readonly remoteMta: string | null;
    readonly reply: string | null;
    readonly explanation: { readonly summary: string; readonly action: string; readonly severity: 'info' | 'warning' | 'error' };
  }>;
}

function viewerZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export function MessagePage({ id }: { readonly id: string }) {
  const t = useT(queueText);
  const tc = useT(commonText);
  const lang = useLanguage();
  const [message, setMessage] = useState<MessageDetail | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    api.get<MessageDetail>(`/messages/${encodeURIComponent(id)}?lang=${lang}&tz=${encodeURIComponent(viewerZone())}`).then(
      (m) => {
        if (!live) return;
        setMessage(m);
        setError(undefined);
      },
      (err: unknown) => live && setError(err instanceof ApiError && err.status === 404 ? t('notFound') : err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [id, lang, tick]);

  const back = (
    <p>
      <Link href="/queue">{t('back')}</Link>
    </p>
  );
  if (error !== undefined) {
    return (
      <section>
        <h1>{t('messageTitle', { id })}</h1>
        <p class="problem" role="alert">
          {error}
        </p>
        {back}
      </section>
    );
  }
  if (message === undefined) return <p class="loading">{tc('loading')}</p>;
  const m = message;
  return (
    <section class="message">
      {back}
      <h1>{m.subject ?? t('noSubject')}</h1>
      <p class="hint">{t('messageTitle', { id: m.id })}</p>

      <section class="card" aria-labelledby="actions-title">
        <h2 id="actions-title">{t('actions')}</h2>
        <p data-testid="message-state">
          {t('state')}: <span class={`state ${m.state}`}>{t(`state_${m.state}`)}</span> — {m.inQueue ? t('inQueueYes') : t('inQueueNo')}
        </p>
        {m.inQueue && <QueueActions ids={[m.id]} onDone={() => setTick((n) => n + 1)} />}
      </section>

      <section class="card" aria-labelledby="envelope-title">
        <h2 id="envelope-title">{t('envelope')}</h2>
        <dl class="facts">
          <dt>{t('envelopeFrom')}</dt>
          <dd>{m.mailFrom === '' ? '<>' : m.mailFrom}</dd>
          <dt>{t('envelopeTo')}</dt>
          <dd>{m.rcptTo.join(', ')}</dd>
          <dt>{t('headerFrom')}</dt>
          <dd>{m.from ?? ''}</dd>
          <dt>{t('messageId')}</dt>
          <dd>{m.messageId ?? ''}</dd>
          <dt>{t('acceptedAt')}</dt>
          <dd>{formatDateTime(m.acceptedAtMs, lang)}</dd>
          <dt>{t('size')}</dt>
          <dd>{t('bytes', { n: formatNumber(m.size, lang) })}</dd>
          <dt>{t('source')}</dt>
          <dd>{m.source}</dd>
          {m.user !== null && (
            <>
              <dt>{t('user')}</dt>
              <dd>{m.user}</dd>
            </>
          )}
        </dl>
      </section>

      <section class="card" aria-labelledby="recipients-title">
        <h2 id="recipients-title">{t('recipients')}</h2>
        <div class="table-scroll">
          <table data-testid="recipients">
            <thead>
              <tr>
                <th scope="col">{t('to')}</th>
                <th scope="col">{t('state')}</th>
                <th scope="col">{t('attempts')}</th>
                <th scope="col">{t('nextAttempt')}</th>
                <th scope="col">{t('lastReply')}</th>
              </tr>
            </thead>
            <tbody>
              {m.recipients.map((r) => (
                <tr>
                  <th scope="row">{r.rcptTo}</th>
                  <td>
                    <span class={`state ${r.state}`}>{t(`state_${r.state}`)}</span>
                  </td>
                  <td>{r.attempts}</td>
                  <td>{r.nextAttemptAtMs !== null && (r.state === 'deferred' || r.state === 'queued') ? formatDateTime(r.nextAttemptAtMs, lang) : ''}</td>
                  <td class="reply">{r.lastReply ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section class="card" aria-labelledby="timeline-title">
        <h2 id="timeline-title">{t('timeline')}</h2>
        {m.attempts.length === 0 && <p>{t('noAttempts')}</p>}
        <ol class="timeline" data-testid="timeline">
          {m.attempts.map((a) => (
            <li class={`attempt ${a.explanation.severity}`}>
              <p class="when">
                <time dateTime={new Date(a.atMs).toISOString()}>{formatDateTime(a.atMs, lang)}</time> — {a.rcptTo} — <strong>{t(`outcome_${a.outcome}`)}</strong>
              </p>
              {a.count > 1 && (
                <p class="repeated" data-testid="repeated">
                  {t('repeated', { count: formatNumber(a.count, lang), first: formatDateTime(a.firstAtMs, lang), last: formatDateTime(a.atMs, lang) })}
                </p>
              )}
              <p class="summary">{a.explanation.summary}</p>
              <p class="todo">
                <strong>{t('whatToDo')}:</strong> {a.explanation.action}
              </p>
              {a.reply !== null && (
                <p class="reply">
                  {t('remoteReply')}
                  {a.remoteMta !== null ? ` (${a.remoteMta})` : ''}: <code>{a.reply}</code>
                </p>
              )}
            </li>
          ))}
        </ol>
      </section>

      <section class="card" aria-labelledby="headers-title">
        <h2 id="headers-title">{t('headers')}</h2>
        {m.headers === null ? <p>{t('noHeaders')}</p> : <pre class="headers">{m.headers}</pre>}
      </section>
    </section>
  );
}
