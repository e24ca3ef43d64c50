// The queue page (issue 10 point 6): search every message in the history,
// 50 per page (keyset: "next" follows the cursor the server gave), select
// some and retry / hold / release / delete them after a confirmation.
import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { api } from '../api.js';
import { formatDateTime, formatNumber } from '../format.js';
import { commonText } from '../i18n/common.js';
import { queueText } from '../i18n/queue.js';
import { useLanguage, useT } from '../i18n/i18n.js';
import { QueueActions } from './queue-actions.js';

export const STATES = ['queued', 'deferred', 'held', 'delivered', 'bounced', 'expired', 'partial', 'deleted'] as const;
export type MessageState = (typeof STATES)[number];

interface Summary {
  readonly id: string;
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  readonly subject: string | null;
  readonly acceptedAtMs: number;
  readonly state: MessageState;
  readonly lastReply: string | null;
}

interface SearchPage {
  readonly items: readonly Summary[];
  readonly next: string | null;
  readonly total: number | null;
}

interface Filters {
  text: string;
  sender: string;
  recipient: string;
  subject: string;
  id: string;
  state: string;
  since: string;
  until: string;
}

const EMPTY: Filters = { text: '', sender: '', recipient: '', subject: '', id: '', state: '', since: '', until: '' };
const FIELDS = ['text', 'sender', 'recipient', 'subject', 'id'] as const;

/** Dates are read in the viewer's zone: "until" includes the whole day. */
function queryOf(f: Filters, cursor: string | undefined): string {
  const p = new URLSearchParams();
  for (const key of FIELDS) if (f[key].trim() !== '') p.set(key, f[key].trim());
  if (f.state !== '') p.set('state', f.state);
  if (f.since !== '') p.set('since', String(new Date(`${f.since}T00:00:00`).getTime()));
  if (f.until !== '') p.set('until', String(new Date(`${f.until}T23:59:59.999`).getTime()));
  if (cursor !== undefined) p.set('cursor', cursor);
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

export function QueuePage() {
  const t = useT(queueText);
  const tc = useT(commonText);
  const lang = useLanguage();
  const [form, setForm] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [page, setPage] = useState<SearchPage | undefined>(undefined);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | undefined>(undefined);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    api.get<SearchPage>(`/messages${queryOf(applied, cursor)}`).then(
      (answer) => {
        if (!live) return;
        setPage(answer);
        if (answer.total !== null) setTotal(answer.total);
        setError(undefined);
      },
      (err: unknown) => live && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [applied, cursor, tick]);

  const submit = (event: Event) => {
    event.preventDefault();
    setSelected(new Set());
    setCursor(undefined);
    setApplied({ ...form });
  };
  const field = (key: keyof Filters) => ({
    id: `q-${key}`,
    name: key,
    value: form[key],
    onInput: (e: Event) => setForm({ ...form, [key]: (e.currentTarget as HTMLInputElement).value }),
  });
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const items = page?.items ?? [];
  const allSelected = items.length > 0 && items.every((m) => selected.has(m.id));

  return (
    <section class="queue">
      <h1>{t('title')}</h1>
      <p class="hint">{t('intro')}</p>
      <form class="card search" role="search" aria-labelledby="search-title" onSubmit={submit}>
        <h2 id="search-title">{t('searchTitle')}</h2>
        <div class="fields">
          {FIELDS.map((key) => (
            <label for={`q-${key}`}>
              {t(key)}
              <input type="search" {...field(key)} />
            </label>
          ))}
          <label for="q-state">
            {t('status')}
            <select {...field('state')} onChange={(e) => setForm({ ...form, state: (e.currentTarget as HTMLSelectElement).value })}>
              <option value="">{t('anyStatus')}</option>
              {STATES.map((s) => (
                <option value={s}>{t(`state_${s}`)}</option>
              ))}
            </select>
          </label>
          <label for="q-since">
            {t('since')}
            <input type="date" {...field('since')} />
          </label>
          <label for="q-until">
            {t('until')}
            <input type="date" {...field('until')} />
          </label>
        </div>
        <div class="buttons">
          <button type="submit">{t('search')}</button>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setForm(EMPTY);
              setApplied(EMPTY);
              setCursor(undefined);
            }}
          >
            {t('clear')}
          </button>
        </div>
      </form>

      <section class="card" aria-labelledby="results-title">
        <h2 id="results-title">{t('results')}</h2>
        {error !== undefined && (
          <p class="problem" role="alert">
            {tc('loadFailed', { message: error })}
          </p>
        )}
        {page === undefined && error === undefined && <p class="loading">{tc('loading')}</p>}
        {total !== null && <p data-testid="total">{t('total', { count: formatNumber(total, lang) })}</p>}
        <p class="hint" aria-live="polite">
          {t('selected', { count: selected.size })}
        </p>
        <QueueActions ids={[...selected]} onDone={() => setTick((n) => n + 1)} />
        {page !== undefined && items.length === 0 && <p>{t('none')}</p>}
        {items.length > 0 && (
          <div class="table-scroll">
            <table data-testid="messages">
              <thead>
                <tr>
                  <th scope="col">
                    <input
                      type="checkbox"
                      aria-label={t('selectAll')}
                      checked={allSelected}
                      onChange={() => setSelected(allSelected ? new Set() : new Set([...selected, ...items.map((m) => m.id)]))}
                    />
                  </th>
                  <th scope="col">{t('acceptedAt')}</th>
                  <th scope="col">{t('subject')}</th>
                  <th scope="col">{t('from')}</th>
                  <th scope="col">{t('to')}</th>
                  <th scope="col">{t('status')}</th>
                  <th scope="col">{t('lastReply')}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((m) => (
                  <tr data-id={m.id}>
                    <td>
                      <input type="checkbox" aria-label={t('selectOne', { id: m.id })} checked={selected.has(m.id)} onChange={() => toggle(m.id)} />
                    </td>
                    <td>{formatDateTime(m.acceptedAtMs, lang)}</td>
                    <td>
                      <Link href={`/queue/${encodeURIComponent(m.id)}`}>{m.subject ?? t('noSubject')}</Link>
                    </td>
                    <td>{m.mailFrom}</td>
                    <td>{m.rcptTo.join(', ')}</td>
                    <td>
                      <span class={`state ${m.state}`}>{t(`state_${m.state}`)}</span>
                    </td>
                    <td class="reply">{m.lastReply ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div class="buttons">
          {cursor !== undefined && (
            <button type="button" class="secondary" onClick={() => setCursor(undefined)}>
              {t('first')}
            </button>
          )}
          {page?.next != null && (
            <button type="button" class="secondary" data-testid="next-page" onClick={() => setCursor(page.next ?? undefined)}>
              {t('more')}
            </button>
          )}
        </div>
      </section>
    </section>
  );
}
