// The main side of the preload bridge (contract/bridge.ts): one `ipcMain.handle` per allow-listed
// channel, and nothing else. Every call is checked before it runs: it must come from our window's
// top frame showing our own origin, and its request must have the channel's shape. A channel not
// in the list has no handler, so Electron refuses it.
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { BRIDGE_INVOKE_CHANNELS, bridgeChannel, isValidBridgeRequest, type BridgeInvoke, type BridgeInvokes } from '../../contract/bridge';
import type { Logger } from '../util/logger';
import { APP_ORIGIN } from './window';

export type BridgeHandlers = {
  [K in BridgeInvoke]: (request: BridgeInvokes[K]['request']) => Promise<BridgeInvokes[K]['response']> | BridgeInvokes[K]['response'];
};

/** Our window (by its webContents id), its top frame, on our origin. */
export function isTrustedSender(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>, windowContentsId: number | null): boolean {
  const frame = event.senderFrame;
  if (windowContentsId === null || event.sender.id !== windowContentsId || !frame || frame.parent !== null) return false;
  return frame.origin === APP_ORIGIN && frame.url.startsWith(`${APP_ORIGIN}/`);
}

export function registerBridge(ipcMain: IpcMain, options: { windowContentsId(): number | null; handlers: BridgeHandlers; logger: Logger }): void {
  const { handlers, logger } = options;
  // Only the bridge speaks IPC: drop listeners libraries registered for renderers we do not have
  // (electron-store's `electron-store-get-data`).
  for (const name of ipcMain.eventNames()) {
    logger.info(`ipc: removed the listeners of ${String(name)} (not part of the bridge)`);
    ipcMain.removeAllListeners(String(name));
  }
  for (const name of BRIDGE_INVOKE_CHANNELS) {
    const handler = handlers[name] as (request: unknown) => unknown;
    ipcMain.handle(bridgeChannel(name), async (event, request: unknown) => {
      if (!isTrustedSender(event, options.windowContentsId())) {
        logger.warn(`ipc: refused ${name} from a sender that is not the Clawdbot window`, { url: event.senderFrame?.url ?? null });
        throw new Error('Refused: only the Clawdbot window may use this bridge.');
      }
      if (!isValidBridgeRequest(name, request)) {
        logger.warn(`ipc: refused ${name} with a malformed request`);
        throw new Error(`Refused: malformed request for ${name}.`);
      }
      return handler(request);
    });
  }
}
