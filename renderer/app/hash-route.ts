// The address bar mirrors the screen: `#screen=health`, `#screen=onboarding&step=imsg`. Other
// fragment parameters (the app's `port`) are kept; the token never stays (browser-endpoint.ts).
import { isOnboardingStep } from '../store/onboarding-slice';
import { SCREEN_IDS, type Route, type ScreenId } from '../store/navigation-slice';
import type { AppStore } from '../store/create';

export function routeFromHash(hash: string): Route | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const screen = params.get('screen');
  if (!screen || !(SCREEN_IDS as readonly string[]).includes(screen)) return null;
  const step = params.get('step');
  return screen === 'onboarding' && isOnboardingStep(step) ? { screen: screen as ScreenId, step } : { screen: screen as ScreenId };
}

export function hashForRoute(route: Route, currentHash: string): string {
  const params = new URLSearchParams(currentHash.replace(/^#/, ''));
  params.delete('token');
  params.set('screen', route.screen);
  if (route.step) params.set('step', route.step);
  else params.delete('step');
  return `#${params.toString()}`;
}

const sameRoute = (a: Route | null, b: Route | null) => a?.screen === b?.screen && a?.step === b?.step;

/** Keeps the store's route and the address bar in step (Back and Forward included). */
export function syncRouteWithHash(store: AppStore, location: Location, history: History, target: Pick<Window, 'addEventListener' | 'removeEventListener'>): () => void {
  const fromAddress = () => {
    const route = routeFromHash(location.hash);
    if (route && !sameRoute(route, store.getState().route)) store.getState().navigate(route.screen, route.step);
  };
  const unsubscribe = store.subscribe((state, previous) => {
    if (!state.route || sameRoute(state.route, previous.route) || sameRoute(state.route, routeFromHash(location.hash))) return;
    const hash = hashForRoute(state.route, location.hash);
    // The first screen (decided, not chosen) replaces the entry; a choice adds one, for Back.
    if (previous.route === null) history.replaceState(history.state, '', hash);
    else history.pushState(null, '', hash);
  });
  target.addEventListener('hashchange', fromAddress);
  target.addEventListener('popstate', fromAddress);
  fromAddress();
  return () => {
    unsubscribe();
    target.removeEventListener('hashchange', fromAddress);
    target.removeEventListener('popstate', fromAddress);
  };
}
