// A small observable store and a hook that re-renders a component only when
// the part of the state it selected changes.

import { useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface Store<T> {
  get(): T;
  set(update: Partial<T> | ((s: T) => Partial<T>)): void;
  subscribe(listener: () => void): () => void;
}

export function createStore<T extends object>(initial: T): Store<T> {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => state,
    set(update) {
      const patch = typeof update === 'function' ? update(state) : update;
      state = { ...state, ...patch };
      listeners.forEach((l) => l());
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

export function useSelect<T extends object, S>(store: Store<T>, select: (s: T) => S): S {
  const [, rerender] = useState(0);
  const value = select(store.get());
  const latest = useRef({ select, value });
  latest.current = { select, value };
  // Subscribe as soon as the component is in the DOM, and catch up with
  // any change made between the render and the subscription.
  useLayoutEffect(() => {
    const check = () => {
      const { select: pick, value: shown } = latest.current;
      if (!Object.is(pick(store.get()), shown)) rerender((n) => n + 1);
    };
    const unsubscribe = store.subscribe(check);
    check();
    return unsubscribe;
  }, [store]);
  return value;
}
