// The only URLs the app opens outside itself (shell.openExternal): two System Settings panes and
// the help pages. The window asks by name (SettingsPane, HelpPage), never with a URL, and a link
// the page tries to open itself is checked against the same list.
import type { HelpPage, SettingsPane } from '../../contract/bridge';
import { SETTINGS_PANES } from '../../contract/setup';

export const HELP_URLS: Record<HelpPage, string> = {
  imsg: 'https://github.com/steipete/imsg',
};

export function settingsPaneUrl(pane: SettingsPane): string {
  return SETTINGS_PANES[pane].url;
}

const ALLOWED = new Set<string>([...Object.values(SETTINGS_PANES).map((pane) => pane.url), ...Object.values(HELP_URLS)]);

/** Exact match only: no prefixes, no other schemes, no lookalike hosts. */
export function isAllowedExternalUrl(url: string): boolean {
  return ALLOWED.has(url);
}
