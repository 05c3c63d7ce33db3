import { useCallback, useEffect, useRef, useState } from 'react';
import type { DormouseEvent } from '../../shared/contract';
import { subscribe } from './bridge';

/** Loads something from the engine and reloads it on the events that change it. */
export function useEngineData<T>(load: () => Promise<T>, reloadOn: readonly DormouseEvent['type'][]): { data: T | null; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const reload = useCallback(() => setVersion((value) => value + 1), []);
  useEffect(() => {
    let live = true;
    load().then(
      (value) => live && (setData(value), setError(null)),
      (failure: unknown) => live && setError((failure as Error).message),
    );
    return () => {
      live = false;
    };
  }, [version]);
  const reloadOnRef = useRef(reloadOn);
  useEffect(() => subscribe((event) => reloadOnRef.current.includes(event.type) && reload()), [reload]);
  return { data, error, reload };
}

/** Follows engine events, for live progress. */
export function useEngineEvents(listener: (event: DormouseEvent) => void): void {
  useEffect(() => subscribe(listener), [listener]);
}
