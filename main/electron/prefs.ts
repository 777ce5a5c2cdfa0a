// The app's own preferences (electron-store, JSON in the app's userData folder): onboarding
// progress, launch at login, the window's bounds, the port chosen after a port conflict. The
// gateway's settings stay in ~/.clawdbot/clawdbot.json, which the CLI and the screens edit.
//
// Every key has a schema (a hand-edited file with a wrong type is reset to the defaults rather
// than crashing the app) and migrations run when the app version changes (electron-store records
// the version that wrote the file).
import Store, { type Options, type Schema } from 'electron-store';
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
}

export const PREFS_DEFAULTS: AppPrefs = {
  onboarding: { step: null, completedAt: null },
  launchAtLogin: null,
  windowBounds: null,
  port: null,
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
};

/** Version (or semver range) → a function that gets the store as the older version left it. */
export type PrefsMigrations = NonNullable<Options<AppPrefs>['migrations']>;

/**
 * Keyed by the app version that introduces a change (a semver range is allowed). 0.1.0 is the
 * first version with preferences, so there is nothing to migrate yet; a change of a key's shape
 * adds its migration here (and a test in test/electron/prefs.test.ts).
 */
export const PREFS_MIGRATIONS: PrefsMigrations = {};

export interface OpenPrefsOptions {
  /** Default: the app's userData folder. Tests give a temp dir. */
  cwd?: string;
  migrations?: PrefsMigrations;
}

export type Prefs = Store<AppPrefs>;

export function openPrefs(options: OpenPrefsOptions = {}): Prefs {
  const prefs = new Store<AppPrefs>({
    name: 'preferences',
    defaults: PREFS_DEFAULTS,
    schema: PREFS_SCHEMA,
    // A file that breaks the schema (hand-edited) is reset rather than stopping the app.
    clearInvalidConfig: true,
    migrations: options.migrations ?? PREFS_MIGRATIONS,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  // With migrations configured, a file that breaks the schema is read as empty (and stays so):
  // start it again from the defaults (clear() keeps electron-store's record of the version).
  if ((Object.keys(PREFS_DEFAULTS) as (keyof AppPrefs)[]).some((key) => !prefs.has(key))) prefs.clear();
  return prefs;
}

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
