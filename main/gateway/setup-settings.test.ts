// setup.openSettings: the decision with the platform given (macOS `open` cannot run here).
import { describe, expect, it } from 'vitest';
import { openSettingsPane } from './setup-settings';

describe('openSettingsPane', () => {
  it('on macOS opens exactly the pane’s deep link', async () => {
    const opened: string[] = [];
    const result = await openSettingsPane('full-disk-access', { platform: 'darwin', open: async (url) => void opened.push(url) });
    expect(result).toEqual({ opened: true });
    expect(opened).toEqual(['x-apple.systempreferences:com.apple.preference.security?Privacy_AllFiles']);
    await openSettingsPane('automation', { platform: 'darwin', open: async (url) => void opened.push(url) });
    expect(opened[1]).toBe('x-apple.systempreferences:com.apple.preference.security?Privacy_Automation');
  });

  it('elsewhere answers "not applicable" with the path in words; a failing open says so', async () => {
    const linux = await openSettingsPane('automation', { platform: 'linux', open: async () => { throw new Error('must not be called'); } });
    expect(linux).toEqual({ opened: false, reason: 'Not applicable here: System Settings exists only on macOS, and this gateway runs on linux. On the Mac, open System Settings › Privacy & Security › Automation.' });
    const failing = await openSettingsPane('automation', { platform: 'darwin', open: async () => { throw new Error('open exited with 1'); } });
    expect(failing).toMatchObject({ opened: false, reason: expect.stringContaining('open exited with 1') });
  });

  it('the real default on this machine (not macOS) does not try to open anything', async () => {
    if (process.platform === 'darwin') return;
    expect((await openSettingsPane('full-disk-access')).opened).toBe(false);
  });
});
