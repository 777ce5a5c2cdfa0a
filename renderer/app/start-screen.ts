// The first screen, when the address does not name one: onboarding on a first run, else Pairing
// when someone is waiting, Demo on a demo gateway, Health otherwise. Decided once, as soon as
// what it depends on has arrived.
import type { Route } from '../store/navigation-slice';
import { isOnboardingStep } from '../store/onboarding-slice';
import type { AppStore } from '../store/create';
import type { AppState } from '../store/types';

export function startRoute(state: AppState): Route | null {
  if (state.onboarding === null || state.connection !== 'connected' || !state.status || !state.requestsLoaded) return null;
  const { onboarding, status } = state;
  // A first run: the app remembers finishing onboarding; a browser decides by the gateway (no
  // account configured yet) unless onboarding was finished in this browser.
  const firstRun = onboarding.completedAt === null && (state.native || status.accounts.every((a) => !a.configured));
  if (firstRun) return { screen: 'onboarding', step: isOnboardingStep(onboarding.step) ? onboarding.step : 'welcome' };
  if (state.requests.length > 0) return { screen: 'pairing' };
  if (status.demo) return { screen: 'demo' };
  return { screen: 'health' };
}

export function decideStartScreen(store: AppStore): () => void {
  const decide = (state: AppState) => {
    if (state.route) return true;
    const route = startRoute(state);
    if (!route) return false;
    state.navigate(route.screen, route.step);
    return true;
  };
  if (decide(store.getState())) return () => {};
  const unsubscribe = store.subscribe((state) => {
    if (decide(state)) unsubscribe();
  });
  return unsubscribe;
}
