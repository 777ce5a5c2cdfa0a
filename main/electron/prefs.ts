// The app's own preferences: onboarding progress, launch at login, the window's bounds, the port
// chosen after a port conflict, the simulated Messages account chosen in the window — their shape,
// schema and defaults, and the decisions made on them.
// They live in electron-store (prefs-store.ts); the gateway's settings stay in
// ~/.clawdbot/clawdbot.json, which the CLI and the screens edit.
import type { Schema } from 'electron-store';
import type { OnboardingProgress } from '../../contract/bridge';

export interface WindowBounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface AppPrefs {
  onboarding: OnboardingProgress;
  /** null until decided: onboarding's completion turns it on once; the person's toggle wins after that. */
  launchAtLogin: boolean | null;
  windowBounds: WindowBounds | null;
  /** The port chosen after a port conflict; wins over the config's. */
  port: number | null;
  /** The person chose to try Clawdbot with a simulated Messages account (simulated-account.ts decides whether it applies). */
  simulatedAccount: boolean;
}

export const PREFS_DEFAULTS: AppPrefs = {
  onboarding: { step: null, completedAt: null },
  launchAtLogin: null,
  windowBounds: null,
  port: null,
  simulatedAccount: false,
};

const nullable = (schema: Record<string, unknown>) => ({ anyOf: [{ type: 'null' }, schema] });

export const PREFS_SCHEMA: Schema<AppPrefs> = {
  onboarding: {
    type: 'object',
    properties: { step: nullable({ type: 'string', maxLength: 64 }), completedAt: nullable({ type: 'string', maxLength: 40 }) },
    required: ['step', 'completedAt'],
  },
  launchAtLogin: nullable({ type: 'boolean' }),
  windowBounds: nullable({
    type: 'object',
    properties: { x: { type: 'integer' }, y: { type: 'integer' }, width: { type: 'integer', minimum: 200 }, height: { type: 'integer', minimum: 200 } },
    required: ['x', 'y', 'width', 'height'],
  }),
  port: nullable({ type: 'integer', minimum: 1, maximum: 65535 }),
  simulatedAccount: { type: 'boolean' },
};

/** Onboarding just finished and launch at login was never decided: it turns on (once). */
export function launchAtLoginAfterOnboarding(before: OnboardingProgress, after: OnboardingProgress, launchAtLogin: boolean | null): boolean {
  return launchAtLogin === null && before.completedAt === null && after.completedAt !== null;
}

/** The saved bounds if they still overlap a display's work area by enough to grab the window, else undefined. */
export function restorableBounds(saved: WindowBounds | null, workAreas: readonly WindowBounds[]): WindowBounds | undefined {
  if (!saved) return undefined;
  const visible = workAreas.some((area) => {
    const width = Math.min(saved.x + saved.width, area.x + area.width) - Math.max(saved.x, area.x);
    const height = Math.min(saved.y + saved.height, area.y + area.height) - Math.max(saved.y, area.y);
    return width >= 100 && height >= 50;
  });
  return visible ? saved : undefined;
}
