// Onboarding progress: the step the person reached and whether they finished, so the wizard
// resumes where it was left and does not come back once done. The app keeps it in its
// preferences (bridge `onboarding.get/set`); a browser in localStorage.
import type { OnboardingProgress } from '../../contract/bridge';
import type { Slice } from './types';

export const ONBOARDING_STEPS = ['welcome', 'imsg', 'messages', 'full-disk-access', 'automation', 'location', 'access', 'model', 'done'] as const;
export type OnboardingStep = (typeof ONBOARDING_STEPS)[number];

export function isOnboardingStep(value: unknown): value is OnboardingStep {
  return (ONBOARDING_STEPS as readonly unknown[]).includes(value);
}

const STORAGE_KEY = 'clawdbot.onboarding';
const NOT_STARTED: OnboardingProgress = { step: null, completedAt: null };

export interface OnboardingSlice {
  /** null until read. */
  onboarding: OnboardingProgress | null;
  loadOnboarding(): Promise<void>;
  saveOnboardingStep(step: OnboardingStep): void;
  finishOnboarding(): Promise<void>;
  /** Reopened from Settings: starts again at the first step (the setup itself is kept). */
  restartOnboarding(): void;
}

export const onboardingSlice: Slice<OnboardingSlice> = ({ bridge, storage }) => (set, get) => {
  function readLocal(): OnboardingProgress {
    try {
      const parsed = JSON.parse(storage?.getItem(STORAGE_KEY) ?? 'null') as Partial<OnboardingProgress> | null;
      if (!parsed) return NOT_STARTED;
      return { step: typeof parsed.step === 'string' ? parsed.step : null, completedAt: typeof parsed.completedAt === 'string' ? parsed.completedAt : null };
    } catch {
      return NOT_STARTED;
    }
  }

  async function save(progress: OnboardingProgress): Promise<void> {
    set({ onboarding: progress });
    if (bridge) {
      try {
        set({ onboarding: await bridge['onboarding.set'](progress) });
      } catch {
        // Kept in the window for now; the next step saves again.
      }
    } else {
      try {
        storage?.setItem(STORAGE_KEY, JSON.stringify(progress));
      } catch {
        // Storage full or disabled: progress lasts as long as the page.
      }
    }
  }

  return {
    onboarding: null,
    async loadOnboarding() {
      if (!bridge) {
        set({ onboarding: readLocal() });
        return;
      }
      try {
        set({ onboarding: await bridge['onboarding.get']() });
      } catch {
        set({ onboarding: NOT_STARTED });
      }
    },
    saveOnboardingStep(step) {
      if (get().onboarding?.step === step) return;
      void save({ step, completedAt: get().onboarding?.completedAt ?? null });
    },
    async finishOnboarding() {
      await save({ step: 'done', completedAt: new Date().toISOString() });
    },
    restartOnboarding() {
      void save({ step: 'welcome', completedAt: get().onboarding?.completedAt ?? null });
    },
  };
};
