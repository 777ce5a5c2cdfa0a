// Permission verdicts: every kind of chat.db read error, every node-mac-permissions answer, and how
// the two signals combine (the real read wins; macOS's answer fills the gap and spots "granted but
// not applied until a restart").
import { describe, expect, it } from 'vitest';
import type { AccountSetup } from '../../contract/setup';
import { fullDiskAccessStatus, loadMacPermissions, permissionsReport, readFdaSignal, type FdaSignal } from '../../main/electron/permissions';
import { chatDbReadState, setupFromHealth } from '../../main/electron/setup-adapter';
import { account, iso, probe } from './support/fixtures';

describe('chat.db read errors', () => {
  it.each([
    ['ENOENT: no such file or directory, open /Users/me/Library/Messages/chat.db', 'missing'],
    ['chat.db does not exist', 'missing'],
    ['EPERM: operation not permitted, open /Users/me/Library/Messages/chat.db', 'denied'],
    ['EACCES: permission denied', 'denied'],
    ['authorization denied (code 23)', 'denied'],
    ['unable to open database file', 'denied'],
    ['Permission Error: Full Disk Access is required', 'denied'],
    ['SQLITE_BUSY: database is locked', 'unknown'],
    ['EBUSY: resource busy or locked', 'unknown'],
    ['SQLITE_CORRUPT: database disk image is malformed', 'unknown'],
    ['SQLITE_NOTADB: file is not a database', 'unknown'],
    ['EIO: i/o error', 'unknown'],
  ])('%s → %s', (text, state) => {
    const read = chatDbReadState(text);
    expect(read.state).toBe(state);
    expect(read.detail).toContain(text);
    if (state === 'denied') expect(read.fix?.settingsUrl).toBe('x-apple.systempreferences:com.apple.preference.security?Privacy_AllFiles');
    if (state === 'missing') expect(read.fix?.text).toMatch(/open Messages/i);
  });
});

describe('setup checks derived from account health', () => {
  const fda = (setup: AccountSetup) => setup.checks.find((c) => c.id === 'full-disk-access')!;
  const automation = (setup: AccountSetup) => setup.checks.find((c) => c.id === 'automation')!;

  it("the probe's database check decides Full Disk Access", () => {
    expect(fda(setupFromHealth(account({ state: 'failed-fatal', lastProbe: probe({ ok: false, detail: 'authorization denied' }) }))).state).toBe('denied');
    expect(fda(setupFromHealth(account({ lastProbe: probe({ ok: true, detail: 'imsg opened ~/Library/Messages/chat.db' }) }))).state).toBe('ok');
  });

  it('a listening account has read chat.db; a fresh one is unknown; a database error without a probe counts', () => {
    expect(fda(setupFromHealth(account({ state: 'listening' }))).state).toBe('ok');
    expect(fda(setupFromHealth(account({ state: 'starting' }))).state).toBe('unknown');
    const error = { message: 'imsg cannot read the Messages database: EPERM', fatal: true, at: iso(0) };
    expect(fda(setupFromHealth(account({ state: 'failed-fatal', lastError: error }))).state).toBe('denied');
  });

  it('Automation: a refused send (-1743) is denied, a send is ok, nothing sent is unknown', () => {
    const refused = { message: 'send failed: Not authorized to send Apple events to Messages. (-1743)', fatal: false, at: iso(0) };
    expect(automation(setupFromHealth(account({ lastError: refused }))).state).toBe('denied');
    expect(automation(setupFromHealth(account({ lastOutboundAt: iso(0) }))).state).toBe('ok');
    expect(automation(setupFromHealth(account())).state).toBe('unknown');
  });

  it('simulated and remote accounts need neither permission on this Mac', () => {
    for (const setup of [setupFromHealth(account({ simulated: true })), setupFromHealth(account({ remoteHost: 'bot@mac-mini' }))]) {
      expect(setup.checks.map((c) => c.state)).toEqual(['not-applicable', 'not-applicable']);
    }
    expect(setupFromHealth(account({ remoteHost: 'bot@mac-mini' })).location).toBe('remote-mac');
  });
});

describe('node-mac-permissions', () => {
  it('is loaded on macOS only, and only when it works', () => {
    let loads = 0;
    const load = () => {
      loads++;
      return { getAuthStatus: () => 'authorized' };
    };
    expect(loadMacPermissions('linux', load)).toBeNull();
    expect(loads).toBe(0);
    expect(loadMacPermissions('darwin', load)).not.toBeNull();
    expect(loadMacPermissions('darwin', () => {
      throw new Error("Cannot find module 'node-mac-permissions'");
    })).toBeNull();
    expect(loadMacPermissions('darwin', () => ({}))).toBeNull();
  });

  it('here (Linux) the real loader answers "not applicable"', () => {
    expect(loadMacPermissions()).toBeNull();
    expect(readFdaSignal(null)).toBe('not-mac');
  });

  it.each(['authorized', 'denied', 'restricted', 'not determined', 'limited'])('answer "%s" is passed on', (answer) => {
    expect(readFdaSignal({ getAuthStatus: () => answer }, 'darwin')).toBe(answer);
  });

  it('a missing module, an unknown answer or a throwing call is "unavailable"', () => {
    expect(readFdaSignal(null, 'darwin')).toBe('unavailable');
    expect(readFdaSignal({ getAuthStatus: () => 'maybe' }, 'darwin')).toBe('unavailable');
    expect(readFdaSignal({ getAuthStatus: () => { throw new Error('boom'); } }, 'darwin')).toBe('unavailable');
  });
});

describe('Full Disk Access verdict: the real read × macOS answer', () => {
  const setups = (state: 'ok' | 'denied' | 'missing' | 'unknown' | 'none'): AccountSetup[] => {
    if (state === 'none') return [];
    const database = { ok: { ok: true, detail: 'imsg opened chat.db' }, denied: { ok: false, detail: 'authorization denied' }, missing: { ok: false, detail: 'ENOENT: no such file' }, unknown: { ok: false, detail: 'SQLITE_BUSY' } }[state];
    return [setupFromHealth(account({ state: state === 'ok' ? 'listening' : 'failed-fatal', lastProbe: probe(database) }))];
  };

  it.each<[string, FdaSignal, string, RegExp]>([
    ['ok', 'denied', 'ok', /Granted: imsg read chat.db/],
    ['ok', 'unavailable', 'ok', /Granted/],
    ['denied', 'authorized', 'denied', /on for Clawdbot, but chat.db was not readable/],
    ['denied', 'denied', 'denied', /Full Disk Access is off/],
    ['denied', 'unavailable', 'denied', /Full Disk Access is off/],
    ['missing', 'authorized', 'missing', /Messages has not been set up/],
    ['none', 'authorized', 'ok', /macOS reports Full Disk Access on/],
    ['none', 'denied', 'denied', /macOS reports Full Disk Access off/],
    ['none', 'not determined', 'denied', /macOS reports Full Disk Access off/],
    ['none', 'restricted', 'denied', /configuration profile/],
    ['none', 'limited', 'unknown', /Not known yet/],
    ['none', 'unavailable', 'unknown', /Not known yet/],
    ['unknown', 'authorized', 'ok', /macOS reports Full Disk Access on/],
    ['none', 'not-mac', 'not-applicable', /not a Mac/],
    ['denied', 'not-mac', 'not-applicable', /not a Mac/],
  ])('read %s, macOS %s → %s', (read, signal, state, detail) => {
    const verdict = fullDiskAccessStatus(setups(read as never), signal);
    expect(verdict.state).toBe(state);
    expect(verdict.detail).toMatch(detail);
    if (state === 'denied' || state === 'missing') expect(verdict.fix?.text).toBeTruthy();
  });

  it('one account that cannot read outranks one that can', () => {
    const both = [...setups('ok'), ...setups('denied')];
    expect(fullDiskAccessStatus(both, 'denied').state).toBe('denied');
  });
});

describe('restart suggestion', () => {
  const now = new Date('2026-03-02T10:00:00Z');
  const denied = [setupFromHealth(account({ state: 'failed-fatal', lastProbe: probe({ ok: false, detail: 'authorization denied' }) }))];
  const readOk = [setupFromHealth(account({ state: 'listening' }))];

  it('granted since launch and not applied yet → restart; already reading → no restart', () => {
    expect(permissionsReport([], 'authorized', 'denied', now).restartSuggested).toBe(true);
    expect(permissionsReport(readOk, 'authorized', 'denied', now).restartSuggested).toBe(false);
    expect(permissionsReport([], 'authorized', 'authorized', now).restartSuggested).toBe(false);
    expect(permissionsReport([], 'authorized', 'unavailable', now).restartSuggested).toBe(false);
  });

  it('granted (macOS says so) while reads still fail → restart', () => {
    expect(permissionsReport(denied, 'authorized', 'authorized', now).restartSuggested).toBe(true);
    expect(permissionsReport(denied, 'denied', 'denied', now).restartSuggested).toBe(false);
  });

  it('the gateway says a restart is needed', () => {
    expect(permissionsReport([{ ...readOk[0]!, restartNeeded: true }], 'authorized', 'authorized', now).restartSuggested).toBe(true);
  });

  it('reports both permissions with the check time', () => {
    const report = permissionsReport(readOk, 'authorized', 'authorized', now);
    expect(report.permissions.map((p) => [p.id, p.state])).toEqual([
      ['full-disk-access', 'ok'],
      ['automation', 'unknown'],
    ]);
    expect(report.checkedAt).toBe('2026-03-02T10:00:00.000Z');
  });
});
