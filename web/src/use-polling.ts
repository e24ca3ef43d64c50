// Loads data now and again every `intervalMs` while the page is shown (the
// dashboard's live update); a failed load keeps the last data and shows the error.
import { useCallback, useEffect, useState } from 'preact/hooks';

export interface Polled<T> {
  readonly data: T | undefined;
  readonly error: Error | undefined;
  /** Loads again at once (after a change). */
  reload(): void;
}

export function usePolling<T>(load: () => Promise<T>, intervalMs: number): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  useEffect(() => {
    let live = true;
    const run = () =>
      load().then(
        (value) => {
          if (!live) return;
          setData(value);
          setError(undefined);
        },
        (err: unknown) => {
          if (live) setError(err instanceof Error ? err : new Error(String(err)));
        },
      );
    void run();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void run();
    }, intervalMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
    // `load` is a new function each render; the interval and the manual reload decide when to load.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [intervalMs, tick]);
  return { data, error, reload };
}
