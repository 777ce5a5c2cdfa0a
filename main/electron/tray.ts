// The menu-bar item: a template icon per state (resources/tray/<state>Template.png, @2x beside it;
// macOS tints template images for light and dark menu bars), the pending count as its title, and
// the menu of menu-model.ts. render() is called on every state change (AppController `changed`).
import { Menu, nativeImage, Tray, type MenuItemConstructorOptions } from 'electron';
import { join } from 'node:path';
import type { AppState } from './app-state';
import { buildMenuModel, type MenuAction, type MenuEntry } from './menu-model';
import { trayView, type TrayIcon } from './tray-state';

export function trayIconPath(iconDir: string, icon: TrayIcon): string {
  return join(iconDir, `${icon}Template.png`);
}

/** Electron menu items for the model; a click runs its action. */
export function menuTemplate(entries: readonly MenuEntry[], perform: (action: MenuAction) => void): MenuItemConstructorOptions[] {
  return entries.map((entry): MenuItemConstructorOptions => {
    switch (entry.kind) {
      case 'separator':
        return { type: 'separator' };
      case 'text':
        return { label: entry.label, enabled: false };
      case 'submenu':
        return { label: entry.label, submenu: menuTemplate(entry.items, perform) };
      case 'checkbox':
        return { label: entry.label, type: 'checkbox', checked: entry.checked, click: () => perform(entry.action) };
      case 'action':
        return { label: entry.label, enabled: entry.enabled ?? true, click: () => perform(entry.action) };
    }
  });
}

export class TrayMenu {
  private readonly tray: Tray;
  private icon: TrayIcon | null = null;
  /** The menu of the last render (the Mac smoke test clicks its items). */
  menu: Electron.Menu | null = null;

  constructor(
    private readonly iconDir: string,
    private readonly perform: (action: MenuAction) => void,
  ) {
    this.tray = new Tray(this.image('idle'));
  }

  render(state: AppState, now = Date.now()): void {
    const view = trayView(state);
    if (view.icon !== this.icon) {
      this.icon = view.icon;
      this.tray.setImage(this.image(view.icon));
    }
    this.tray.setTitle(view.title);
    this.tray.setToolTip(view.tooltip);
    this.menu = Menu.buildFromTemplate(menuTemplate(buildMenuModel(state, now), this.perform));
    this.tray.setContextMenu(this.menu);
  }

  destroy(): void {
    this.tray.destroy();
  }

  private image(icon: TrayIcon): Electron.NativeImage {
    // nativeImage picks up the @2x file next to it; the `Template` suffix marks it a template image.
    const image = nativeImage.createFromPath(trayIconPath(this.iconDir, icon));
    image.setTemplateImage(true);
    return image;
  }
}
