// `setup.openSettings`: on macOS the gateway opens a System Settings pane itself (`open <url>`, an
// argv array); elsewhere there is no System Settings, and the call says so, so the screen shows the
// fix's words instead. Only the panes of contract/setup.ts SETTINGS_PANES can be opened.
import { spawn } from 'node:child_process';
import { SETTINGS_PANES } from '../../contract/setup';

export type SettingsPane = keyof typeof SETTINGS_PANES;

export interface OpenSettingsDeps {
  platform: NodeJS.Platform;
  /** Opens a URL with the system's handler (macOS: /usr/bin/open). */
  open(url: string): Promise<void>;
}

export async function openSettingsPane(pane: SettingsPane, deps: OpenSettingsDeps = { platform: process.platform, open: openOnMac }): Promise<{ opened: boolean; reason?: string }> {
  const { url, path } = SETTINGS_PANES[pane];
  if (deps.platform !== 'darwin') {
    return { opened: false, reason: `Not applicable here: System Settings exists only on macOS, and this gateway runs on ${deps.platform}. On the Mac, open ${path}.` };
  }
  try {
    await deps.open(url);
    return { opened: true };
  } catch (error) {
    return { opened: false, reason: `Could not open ${path}: ${(error as Error).message}. Open it by hand.` };
  }
}

function openOnMac(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/open', [url], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`open exited with ${code ?? signal}`))));
  });
}
