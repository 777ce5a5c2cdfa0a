// The preferences file (electron-store: JSON in the app's userData folder, written atomically).
// Every key has a schema (prefs.ts): a hand-edited file that breaks it is reset to the defaults
// rather than stopping the app. Migrations run when the app version changes (electron-store
// records the version that wrote the file).
import Store, { type Options } from 'electron-store';
import { PREFS_DEFAULTS, PREFS_SCHEMA, type AppPrefs } from './prefs';

/** Version (or semver range) → a function that gets the store as the older version left it. */
export type PrefsMigrations = NonNullable<Options<AppPrefs>['migrations']>;

/**
 * Keyed by the app version that introduces a change (a semver range is allowed). 0.1.0 is the
 * first version with preferences, so there is nothing to migrate yet; a change of a key's shape
 * adds its migration here (and a test in test/electron/prefs.test.ts). A new key needs none: its
 * default fills it in an older file, whose other keys stay (`simulatedAccount` came this way).
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
