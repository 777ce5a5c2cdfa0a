// Which screen is showing: a small typed state (no router library: five screens and the wizard's
// steps). The address bar mirrors it as `#screen=…&step=…` (app/hash-route.ts), so a reload,
// the Back button and the app's `#screen=pairing` links all land where they should.
import { SCREENS, type Screen } from '../../contract/bridge';
import type { OnboardingStep } from './onboarding-slice';
import type { Slice } from './types';

/** The app's screens, and Demo (a demo gateway's conversation view). */
export type ScreenId = Screen | 'demo';
export const SCREEN_IDS: readonly ScreenId[] = [...SCREENS, 'demo'];

export interface Route {
  screen: ScreenId;
  /** Onboarding only: the step to show. */
  step?: OnboardingStep;
}

export interface NavigationSlice {
  /** null until the first screen is decided (it depends on what the gateway reports). */
  route: Route | null;
  navigate(screen: ScreenId, step?: OnboardingStep): void;
}

export const navigationSlice: Slice<NavigationSlice> = () => (set) => ({
  route: null,
  navigate: (screen, step) => set({ route: step ? { screen, step } : { screen } }),
});
