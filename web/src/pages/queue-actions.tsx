// The queue's four actions with their confirmation, shared by the queue list
// (a selection) and the message page (one message).
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { queueText } from '../i18n/queue.js';
import { useT } from '../i18n/i18n.js';

export type QueueAction = 'retry' | 'hold' | 'release' | 'delete';
const ACTIONS: readonly QueueAction[] = ['retry', 'hold', 'release', 'delete'];
const QUESTION = { retry: 'confirmRetry', hold: 'confirmHold', release: 'confirmRelease', delete: 'confirmDelete' } as const;

interface ActionAnswer {
  readonly action: QueueAction;
  readonly done: number;
  readonly failed: number;
  readonly results: ReadonlyArray<{ readonly id: string; readonly done: boolean; readonly message?: string }>;
}

export function QueueActions({ ids, onDone }: { readonly ids: readonly string[]; onDone(): void }) {
  const t = useT(queueText);
  const [pending, setPending] = useState<QueueAction | undefined>(undefined);
  const [working, setWorking] = useState(false);
  const [answer, setAnswer] = useState<ActionAnswer | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = async (action: QueueAction) => {
    setPending(undefined);
    setWorking(true);
    setError(undefined);
    try {
      setAnswer(await api.post<ActionAnswer>('/messages/actions', { action, ids }));
      onDone();
    } catch (err) {
      setError(err instanceof ApiError || err instanceof Error ? err.message : String(err));
    } finally {
      setWorking(false);
    }
  };
  return (
    <div class="queue-actions">
      <div class="buttons" role="group" aria-label={t('actions')}>
        {ACTIONS.map((action) => (
          <button type="button" class={action === 'delete' ? 'danger' : 'secondary'} disabled={ids.length === 0 || working} data-action={action} onClick={() => setPending(action)}>
            {t(action)}
          </button>
        ))}
        {working && <span class="hint">{t('working')}</span>}
      </div>
      <div role="status" aria-live="polite" data-testid="action-result">
        {answer !== undefined && (
          <>
            <p>{t('actionResult', { action: t(answer.action), done: answer.done, failed: answer.failed })}</p>
            {answer.results.some((r) => !r.done) && (
              <ul>
                {answer.results.filter((r) => !r.done).map((r) => (
                  <li>{t('actionFailed', { id: r.id, message: r.message ?? '' })}</li>
                ))}
              </ul>
            )}
          </>
        )}
        {error !== undefined && <p class="problem">{error}</p>}
      </div>
      <ConfirmDialog
        open={pending !== undefined}
        title={t('confirmTitle')}
        question={pending === undefined ? '' : t(QUESTION[pending], { count: ids.length })}
        confirmLabel={pending === undefined ? t('confirm') : t(pending)}
        cancelLabel={t('cancel')}
        danger={pending === 'delete'}
        onConfirm={() => pending !== undefined && void run(pending)}
        onCancel={() => setPending(undefined)}
      />
    </div>
  );
}
