// The store and the gateway link, provided once at the top (not passed through every component).
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { GatewayLink } from '../gateway/link';
import type { AppStore } from '../store/create';
import type { AppState } from '../store/types';

export interface AppContextValue {
  store: AppStore;
  link: GatewayLink;
}

const AppContext = createContext<AppContextValue | null>(null);

export function AppProvider({ value, children }: { value: AppContextValue; children: ReactNode }) {
  return <AppContext.Provider value={value}>{children}</AppContext.Provider>;
}

function useAppContext(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp() outside <AppProvider>');
  return value;
}

/** A value from the store; the component re-renders when (and only when) it changes. */
export function useApp<T>(selector: (state: AppState) => T): T {
  return useStore(useAppContext().store, selector);
}

/** The store's actions and current state without subscribing (for event handlers). */
export function useAppState(): () => AppState {
  return useAppContext().store.getState;
}
