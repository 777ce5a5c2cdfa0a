// The app's preferences in the real electron-store (with the electron mock): defaults, schema,
// a hand-edited file that breaks it, migrations between versions, and the decisions made on them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { launchAtLoginAfterOnboarding, PREFS_DEFAULTS, restorableBounds } from '../../main/electron/prefs';
import { openPrefs } from '../../main/electron/prefs-store';
import { app } from './mocks/electron';

vi.mock('electron', () => import('./mocks/electron'));

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});
const withoutInternal = (store: object) => Object.fromEntries(Object.entries(store).filter(([key]) => key !== '__internal__'));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clawdbot-prefs-'));
  dirs.push(dir);
  return dir;
}

describe('preferences store', () => {
  it('starts from the defaults and keeps what is set', () => {
    const cwd = tempDir();
    const prefs = openPrefs({ cwd });
    expect(withoutInternal(prefs.store)).toEqual(PREFS_DEFAULTS);
    prefs.set('port', 18790);
    prefs.set('onboarding', { step: 'permissions', completedAt: null });
    const again = openPrefs({ cwd });
    expect(again.get('port')).toBe(18790);
    expect(again.get('onboarding')).toEqual({ step: 'permissions', completedAt: null });
    expect(JSON.parse(readFileSync(join(cwd, 'preferences.json'), 'utf8')).__internal__.migrations.version).toBe('0.1.0');
  });

  it('the simulated account is off by default; a file from before the key keeps its values and reads the default', () => {
    expect(PREFS_DEFAULTS.simulatedAccount).toBe(false);
    const cwd = tempDir();
    const before = { ...PREFS_DEFAULTS, port: 18790, onboarding: { step: 'imsg', completedAt: null } } as Partial<typeof PREFS_DEFAULTS>;
    delete before.simulatedAccount;
    writeFileSync(join(cwd, 'preferences.json'), JSON.stringify({ ...before, __internal__: { migrations: { version: '0.1.0' } } }));
    const prefs = openPrefs({ cwd });
    expect(prefs.get('simulatedAccount')).toBe(false);
    expect(prefs.get('port')).toBe(18790);
    expect(prefs.get('onboarding')).toEqual({ step: 'imsg', completedAt: null });
    prefs.set('simulatedAccount', true);
    expect(openPrefs({ cwd }).get('simulatedAccount')).toBe(true);
    expect(() => prefs.set('simulatedAccount', 'yes' as never)).toThrow(/simulatedAccount/);
  });

  it('refuses a value that breaks the schema', () => {
    const prefs = openPrefs({ cwd: tempDir() });
    expect(() => prefs.set('port', 70000)).toThrow(/port/);
    expect(() => prefs.set('windowBounds', { x: 0, y: 0, width: 10, height: 10 })).toThrow(/windowBounds/);
    expect(prefs.get('port')).toBeNull();
  });

  it('a hand-edited file that breaks the schema is reset instead of stopping the app', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'preferences.json'), JSON.stringify({ port: 'eighteen', launchAtLogin: 'yes' }));
    const prefs = openPrefs({ cwd });
    expect(withoutInternal(prefs.store)).toEqual(PREFS_DEFAULTS);
    expect(prefs.get('onboarding')).toEqual({ step: null, completedAt: null });
    // …and written back, so the next start reads a valid file.
    expect(withoutInternal(JSON.parse(readFileSync(join(cwd, 'preferences.json'), 'utf8')))).toEqual(PREFS_DEFAULTS);
  });

  it('runs the migrations of newer versions once, in order, on an existing file', () => {
    const cwd = tempDir();
    openPrefs({ cwd }).set('launchAtLogin', true);
    const calls: string[] = [];
    vi.spyOn(app, 'getVersion').mockReturnValue('0.3.0');
    const migrations = {
      '0.2.0': (store: { set(key: string, value: unknown): void }) => {
        calls.push('0.2.0');
        store.set('port', 18800);
      },
      '0.3.0': () => void calls.push('0.3.0'),
      '0.4.0': () => void calls.push('0.4.0'),
    };
    const migrated = openPrefs({ cwd, migrations });
    expect(calls).toEqual(['0.2.0', '0.3.0']);
    expect(migrated.get('port')).toBe(18800);
    expect(migrated.get('launchAtLogin')).toBe(true);
    openPrefs({ cwd, migrations });
    expect(calls).toEqual(['0.2.0', '0.3.0']);
  });

  it('a migration that throws leaves the file as it was', () => {
    const cwd = tempDir();
    openPrefs({ cwd }).set('port', 18790);
    vi.spyOn(app, 'getVersion').mockReturnValue('0.2.0');
    const failing = {
      '0.2.0': (store: { set(key: string, value: unknown): void }) => {
        store.set('port', 1);
        throw new Error('bad migration');
      },
    };
    expect(() => openPrefs({ cwd, migrations: failing })).toThrow(/bad migration/);
    vi.restoreAllMocks();
    expect(openPrefs({ cwd }).get('port')).toBe(18790);
  });
});

describe('decisions on preferences', () => {
  const done = { step: 'done', completedAt: '2026-03-02T10:00:00.000Z' };
  const during = { step: 'permissions', completedAt: null };

  it('finishing onboarding turns launch at login on once, unless the person decided', () => {
    expect(launchAtLoginAfterOnboarding(during, done, null)).toBe(true);
    expect(launchAtLoginAfterOnboarding(during, done, false)).toBe(false);
    expect(launchAtLoginAfterOnboarding(done, done, null)).toBe(false);
    expect(launchAtLoginAfterOnboarding(during, during, null)).toBe(false);
  });

  it('window bounds come back only onto a display that still shows them', () => {
    const display = { x: 0, y: 0, width: 1440, height: 875 };
    const saved = { x: 200, y: 100, width: 900, height: 700 };
    expect(restorableBounds(saved, [display])).toEqual(saved);
    expect(restorableBounds({ ...saved, x: 2000 }, [display])).toBeUndefined();
    expect(restorableBounds({ ...saved, x: 2000 }, [display, { x: 1440, y: 0, width: 1920, height: 1080 }])).toEqual({ ...saved, x: 2000 });
    expect(restorableBounds(null, [display])).toBeUndefined();
  });
});
