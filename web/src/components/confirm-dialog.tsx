// A confirmation before a change: the native <dialog> opened with showModal()
// (focus moves into it and stays there, Escape cancels, the page behind is
// inert), named by its title and described by its question.
import { useEffect, useRef } from 'preact/hooks';

export interface ConfirmDialogProps {
  readonly open: boolean;
  readonly title: string;
  readonly question: string;
  readonly confirmLabel: string;
  readonly cancelLabel: string;
  readonly danger?: boolean;
  onConfirm(): void;
  onCancel(): void;
}

export function ConfirmDialog(props: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-question" onCancel={() => props.onCancel()}>
      <h2 id="confirm-title">{props.title}</h2>
      <p id="confirm-question">{props.question}</p>
      <div class="buttons">
        <button type="button" class="secondary" onClick={() => props.onCancel()}>
          {props.cancelLabel}
        </button>
        <button type="button" class={props.danger === true ? 'danger' : ''} data-testid="confirm" onClick={() => props.onConfirm()}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
