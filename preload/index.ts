// The preload of the app's window (sandboxed, context-isolated): exposes `window.clawdbot`, the
// typed bridge of contract/bridge.ts, and nothing else. Every call goes to one allow-listed IPC
// channel; `ipcRenderer` itself never reaches the page, and event listeners receive the payload
// only (never the IPC event, whose `sender` would reach back into Electron).
import { contextBridge, ipcRenderer } from 'electron';
import {
  BRIDGE_EVENT_CHANNELS,
  BRIDGE_GLOBAL,
  BRIDGE_INVOKE_CHANNELS,
  bridgeChannel,
  type BridgeEvent,
  type BridgeEvents,
  type ClawdbotBridge,
} from '../contract/bridge';

export function createBridge(ipc: Pick<typeof ipcRenderer, 'invoke' | 'on' | 'removeListener'>): ClawdbotBridge {
  const calls = Object.fromEntries(
    BRIDGE_INVOKE_CHANNELS.map((name) => [name, (request?: unknown) => ipc.invoke(bridgeChannel(name), request)]),
  ) as Omit<ClawdbotBridge, 'on'>;
  return {
    ...calls,
    on<E extends BridgeEvent>(event: E, listener: (payload: BridgeEvents[E]) => void): () => void {
      if (!(BRIDGE_EVENT_CHANNELS as readonly string[]).includes(event)) throw new Error(`Unknown bridge event: ${String(event)}`);
      const channel = bridgeChannel(event);
      const wrapped = (_event: unknown, payload: BridgeEvents[E]) => listener(payload);
      ipc.on(channel, wrapped);
      return () => {
        ipc.removeListener(channel, wrapped);
      };
    },
  };
}

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, createBridge(ipcRenderer));
