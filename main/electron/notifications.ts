// A macOS notification for each new pairing request, with Approve and Deny buttons (shown when
// the app is signed and its alert style is "Alerts": NSUserNotificationAlertStyle in Info.plist);
// clicking it opens the Pairing screen. It is withdrawn as soon as the request is resolved,
// wherever that happened (menu, CLI, window) or it expired.
import { Notification } from 'electron';
import { displaySafe } from '../../contract/display-text';
import type { PairingEvent } from '../../contract/gateway-api';
import type { MenuAction } from './menu-model';

export class PairingNotifications {
  private readonly shown = new Map<string, Notification>();

  constructor(private readonly perform: (action: MenuAction) => void) {}

  handle(event: PairingEvent): void {
    const code = event.code;
    if (!code) return;
    if (event.kind === 'requested') this.show(code, event.senderId);
    else this.withdraw(code);
  }

  withdrawAll(): void {
    for (const code of [...this.shown.keys()]) this.withdraw(code);
  }

  private show(code: string, sender: string): void {
    if (!Notification.isSupported() || this.shown.has(code)) return;
    const notification = new Notification({
      title: 'New pairing request',
      // The sender chose their handle: escapes and bidi overrides are shown, not obeyed.
      body: `${displaySafe(sender, { maxLength: 64 })} wants to chat with your assistant (code ${code}).`,
      actions: [
        { type: 'button', text: 'Approve' },
        { type: 'button', text: 'Deny' },
      ],
    });
    notification.on('action', (_event, index) => this.perform(index === 0 ? { type: 'approve', code } : { type: 'deny', code }));
    notification.on('click', () => this.perform({ type: 'open', screen: 'pairing' }));
    notification.on('close', () => this.shown.delete(code));
    this.shown.set(code, notification);
    notification.show();
  }

  private withdraw(code: string): void {
    const notification = this.shown.get(code);
    this.shown.delete(code);
    notification?.close();
  }
}
